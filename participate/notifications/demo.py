"""The demo's e-mail settings: a few people chose differently from the defaults, as real
people do, so the settings page, the digest and the reminders show their effect."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.extensions import db
from participate.notifications import kinds as K
from participate.notifications.models import Notification
from participate.notifications.preferences import apply_settings
from participate.util import utcnow

# demo person's key (participate.seed.councils.DEMO_PEOPLE and the clerks) -> (all e-mail, choices)
DEMO_SETTINGS: dict[str, tuple[bool | None, dict[str, str]]] = {
    # an engaged resident: comments and votes at once, phases not at all
    "citizen": (
        None,
        {"proposal_comment": K.IMMEDIATE, "vote_open": K.IMMEDIATE, "round_phase": K.OFF},
    ),
    # a busy employee: decisions and reminders only, routine activity stays on the site
    "employee": (
        None,
        {
            "proposal_comment": K.OFF,
            "proposal_edited": K.OFF,
            "round_phase": K.OFF,
            "vote_result": K.OFF,
        },
    ),
    # a councillor who reads everything on the site and wants no e-mail at all
    "elected": (False, {}),
    # the Manchester clerk wants join requests and members' questions at once
    "clerk": (None, {"membership_request": K.IMMEDIATE, "round_question": K.IMMEDIATE}),
    # the minister: what reaches the national inbox, at once
    "minister": (None, {"upward_forwarded": K.IMMEDIATE, "upward_referred": K.IMMEDIATE}),
}


def seed_settings(people: dict[str, User]) -> int:
    """Apply the demo's choices in the caller's transaction; returns how many people."""
    done = 0
    for key, (email, changes) in DEMO_SETTINGS.items():
        if key in people:
            apply_settings(people[key], email=email, changes=changes)
            done += 1
    return done


def settle_read(fewest: int = 3, spread: int = 10) -> int:
    """Mark the demo's older notifications read, as the people would have read them: each
    person keeps only their newest few unread (between ``fewest`` and ``fewest + spread - 1``,
    varying by person), so nobody opens the demo to a hundred new ones. Returns how many."""
    ranked = sa.select(
        Notification.id,
        Notification.user_id,
        sa.func.row_number()
        .over(
            partition_by=Notification.user_id,
            order_by=(Notification.created_at.desc(), Notification.id.desc()),
        )
        .label("n"),
    ).subquery()
    older = sa.select(ranked.c.id).where(ranked.c.n > fewest + ranked.c.user_id % spread)
    # each read within a day or so of its arrival (never later than now)
    now = utcnow()
    read = [
        {"id": nid, "read_at": min(created + timedelta(hours=2 + nid % 30), now)}
        for nid, created in db.session.execute(
            sa.select(Notification.id, Notification.created_at).where(
                Notification.id.in_(older), Notification.read_at.is_(None)
            )
        ).tuples()
    ]
    if read:  # an UPDATE by primary key, run once per row (executemany)
        db.session.execute(sa.update(Notification), read)
    return len(read)
