"""Tables of proposal threads.

Counters (`supports_count`, `comments_count`) are kept in the same transaction as the row they
count, with an atomic ``UPDATE ... SET n = n + 1`` (never a read-modify-write), so the list can
sort by them without a GROUP BY over every support. The full-text index is not a model: it is a
database-specific structure kept current by triggers (see `participate.proposals.search`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.core.proposals import STANCES, STATUSES
from participate.councils.models import CONSTITUENCIES
from participate.extensions import db
from participate.util import utcnow

AMENDMENT_STATUSES = ("pending", "accepted", "declined", "lapsed")
FLAG_RESOLUTIONS = ("hidden", "dismissed")
APPEAL_DECISIONS = ("upheld", "reinstated")
STATUS_LABELS = {
    "open": "Open",
    "on_agenda": "On the agenda",
    "adopted": "Adopted",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Proposal(db.Model):
    """A thread in a council. ``body`` is the Markdown source, ``body_html`` its sanitised render."""

    __tablename__ = "proposals"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        sa.CheckConstraint(
            f"author_constituency IN ({_in(CONSTITUENCIES)})", name="author_constituency"
        ),
        sa.CheckConstraint("supports_count >= 0", name="supports_count"),
        sa.CheckConstraint("comments_count >= 0", name="comments_count"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_proposals_council_status", "council_id", "status"),
        # The council list shows visible proposals: one partial index per way of paging them,
        # so a count or a first page reads an index, never 10,000 rows with their bodies.
        *(
            sa.Index(
                f"ix_proposals_visible_{name}",
                "council_id",
                *columns,
                sqlite_where=sa.text("hidden_at IS NULL"),
                postgresql_where=sa.text("hidden_at IS NULL"),
            )
            for name, columns in (
                ("created", ("created_at", "id")),
                ("status", ("status", "created_at")),
                ("supports", ("supports_count", "created_at")),
                ("comments", ("comments_count", "created_at")),
                ("constituency", ("author_constituency", "created_at")),
            )
        ),
        sa.Index(
            "ix_proposals_hidden",
            "council_id",
            sqlite_where=sa.text("hidden_at IS NOT NULL"),
            postgresql_where=sa.text("hidden_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The author's constituency in this council when they wrote it (memberships can change).
    author_constituency: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", server_default="open")
    status_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    supports_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    comments_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    hidden_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    council = relationship("Council", lazy="joined", innerjoin=True)
    author = relationship("User", lazy="joined", innerjoin=True)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ProposalTheme(db.Model):
    """A theme (tag) of a proposal, as a slug; a table of its own so lists filter by it.

    ``council_id`` repeats the proposal's council (which never changes) so that a council's
    themes are read from one index.
    """

    __tablename__ = "proposal_themes"
    __table_args__ = (
        sa.Index("ix_proposal_themes_theme", "theme", "proposal_id"),
        sa.Index("ix_proposal_themes_council", "council_id", "theme"),
    )

    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))


class ProposalVersion(db.Model):
    """One published text of a proposal. Version 1 is the original; never edited."""

    __tablename__ = "proposal_versions"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    themes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Whose text this is: the proposal's author for an edit, the amendment's author otherwise.
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    amendment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal_amendments.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    author = relationship("User")


class Comment(db.Model):
    """A comment with a stance; ``parent_id`` makes threads.

    The composite foreign key (parent_id, proposal_id) -> (id, proposal_id) makes a reply to a
    comment of another proposal impossible in the database itself.
    """

    __tablename__ = "proposal_comments"
    __table_args__ = (
        sa.UniqueConstraint("id", "proposal_id"),
        sa.ForeignKeyConstraint(
            ["parent_id", "proposal_id"],
            ["proposal_comments.id", "proposal_comments.proposal_id"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"stance IN ({_in(STANCES)})", name="stance"),
        sa.CheckConstraint(
            f"author_constituency IN ({_in(CONSTITUENCIES)})", name="author_constituency"
        ),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.Index("ix_proposal_comments_proposal_created", "proposal_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.Integer)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    author_constituency: Mapped[str] = mapped_column(sa.String(20))
    stance: Mapped[str] = mapped_column(sa.String(10))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    hidden_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Support(db.Model):
    """One member's support of a proposal: one per member (unique), withdrawn by deleting it."""

    __tablename__ = "proposal_supports"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "user_id"),
        # Counting by constituency (the page, the list, the bridging sort) reads only this.
        sa.Index("ix_proposal_supports_proposal_constituency", "proposal_id", "constituency"),
        sa.CheckConstraint(f"constituency IN ({_in(CONSTITUENCIES)})", name="constituency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    constituency: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class Amendment(db.Model):
    """A proposed replacement of the body, with a reason; the author accepts or declines it.

    ``lapsed``: still pending when the proposal was decided or withdrawn.
    """

    __tablename__ = "proposal_amendments"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(AMENDMENT_STATUSES)})", name="status"),
        sa.CheckConstraint(
            f"author_constituency IN ({_in(CONSTITUENCIES)})", name="author_constituency"
        ),
        sa.CheckConstraint(
            "(status = 'accepted') = (resulting_version IS NOT NULL)", name="accepted_version"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    author_constituency: Mapped[str] = mapped_column(sa.String(20))
    body: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    # The version of the proposal the amendment was written against.
    base_version: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", server_default="pending")
    response: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    resulting_version: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    author = relationship("User")


class Follow(db.Model):
    """Someone follows a proposal: told in the app about comments, amendments and status."""

    __tablename__ = "proposal_follows"

    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class Flag(db.Model):
    """A signed-in person asks the clerk to look at a proposal (comment_id NULL) or a comment.

    One flag per person per piece of content (partial unique indexes, since NULLs differ).
    """

    __tablename__ = "proposal_flags"
    __table_args__ = (
        sa.Index(
            "uq_proposal_flags_proposal_user",
            "proposal_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("comment_id IS NULL"),
            postgresql_where=sa.text("comment_id IS NULL"),
        ),
        sa.Index(
            "uq_proposal_flags_comment_user",
            "comment_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("comment_id IS NOT NULL"),
            postgresql_where=sa.text("comment_id IS NOT NULL"),
        ),
        sa.CheckConstraint(
            f"resolution IS NULL OR resolution IN ({_in(FLAG_RESOLUTIONS)})", name="resolution"
        ),
        sa.CheckConstraint("(resolution IS NULL) = (resolved_at IS NULL)", name="resolved"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal_comments.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    resolution: Mapped[str | None] = mapped_column(sa.String(10))
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])


class Hiding(db.Model):
    """A clerk hid a proposal or a comment, with a public reason; one appeal; the decision.

    The content stays in its table (``hidden_at``/``hidden_reason`` there say how to show it).
    """

    __tablename__ = "proposal_hidings"
    __table_args__ = (
        sa.CheckConstraint(
            f"decision IS NULL OR decision IN ({_in(APPEAL_DECISIONS)})", name="decision"
        ),
        sa.CheckConstraint("decision IS NULL OR appealed_at IS NOT NULL", name="decided_appeal"),
        sa.CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decided"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal_comments.id", ondelete="CASCADE")
    )
    # The author of the hidden content: the one person who may appeal.
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    hidden_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    appeal: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    appealed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decision: Mapped[str | None] = mapped_column(sa.String(10))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    author = relationship("User", foreign_keys=[author_id])
    hidden_by = relationship("User", foreign_keys=[hidden_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
