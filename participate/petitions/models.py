"""Petitions, their sponsors and signatures, and the counters that keep signing cheap.

A signature is one INSERT: the counts shown are kept in `PetitionCounter` (one row per
petition) and `PetitionTally` (per constituency, place and hour), refreshed in batches
from the signatures table (see participate/petitions/signature_counter.py).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.core.petitions import DECLARATIONS, KINDS, STATUSES
from participate.councils.models import CONSTITUENCIES, Council
from participate.extensions import db
from participate.util import utcnow

PUBLISHED = ("open", "threshold_reached", "closed", "closed_unsuccessful")
SIGNABLE = ("open", "threshold_reached")
RESPONSE_DECISIONS = ("adopted", "partly_adopted", "rejected")
RESPONSE_ROUTES = ("round", "meeting")
TALLY_DIMENSIONS = ("constituency", "place", "hour")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Petition(db.Model):
    __tablename__ = "petitions"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        sa.CheckConstraint(
            f"status NOT IN ({_in(PUBLISHED)}) OR (threshold >= 1 AND signing_deadline IS NOT NULL)",
            name="published_has_threshold",
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR rejection_reason <> ''", name="rejected_reason"
        ),
        sa.CheckConstraint(
            "status NOT IN ('threshold_reached', 'closed') OR threshold_reached_at IS NOT NULL",
            name="reached_has_time",
        ),
        sa.CheckConstraint(
            "status <> 'closed' OR responded_at IS NOT NULL", name="closed_answered"
        ),
        sa.CheckConstraint("sponsors_needed >= 0", name="sponsors_needed"),
        sa.CheckConstraint(
            f"response_decision IS NULL OR response_decision IN ({_in(RESPONSE_DECISIONS)})",
            name="response_decision",
        ),
        sa.Index("ix_petitions_council_status", "council_id", "status"),
        sa.Index("ix_petitions_status_deadline", "status", "signing_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(200))
    change_text: Mapped[str] = mapped_column(sa.Text)
    reason_text: Mapped[str] = mapped_column(sa.Text)
    change_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    reason_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # constitution_change (and optionally cooperative_governance): validated settings.
    proposed_settings: Mapped[dict | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(30), default="draft")
    sponsor_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    sponsors_needed: Mapped[int] = mapped_column(sa.Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    sponsors_invited_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    moderated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rejection_standard: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    opened_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    signing_deadline: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # Fixed at publication: signers aim at a number that does not move under them.
    threshold: Mapped[int | None] = mapped_column(sa.Integer)
    threshold_explanation: Mapped[str] = mapped_column(
        sa.String(200), default="", server_default=""
    )
    threshold_reached_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    response_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    response_decision: Mapped[str | None] = mapped_column(sa.String(20))
    response_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    response_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    response_route: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    # References to the rounds and votes features (their tables may not exist yet).
    response_round_id: Mapped[int | None] = mapped_column(sa.Integer)
    response_motion_id: Mapped[int | None] = mapped_column(sa.Integer)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    constitution_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("constitution_versions.id")
    )
    governance_motion_id: Mapped[int | None] = mapped_column(sa.Integer)

    council = relationship(Council, lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    moderated_by = relationship("User", foreign_keys=[moderated_by_id])
    responded_by = relationship("User", foreign_keys=[responded_by_id])
    constitution_version = relationship("ConstitutionVersion")

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED

    @property
    def is_signable(self) -> bool:
        return self.status in SIGNABLE


class PetitionSponsor(db.Model):
    __tablename__ = "petition_sponsors"
    __table_args__ = (sa.UniqueConstraint("petition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    user = relationship("User")


class Signature(db.Model):
    """One person's signature. The unique constraint is the one-signature-per-person rule."""

    __tablename__ = "signatures"
    __table_args__ = (
        sa.UniqueConstraint("petition_id", "user_id"),
        sa.CheckConstraint(f"constituency IN ({_in(CONSTITUENCIES)})", name="constituency"),
        sa.CheckConstraint(f"declaration IN ({_in(DECLARATIONS)})", name="declaration"),
        sa.CheckConstraint(
            "(invalidated_at IS NULL) = (invalidation_reason = '')", name="invalidation_reason"
        ),
        # Batches count "petition_id = ? AND id > last counted id" from this index.
        sa.Index("ix_signatures_petition_id_id", "petition_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    constituency: Mapped[str] = mapped_column(sa.String(20))
    declaration: Mapped[str] = mapped_column(sa.String(10))
    # The local place the signer declared they live or work in (a member's: the council's).
    place_id: Mapped[int] = mapped_column(sa.ForeignKey("places.id"))
    # The service an employee declared they work for (declaration "work"; migration 0009).
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    invalidated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    invalidated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    invalidation_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    user = relationship("User", foreign_keys=[user_id])
    place = relationship("Place")
    service = relationship("Service")


class PetitionCounter(db.Model):
    """The shown count: valid signatures with id <= last_signature_id.

    Refreshed in batches by a guarded UPDATE (WHERE last_signature_id = old AND epoch =
    old), so each batch is applied once whichever process runs it. ``epoch`` changes when a
    clerk invalidates signatures or a reconcile rewrites the counter.
    """

    __tablename__ = "petition_counters"
    __table_args__ = (sa.CheckConstraint("count >= 0", name="count"),)

    petition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_signature_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    epoch: Mapped[int] = mapped_column(sa.Integer, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class PetitionTally(db.Model):
    """Counts by constituency, by place (key: place id) and by hour (key: YYYY-MM-DD HH)."""

    __tablename__ = "petition_tallies"
    __table_args__ = (
        sa.UniqueConstraint("petition_id", "dimension", "key"),
        sa.CheckConstraint(f"dimension IN ({_in(TALLY_DIMENSIONS)})", name="dimension"),
        sa.CheckConstraint("count >= 0", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(40))
    count: Mapped[int] = mapped_column(sa.Integer, default=0)


class PetitionMilestone(db.Model):
    """When a petition's count first reached a milestone or its threshold, and by which signature."""

    __tablename__ = "petition_milestones"
    __table_args__ = (sa.UniqueConstraint("petition_id", "milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(sa.ForeignKey("petitions.id", ondelete="CASCADE"))
    milestone: Mapped[int] = mapped_column(sa.Integer)
    is_threshold: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    reached_at: Mapped[datetime] = mapped_column(sa.DateTime)
    signature_id: Mapped[int | None] = mapped_column(sa.Integer)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


def move_status(petition_id: int, from_status: str, **values) -> bool:
    """Move a petition out of ``from_status`` with one guarded UPDATE (``values`` holds the new
    status and its timestamps): True when this call moved it, False when another request (a
    second clerk, a parallel signer, a job) had already moved it on. Callers say what that
    means for them: a Conflict to a person, nothing to do for the system."""
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition_id, Petition.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(moved)
