"""Motions, the eligibility snapshot, who voted, and the secret ballots (DESIGN §3).

The privacy design, in one place:

- ``motion_participation`` records THAT a member voted (one row per member per motion).
- ``ballots`` records WHAT was chosen, sealed, with no user column. A ballot is found by
  ``ref = HMAC(SECRET_KEY, "<motion_id>:<user_id>")``: the server (which holds the key)
  can find a voter's own ballot to change it. The choice and the receipt are sealed
  (AES-GCM, ``participate.votes.seal``), so whatever a database keeps about the two writes
  of one cast (PostgreSQL's transaction ids, physical row order, a dump's order) may join
  a participation row to a ballot row, but never to a choice: a reader without the key
  sees only equal-length ciphertext, and the published ballot file's receipts match no
  column. ``receipt`` is random (``secrets``), never derived from the voter, and keeps its
  value when the ballot is changed.
- Neither table carries a timestamp, and on SQLite both are WITHOUT ROWID (stored in key
  order, not in the order people voted).

The invariants are database constraints and triggers (migrations 0003_votes and
0007_sealed_ballots): one ballot per voter per motion (primary key on (motion_id, ref)),
one participation row per member, unique receipts, no ballot write unless the motion is
open and its closing time has not passed, no change to a motion's rules, method or
options once voting opened, no change to the eligibility snapshot once voting opened.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.councils.models import CONSTITUENCIES
from participate.extensions import db
from participate.util import utcnow

METHODS = ("binary", "schulze", "consent")
METHOD_LABELS = {
    "binary": "Yes / no",
    "schulze": "Ranked choice (Schulze)",
    "consent": "Consent (proceed unless someone objects)",
}
KINDS = ("ordinary", "governance")
STATUSES = ("draft", "open", "closed")
CHOICES = ("yes", "no", "abstain", "consent", "object")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


# JSON columns store Python None as SQL NULL, so "IS NULL" checks mean what they say.
JSON = sa.JSON(none_as_null=True)


class Motion(db.Model):
    """A question put to a council's members: a standalone motion or a round's agenda item."""

    __tablename__ = "motions"
    __table_args__ = (
        sa.CheckConstraint(f"method IN ({_in(METHODS)})", name="method"),
        sa.CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        sa.CheckConstraint("method <> 'schulze' OR options IS NOT NULL", name="schulze_options"),
        sa.CheckConstraint(
            "status = 'draft' OR (rules IS NOT NULL AND eligible IS NOT NULL "
            "AND opens_at IS NOT NULL)",
            name="opened_with_rules",
        ),
        sa.CheckConstraint(
            "status <> 'closed' OR (result IS NOT NULL AND closed_at IS NOT NULL)",
            name="closed_with_result",
        ),
        sa.CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name="closes_after_opening",
        ),
        sa.Index("ix_motions_council_status", "council_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    method: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(12), default="ordinary", server_default="ordinary")
    # Schulze: the options in the order given (that order breaks exact ties).
    options: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", server_default="draft")
    # Where the motion comes from, for a link back: "" (standalone) or e.g. "round:12".
    origin: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    # Copied from the constitution when voting opens: weights, quorum, threshold,
    # min_constituencies, concurrent_majority. Frozen from then on (trigger).
    rules: Mapped[dict | None] = mapped_column(JSON)
    constitution_version: Mapped[int | None] = mapped_column(sa.Integer)
    # Eligible voters per constituency at opening (the snapshot's counts, kept with the
    # motion so that the published figures never move).
    eligible: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    opens_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closes_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    council = relationship("Council")
    created_by = relationship("User")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def passed(self) -> bool | None:
        return None if self.result is None else self.result.get("passed")


class MotionEligibility(db.Model):
    """Who may vote on a motion: the council's active members when voting opened."""

    __tablename__ = "motion_eligibility"
    __table_args__ = (
        sa.CheckConstraint(f"constituency IN ({_in(CONSTITUENCIES)})", name="constituency"),
        {"sqlite_with_rowid": False},
    )

    motion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("motions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    constituency: Mapped[str] = mapped_column(sa.String(20))


class MotionParticipation(db.Model):
    """THAT a member voted on a motion; never what. No timestamp, on purpose."""

    __tablename__ = "motion_participation"
    __table_args__ = ({"sqlite_with_rowid": False},)

    motion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("motions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Ballot(db.Model):
    """One secret ballot, sealed (``participate.votes.seal``). No user column, no choice or
    receipt in the clear, no timestamp: see the module docstring."""

    __tablename__ = "ballots"
    __table_args__ = (
        sa.CheckConstraint(f"constituency IN ({_in(CONSTITUENCIES)})", name="constituency"),
        {"sqlite_with_rowid": False},
    )

    motion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("motions.id", ondelete="CASCADE"), primary_key=True
    )
    # HMAC(SECRET_KEY, "<motion_id>:<user_id>"), hex.
    ref: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # HMAC(seal key, receipt), hex: finds a published receipt's row, and keeps receipts unique.
    receipt_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    receipt_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    constituency: Mapped[str] = mapped_column(sa.String(20))
    # The choice, ranking (as option indices) or objection, sealed to one length per method.
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
