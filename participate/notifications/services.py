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
        email_people(ids, text[:120], text, link)
    return len(rows)


def email_people(user_ids: Iterable[int], subject: str, body: str, link: str = "") -> int:
    """E-mail ``body`` (and the page at ``link``) to the people who keep e-mail notifications
    on; the others are left alone. Returns how many messages were sent."""
    from flask import current_app

    from participate.accounts.models import User
    from participate.mail import send_mail

    ids = sorted(set(user_ids))
    if not ids:
        return 0
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    sent = 0
    for start in range(0, len(ids), 500):
        for address in db.session.scalars(
            sa.select(User.email).where(
                User.id.in_(ids[start : start + 500]), User.email_notifications.is_(True)
            )
        ):
            send_mail(
                address,
                subject,
                f"{body}\n\n{base}{link}\n\nChange your e-mail settings on your profile.",
            )
            sent += 1
    return sent


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
