"""Tables of the upward and downward flows (DESIGN.md section 5).

Upward: a forwarded proposal (``upward_forwards``) is a snapshot of an adopted proposal
sent to one parent council, unique per (proposal, target). Each target council has an
inbox (``upward_inboxes``) whose forwarded proposals are grouped into clusters
(``upward_clusters``). A cluster row carries its aggregates, kept current on every
forward, so the inbox is one indexed read whatever its size. The clustering index
itself lives in ``upward_terms`` (document frequencies) and ``upward_cluster_features``
(each cluster's summed vector, which is also the inverted index), see
`participate.core.clustering`. Answers (``upward_answers``) cover the proposals
that were unanswered when they were given.

Downward: a consultation (``upward_consultations``) is cascaded to every descendant
council (``upward_consultation_councils``, one row each); a council's position
(``upward_positions``) must name a cascade row (composite foreign key) and is unique
per council; adoption can only be recorded after the closing date (check constraint).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.core.cascade import ANSWER_KINDS, STANCES
from participate.extensions import db
from participate.util import utcnow

LINK_KINDS = ("reports_to", "ringmaster", "referral")
JSON = sa.JSON(none_as_null=True)


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Inbox(db.Model):
    """One council's upward inbox: its size (for IDF) and the clerks' corrections."""

    __tablename__ = "upward_inboxes"

    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("councils.id", ondelete="CASCADE"), primary_key=True
    )
    size: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # Forwarded proposals still waiting for an answer (kept with each forward and answer).
    unanswered: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # clustering.Constraints.to_dict(): {"must_link": [[id, id]...], "cannot_link": [...]}
    constraints: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class InboxTheme(db.Model):
    """How many of an inbox's forwarded proposals carry a theme (the inbox's theme filter)."""

    __tablename__ = "upward_inbox_themes"
    __table_args__ = (sa.Index("ix_upward_inbox_themes_council_n", "council_id", "n"),)

    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("councils.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    n: Mapped[int] = mapped_column(sa.Integer)


class Term(db.Model):
    """Document frequency of a feature in an inbox, and how many clusters hold it."""

    __tablename__ = "upward_terms"

    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("councils.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[str] = mapped_column(sa.String(81), primary_key=True)
    df: Mapped[int] = mapped_column(sa.Integer, default=0)
    clusters: Mapped[int] = mapped_column(sa.Integer, default=0)


class Cluster(db.Model):
    """A group of similar forwarded proposals in one inbox, with its aggregates."""

    __tablename__ = "upward_clusters"
    __table_args__ = (
        sa.CheckConstraint("size >= 0", name="size"),
        sa.CheckConstraint("unanswered >= 0 AND unanswered <= size", name="unanswered"),
        sa.Index("ix_upward_clusters_council_councils", "council_id", "councils"),
        sa.Index("ix_upward_clusters_council_bridging", "council_id", "bridging"),
        sa.Index("ix_upward_clusters_council_last_at", "council_id", "last_at"),
        sa.Index("ix_upward_clusters_council_unanswered", "council_id", "unanswered_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # Size when the representative title was last chosen (it is chosen again as it grows).
    titled_at_size: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    size: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    text_sq: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    theme_sq: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    councils: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    places: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    supporters: Mapped[dict] = mapped_column(JSON)
    members: Mapped[dict] = mapped_column(JSON)
    supporters_total: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    bridging: Mapped[float] = mapped_column(sa.Float, default=1.0, server_default="1")
    tallied: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    support_sum: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    first_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    last_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    unanswered: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    unanswered_since: Mapped[datetime | None] = mapped_column(sa.DateTime)
    answers: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # Set when the cluster was merged into another (its old address leads there).
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("upward_clusters.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    council = relationship("Council")

    @property
    def is_live(self) -> bool:
        return self.merged_into_id is None

    @property
    def mean_support(self) -> float | None:
        return self.support_sum / self.tallied if self.tallied else None


class ClusterFeature(db.Model):
    """One feature of a cluster's summed vector: also the inverted index feature -> clusters."""

    __tablename__ = "upward_cluster_features"
    __table_args__ = (
        sa.Index("ix_upward_cluster_features_council_feature", "council_id", "feature"),
    )

    cluster_id: Mapped[int] = mapped_column(
        sa.ForeignKey("upward_clusters.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[str] = mapped_column(sa.String(81), primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.Integer)
    weight: Mapped[float] = mapped_column(sa.Float)
    holders: Mapped[int] = mapped_column(sa.Integer)


class ClusterTheme(db.Model):
    """How many of a cluster's proposals carry a theme (the inbox's theme filter)."""

    __tablename__ = "upward_cluster_themes"
    __table_args__ = (sa.Index("ix_upward_cluster_themes_council_theme", "council_id", "theme"),)

    cluster_id: Mapped[int] = mapped_column(
        sa.ForeignKey("upward_clusters.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.Integer)
    n: Mapped[int] = mapped_column(sa.Integer)


class ClusterRegion(db.Model):
    """How many councils (and proposals) of a region a cluster came from."""

    __tablename__ = "upward_cluster_regions"
    __table_args__ = (
        sa.Index("ix_upward_cluster_regions_council_region", "council_id", "region_id"),
    )

    cluster_id: Mapped[int] = mapped_column(
        sa.ForeignKey("upward_clusters.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("places.id"), primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.Integer)
    councils: Mapped[int] = mapped_column(sa.Integer)
    forwards: Mapped[int] = mapped_column(sa.Integer)


class Answer(db.Model):
    """A council's (the minister's) answer to a cluster: it covers the proposals of the
    cluster that were unanswered then. ``number`` 1 is the first answer; a later one
    answers only proposals that arrived after it."""

    __tablename__ = "upward_answers"
    __table_args__ = (
        sa.UniqueConstraint("cluster_id", "number"),
        sa.CheckConstraint(f"kind IN ({_in(ANSWER_KINDS)})", name="kind"),
        sa.CheckConstraint("(kind = 'refer') = (referred_council_id IS NOT NULL)", name="referral"),
        sa.CheckConstraint("length(trim(reasons)) > 0", name="reasons"),
        sa.CheckConstraint("forwards > 0", name="forwards"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(
        sa.ForeignKey("upward_clusters.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(10))
    reasons: Mapped[str] = mapped_column(sa.Text)
    reasons_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    referred_council_id: Mapped[int | None] = mapped_column(sa.ForeignKey("councils.id"))
    title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    forwards: Mapped[int] = mapped_column(sa.Integer)
    answered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    answered_by_role: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    answered_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    council = relationship("Council", foreign_keys=[council_id])
    referred_council = relationship("Council", foreign_keys=[referred_council_id])
    answered_by = relationship("User")


class Forward(db.Model):
    """An adopted proposal forwarded to one parent council: a snapshot with a link back."""

    __tablename__ = "upward_forwards"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "to_council_id"),
        sa.UniqueConstraint("taken_up_proposal_id"),
        sa.CheckConstraint("from_council_id <> to_council_id", name="not_self"),
        sa.CheckConstraint("length(trim(subsidiarity)) > 0", name="subsidiarity"),
        sa.CheckConstraint(f"link_kind IN ({_in(LINK_KINDS)})", name="link_kind"),
        sa.Index("ix_upward_forwards_to_forwarded", "to_council_id", "forwarded_at"),
        sa.Index("ix_upward_forwards_cluster_forwarded", "cluster_id", "forwarded_at"),
        sa.Index("ix_upward_forwards_cluster_council", "cluster_id", "origin_council_id"),
        sa.Index("ix_upward_forwards_cluster_place", "cluster_id", "origin_place_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"))
    # The first local proposal of a chain (this proposal itself unless it was taken up).
    root_proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    # The forwarded proposal this one was taken up from, one level down.
    origin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upward_forwards.id"), index=True)
    # Council ids from the first sending council to the target, in order.
    path: Mapped[list] = mapped_column(JSON)
    from_council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"), index=True)
    to_council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"))
    link_kind: Mapped[str] = mapped_column(sa.String(20))
    # Where the chain started (path[0]): the inbox counts breadth by originating councils,
    # places and regions, so a proposal relayed by a regional council still counts where
    # it came from.
    origin_council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"))
    origin_place_id: Mapped[int] = mapped_column(sa.ForeignKey("places.id"))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("places.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    themes: Mapped[list] = mapped_column(JSON)
    subsidiarity: Mapped[str] = mapped_column(sa.Text)
    motion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("motions.id"))
    tally: Mapped[dict | None] = mapped_column(JSON)
    supports: Mapped[dict] = mapped_column(JSON)
    supporters: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    members: Mapped[dict] = mapped_column(JSON)
    # The proposal's vector when it arrived (features -> weight), for a clerk's split.
    vector: Mapped[dict] = mapped_column(JSON)
    cluster_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("upward_clusters.id", ondelete="SET NULL")
    )
    answer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("upward_answers.id", ondelete="SET NULL"), index=True
    )
    # Set when the forward came from a referral by another council's answer.
    referred_by_answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upward_answers.id"))
    taken_up_proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"))
    taken_up_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    forwarded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    forwarded_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    from_council = relationship("Council", foreign_keys=[from_council_id])
    origin_council = relationship("Council", foreign_keys=[origin_council_id])
    to_council = relationship("Council", foreign_keys=[to_council_id])
    forwarded_by = relationship("User", foreign_keys=[forwarded_by_id])
    answer = relationship(Answer, foreign_keys=[answer_id])

    @property
    def weighted_support(self) -> float | None:
        return (self.tally or {}).get("weighted_support")


class Consultation(db.Model):
    """A national draft requirement put to every council below the publishing council."""

    __tablename__ = "upward_consultations"
    __table_args__ = (
        sa.CheckConstraint("closes_at > published_at", name="closes_after_publication"),
        # Adoption only after the consultation closed: the database refuses anything else.
        sa.CheckConstraint(
            "adopted_at IS NULL OR adopted_at >= closes_at", name="adopted_after_close"
        ),
        sa.CheckConstraint("(adopted_at IS NULL) = (adopted_by_id IS NULL)", name="adopted_by"),
        sa.Index("ix_upward_consultations_council_published", "council_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    published_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    cascade_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    positions_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    adopted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    adopted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    adoption_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    adoption_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    council = relationship("Council", lazy="joined")
    published_by = relationship("User", foreign_keys=[published_by_id])
    adopted_by = relationship("User", foreign_keys=[adopted_by_id])

    def state(self, now: datetime) -> str:
        if self.adopted_at is not None:
            return "adopted"
        return "open" if now < self.closes_at else "closed"


class ConsultationCouncil(db.Model):
    """One council a consultation cascaded to: it appears on that council's must-answer list."""

    __tablename__ = "upward_consultation_councils"
    __table_args__ = (
        sa.Index("ix_upward_consultation_councils_council", "council_id", "consultation_id"),
    )

    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("upward_consultations.id", ondelete="CASCADE"), primary_key=True
    )
    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("councils.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[str] = mapped_column(sa.String(10))
    region_id: Mapped[int | None] = mapped_column(sa.Integer)


class Position(db.Model):
    """A council's position on a consultation, with the tally of the motion that decided it."""

    __tablename__ = "upward_positions"
    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "council_id"),
        # Only a council the consultation cascaded to can answer it.
        sa.ForeignKeyConstraint(
            ["consultation_id", "council_id"],
            [
                "upward_consultation_councils.consultation_id",
                "upward_consultation_councils.council_id",
            ],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"stance IN ({_in(STANCES)})", name="stance"),
        sa.CheckConstraint(
            "stance = 'support' OR length(trim(text)) > 0", name="text_for_amend_or_oppose"
        ),
        sa.CheckConstraint("weight IS NULL OR (weight >= 0 AND weight <= 1)", name="weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.Integer)
    council_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    stance: Mapped[str] = mapped_column(sa.String(10))
    text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    text_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    motion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("motions.id"))
    tally: Mapped[dict | None] = mapped_column(JSON)
    # Mean turnout by constituency of the deciding motion (cascade.turnout_weight).
    weight: Mapped[float | None] = mapped_column(sa.Float)
    level: Mapped[str] = mapped_column(sa.String(10))
    region_id: Mapped[int | None] = mapped_column(sa.Integer)
    # Amendments grouped by similarity (cluster key among this consultation's amendments).
    amendment_group: Mapped[int | None] = mapped_column(sa.Integer)
    # How it was decided: "motion:<id>" standalone, "round:<id>" on a round's agenda.
    decided_by: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    council = relationship(
        "Council",
        primaryjoin="Position.council_id == Council.id",
        foreign_keys=[council_id],
        lazy="joined",
        viewonly=True,
    )
