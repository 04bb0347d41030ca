"""Notify people in the app, and by e-mail when they asked for it."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from participate.extensions import db
from participate.notifications.models import Notification
from participate.util import utcnow


def notify(
    user_ids: Iterable[int], kind: str, text: str, link: str = "", *, email: bool = False
) -> int:
    """Add one notification per person (inside the caller's transaction); returns how many.

    With ``email=True`` the people who keep e-mail notifications on also get it by mail (for
    decisions about them; routine activity stays in the app so nobody is flooded).
    """
    ids = sorted(set(user_ids))
    rows = [
        {"user_id": uid, "kind": kind, "text": text, "link": link, "created_at": utcnow()}
        for uid in ids
    ]
    if rows:
        db.session.execute(sa.insert(Notification), rows)
    if email and ids:
        from flask import current_app

        from participate.accounts.models import User
        from participate.mail import send_mail

        base = current_app.config.get("BASE_URL", "").rstrip("/")
        for address in db.session.scalars(
            sa.select(User.email).where(User.id.in_(ids), User.email_notifications.is_(True))
        ):
            send_mail(
                address,
                text[:120],
                f"{text}\n\n{base}{link}\n\nChange your e-mail settings on your profile.",
            )
    return len(rows)


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_for(user_id: int, limit: int = 100) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
