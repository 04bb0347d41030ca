"""Notify people in the app, and by e-mail as each person chose (preferences.py)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from participate.extensions import db
from participate.notifications import kinds as K
from participate.notifications import mailing, preferences
from participate.notifications.models import Notification
from participate.util import utcnow


def notify(
    user_ids: Iterable[int], kind: str, text: str, link: str = "", *, email: bool = False
) -> int:
    """Add one notification per person (inside the caller's transaction); returns how many.

    Who also gets it by e-mail at once is each person's choice for ``kind`` (kinds.py,
    preferences.py); the others' digest picks it up later unless they chose no e-mail.
    ``email=True`` says the notification is about the person, which sets the default of a
    kind kinds.py does not list yet (at once rather than the digest).
    """
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    now = utcnow()
    mail_now = dict(preferences.recipients(ids, kind, K.IMMEDIATE, about_them=email))
    rows = [
        {
            "user_id": uid,
            "kind": kind,
            "text": text,
            "link": link,
            "created_at": now,
            "mailed_at": now if uid in mail_now else None,
        }
        for uid in ids
    ]
    db.session.execute(sa.insert(Notification), rows)
    if mail_now:
        subject = mailing.subject_of(text)
        body = mailing.notification_body(text, link)
        for uid, address in mail_now.items():
            mailing.send(uid, address, subject, body, kind)
    return len(rows)


def email_people(
    user_ids: Iterable[int], subject: str, body: str, link: str = "", *, kind: str = "upward_answer"
) -> int:
    """E-mail ``body`` (and the page at ``link``) to the people who keep e-mail on and did not
    turn ``kind`` off: a direct message, not a stored notification (today: the upward
    answer, DESIGN §5). Returns how many messages were sent."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    text = mailing.plain(body)
    if link:
        text += f"\n\n{mailing.base_url()}{link}"
    sent = 0
    for uid, address in preferences.recipients(ids, kind, K.IMMEDIATE, about_them=True):
        mailing.send(uid, address, mailing.plain(subject), text, kind)
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
