"""Notify people in the app, and by e-mail as each person chose (preferences.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from participate.extensions import db
from participate.mail import base_url
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
        text += f"\n\n{base_url()}{link}"
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


@dataclass
class Entry:
    """One row of the notifications page: one notification, or several of one kind about
    one thing on one day ("3 new comments on “X”"), with the single ones behind it."""

    text: str
    link: str
    at: datetime
    new: bool
    items: list[Entry] = field(default_factory=list)  # when several: each of them
    unread_ids: list[int] = field(default_factory=list)


@dataclass
class Day:
    label: str
    entries: list[Entry]


# How several notifications of a kind about one thing are summed up; {n} and {about}.
_SUMMARIES = {
    "proposal_comment": "{n} new comments on {about}",
    "proposal_amendment": "{n} changes to the amendments of {about}",
    "proposal_edited": "{n} revisions of {about}",
    "proposal_status": "{n} status changes of {about}",
    "round_phase": "the round {about} moved on {n} phases",
    "round_question": "{n} new questions in {about}",
    "round_answer": "{n} answers to your questions in {about}",
    "membership_request": "{n} people ask to join {about}",
    "petition_threshold": "{n} updates on {about}",
    "upward_forwarded": "{n} proposals forwarded to the same group in your inbox",
}
_QUOTED = re.compile(r"“[^”]+”")


def _about(link: str) -> str:
    """The thing a link is about: its path without the #fragment or a trailing sub-page."""
    path = link.split("#", 1)[0]
    return re.sub(r"^(/(?:proposals|rounds|petitions|motions|consultations)/\d+)/.*$", r"\1", path)


def _summary(kind: str, group: list[Notification]) -> str:
    quoted = _QUOTED.search(group[0].text)
    about_words = quoted.group(0) if quoted else "the same page"
    if kind == "membership_request":
        about_words = "a council you clerk"
    pattern = _SUMMARIES.get(kind, "{n} updates about {about}")
    text = pattern.format(n=len(group), about=about_words)
    return mailing.sentence(text[0].upper() + text[1:])


def feed_for(user_id: int, *, today: date | None = None, limit: int = 100) -> list[Day]:
    """The newest ``limit`` notifications as days (newest first), each day's notifications
    of one kind about one thing gathered into one entry."""
    today = today or utcnow().date()
    days: list[Day] = []
    groups: dict[tuple, list[Notification]] = {}
    order: list[tuple] = []
    for note in list_for(user_id, limit):
        key = (note.created_at.date(), note.kind, _about(note.link) if note.link else note.id)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(note)
    for key in order:
        day, kind, about = key
        group = groups[key]
        if not days or days[-1].label != _day_label(day, today):
            days.append(Day(_day_label(day, today), []))
        singles = [
            Entry(mailing.sentence(n.text), n.link, n.created_at, n.read_at is None) for n in group
        ]
        if len(group) == 1:
            entry = singles[0]
        else:
            link = about if isinstance(about, str) else ""
            new = any(single.new for single in singles)
            entry = Entry(_summary(kind, group), link, group[0].created_at, new, singles)
        entry.unread_ids = [n.id for n in group if n.read_at is None]
        days[-1].entries.append(entry)
    return days


def _day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return f"{day:%A %-d %B %Y}"


def mark_read(user_id: int, ids: Iterable[int]) -> None:
    """Mark these of the person's notifications read (the ones the page just showed)."""
    ids = list(ids)
    for start in range(0, len(ids), 500):
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.id.in_(ids[start : start + 500]),
                Notification.read_at.is_(None),
            )
            .values(read_at=utcnow())
        )
    db.session.commit()


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
