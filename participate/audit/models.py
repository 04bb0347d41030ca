"""Append-only, hash-chained audit events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.util import utcnow

GENESIS = "0" * 64


class AuditEvent(db.Model):
    """One state change. ``seq`` and ``prev_hash`` are unique, so the chain cannot fork."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    council_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("councils.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(60))
    subject_type: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    data: Mapped[str] = mapped_column(sa.Text, default="{}", server_default="{}")
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    actor = relationship("User")
    council = relationship("Council")


class AuditHead(db.Model):
    """The single row every append locks first, so appends are serialised on every database."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
