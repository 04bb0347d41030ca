"""Tables of deliberation rounds: the round and its schedule, the phase log, the agenda,
the evidence pack (text, links, attachments) and members' questions.

The invariants a race could break are database constraints:

- the planned ends follow the phases' order (CHECK ``schedule_order``);
- each phase is entered at most once per round (UNIQUE (round_id, to_phase) on the phase
  log), so two clerks advancing at once cannot both record the same transition — on top of
  the guarded ``UPDATE ... WHERE phase = :expected`` the services use;
- an agenda item is one proposal or one petition (CHECK ``one_subject``), each at most once
  per round; a merged item never gets its own motion; a decision always has its time.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

import participate.petitions.models  # noqa: F401  (tables referenced below)
import participate.proposals.models  # noqa: F401
import participate.votes.models  # noqa: F401
from participate.core.phases import PHASES, SCHEDULED_PHASES
from participate.councils.models import CONSTITUENCIES
from participate.extensions import db
from participate.util import utcnow

PHASE_LABELS = {
    "briefing": "Briefing",
    "discussion": "Discussion",
    "refinement": "Refinement",
    "voting": "Voting",
    "outcome": "Outcome",
    "closed": "Closed",
}
PHASE_PURPOSES = {
    "briefing": "The clerk publishes the evidence pack; members read it and ask questions.",
    "discussion": "Members comment on the agenda items, for, against or neutral.",
    "refinement": "Members propose amendments; authors accept or decline them.",
    "voting": "Each agenda item has a motion; members vote.",
    "outcome": "The clerk records each decision, its reasons and any minority report.",
    "closed": "The minutes are published.",
}
ITEM_KINDS = ("proposal", "petition", "consultation")
DECISIONS = ("adopted", "rejected", "deferred")
ITEM_METHODS = ("binary", "schulze", "consent")
ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")
CHANGE_CAUSES = ("clerk", "schedule")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _end_column(phase: str) -> str:
    return f"{phase}_ends_at"


class Round(db.Model):
    """A clerk-run deliberation round of one council."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint(f"phase IN ({_in(PHASES)})", name="phase"),
        sa.CheckConstraint(
            " AND ".join(
                f"{_end_column(a)} < {_end_column(b)}"
                for a, b in zip(SCHEDULED_PHASES, SCHEDULED_PHASES[1:], strict=False)
            ),
            name="schedule_order",
        ),
        sa.CheckConstraint("(phase = 'closed') = (closed_at IS NOT NULL)", name="closed_at"),
        sa.CheckConstraint("minutes IS NULL OR phase = 'closed'", name="minutes_when_closed"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_rounds_council_phase", "council_id", "phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text)
    purpose_html: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    evidence_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    phase: Mapped[str] = mapped_column(sa.String(12), default="briefing", server_default="briefing")
    # Bumped by every phase change, under the guard WHERE phase = :expected AND version = :v.
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    phase_started_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    briefing_ends_at: Mapped[datetime] = mapped_column(sa.DateTime)
    discussion_ends_at: Mapped[datetime] = mapped_column(sa.DateTime)
    refinement_ends_at: Mapped[datetime] = mapped_column(sa.DateTime)
    voting_ends_at: Mapped[datetime] = mapped_column(sa.DateTime)
    outcome_ends_at: Mapped[datetime] = mapped_column(sa.DateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # The published minutes: a snapshot of the record taken when the round closed.
    minutes: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    minutes_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    minutes_published_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    council = relationship("Council", lazy="joined", innerjoin=True)
    created_by = relationship("User")

    def planned_ends(self) -> dict[str, datetime]:
        return {phase: getattr(self, _end_column(phase)) for phase in SCHEDULED_PHASES}

    def planned_end(self, phase: str) -> datetime | None:
        return getattr(self, _end_column(phase), None) if phase in SCHEDULED_PHASES else None

    @property
    def is_closed(self) -> bool:
        return self.phase == "closed"

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.phase]


class PhaseChange(db.Model):
    """One step of a round into a phase; each phase is entered once (unique)."""

    __tablename__ = "round_phase_changes"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "to_phase"),
        sa.CheckConstraint(f"to_phase IN ({_in(PHASES)})", name="to_phase"),
        sa.CheckConstraint(f"cause IN ({_in(CHANGE_CAUSES)})", name="cause"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    from_phase: Mapped[str] = mapped_column(sa.String(12), default="", server_default="")
    to_phase: Mapped[str] = mapped_column(sa.String(12))
    cause: Mapped[str] = mapped_column(sa.String(10))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class AgendaItem(db.Model):
    """One item of a round's agenda: a proposal or a petition (one nullable key per kind, so
    another kind — a consultation — adds a column and a case of ``one_subject``)."""

    __tablename__ = "round_agenda_items"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "position"),
        sa.UniqueConstraint("round_id", "proposal_id"),
        sa.UniqueConstraint("round_id", "petition_id"),
        sa.UniqueConstraint("round_id", "consultation_id"),
        sa.CheckConstraint(f"kind IN ({_in(ITEM_KINDS)})", name="kind"),
        sa.CheckConstraint(
            "(kind = 'proposal' AND proposal_id IS NOT NULL AND petition_id IS NULL "
            "AND consultation_id IS NULL) OR "
            "(kind = 'petition' AND petition_id IS NOT NULL AND proposal_id IS NULL "
            "AND consultation_id IS NULL) OR "
            "(kind = 'consultation' AND consultation_id IS NOT NULL AND proposal_id IS NULL "
            "AND petition_id IS NULL)",
            name="one_subject",
        ),
        sa.CheckConstraint("position >= 1", name="position"),
        sa.CheckConstraint(f"method IN ({_in(ITEM_METHODS)})", name="method"),
        sa.CheckConstraint("method <> 'schulze' OR options IS NOT NULL", name="schulze_options"),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR motion_id IS NULL", name="merged_without_motion"
        ),
        sa.CheckConstraint(f"decision IS NULL OR decision IN ({_in(DECISIONS)})", name="decision"),
        sa.CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(20))
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    petition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("petitions.id"), index=True)
    # A national consultation the council answers (the upward feature registers the kind,
    # `participate.rounds.hooks`; its table is loaded with every feature's models; 0006_upward).
    consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("upward_consultations.id"), index=True
    )
    # The subject's title when it was put on the agenda (the agenda and minutes show it).
    title: Mapped[str] = mapped_column(sa.String(200))
    added_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("round_agenda_items.id", ondelete="SET NULL")
    )
    merge_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    merged_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # How the item is put to the vote; the motion is made when voting opens.
    method: Mapped[str] = mapped_column(sa.String(10), default="binary", server_default="binary")
    options: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    motion_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("motions.id", ondelete="SET NULL"), unique=True
    )
    decision: Mapped[str | None] = mapped_column(sa.String(10))
    reasons: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    minority_report: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    round = relationship(Round, backref=backref("items", order_by="AgendaItem.position"))
    motion = relationship("Motion")

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def subject_id(self) -> int | None:
        if self.kind == "consultation":
            return self.consultation_id
        return self.proposal_id if self.kind == "proposal" else self.petition_id

    @property
    def subject_url(self) -> str:
        return f"/{self.kind}s/{self.subject_id}"


class Question(db.Model):
    """A member's question to the clerk about the round or one of its items, and the answer."""

    __tablename__ = "round_questions"
    __table_args__ = (
        sa.CheckConstraint(
            f"author_constituency IN ({_in(CONSTITUENCIES)})", name="author_constituency"
        ),
        sa.CheckConstraint("(answered_at IS NULL) = (answer = '')", name="answered"),
        sa.Index("ix_round_questions_round_id", "round_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("round_agenda_items.id", ondelete="SET NULL")
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    author_constituency: Mapped[str] = mapped_column(sa.String(20))
    phase: Mapped[str] = mapped_column(sa.String(12))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    answer_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    author = relationship("User", foreign_keys=[author_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])


class EvidenceLink(db.Model):
    """A link in the evidence pack (http or https only: the database refuses anything else)."""

    __tablename__ = "round_links"
    __table_args__ = (
        sa.CheckConstraint("url LIKE 'https://%' OR url LIKE 'http://%'", name="http_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class Attachment(db.Model):
    """A file of the evidence pack, stored under the instance folder as ``stored_name``."""

    __tablename__ = "round_attachments"
    __table_args__ = (
        sa.CheckConstraint(f"content_type IN ({_in(ATTACHMENT_TYPES)})", name="content_type"),
        sa.CheckConstraint("size > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
