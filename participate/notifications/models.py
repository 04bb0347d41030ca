"""In-app notifications, each person's e-mail settings, and what was mailed (digests and
reminders), so nothing goes twice."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from participate.extensions import db
from participate.util import utcnow


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_created_at", "created_at"),  # the digest's window
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # When it went out by e-mail (at once or in a digest); NULL: not (yet) mailed.
    mailed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


class NotificationSetting(db.Model):
    """A person's choice for one kind (kinds.py); no row means the kind's default."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        sa.CheckConstraint("delivery IN ('immediate', 'digest', 'off')", name="delivery"),
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    delivery: Mapped[str] = mapped_column(sa.String(10))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class DigestSent(db.Model):
    """One daily digest sent to one person: the unique (person, day) is the claim that makes
    a second run, or a second worker, send nothing twice."""

    __tablename__ = "notification_digests"
    __table_args__ = (sa.UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    items: Mapped[int] = mapped_column(sa.Integer)
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class ReminderSent(db.Model):
    """One reminder given to one person about one thing (``subject`` such as "round:12"):
    the unique key is the claim, so each reminder goes once per person per object."""

    __tablename__ = "notification_reminders"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(60))
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
