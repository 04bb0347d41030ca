"""The job engine's tables: a claim per scheduled job, and the one-time effects it applied.

``outgoing_mail`` (participate.mail) holds its own claim columns and is re-exported here so
the migrations and the schema test see every table of the job engine together.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participate.extensions import db
from participate.mail import OutgoingMail
from participate.util import utcnow

__all__ = ["JobEffect", "JobRun", "OutgoingMail"]


class JobRun(db.Model):
    """One scheduled job's claim and its last run.

    A run claims the row with one guarded UPDATE (``WHERE claimed_until IS NULL OR
    claimed_until <= now``, and the period not done yet), so a second worker or a second
    scheduler finds nothing to claim. Success records the period done and releases the
    claim; a failure leaves the claim to expire, and the job is tried again after it.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.CheckConstraint("(claimed_until IS NULL) = (claim_token IS NULL)", name="claim"),
        sa.CheckConstraint("runs >= 0 AND failures >= 0", name="counts"),
    )

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    # The start of the last period (a minute, a day...) the job completed.
    done_period: Mapped[datetime | None] = mapped_column(sa.DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    runs: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    last_result: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class JobEffect(db.Model):
    """An effect a job applies once per subject (e.g. telling a council its consultation
    closed): inserted in the same transaction as the effect, so the primary key refuses a
    second one."""

    __tablename__ = "job_effects"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
