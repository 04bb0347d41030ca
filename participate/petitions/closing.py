"""Closing a petition whose signing deadline passed short of its threshold.

There is no scheduler for it: reads and writes close a petition found past its deadline
(`close_if_due`), lists close every such petition first (`close_expired`), and the
scheduled job calls the same (participate.jobs). The counter is brought up to date first,
so a petition that reached its threshold in time is not closed unsuccessful.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import petitions as rules
from participate.extensions import db
from participate.notifications.services import notify
from participate.petitions import signature_counter
from participate.petitions.models import Petition, move_status
from participate.util import utcnow


def close_if_due(petition_id: int, *, now: datetime | None = None) -> bool:
    """Close an open petition whose deadline passed (plus a grace) short of its threshold.

    Called on reads and writes (there is no scheduler). The counter is brought up to date
    first: a petition that reached its threshold in time is not closed unsuccessful.
    """
    now = now or utcnow()
    row = db.session.execute(
        sa.select(Petition.status, Petition.signing_deadline).where(Petition.id == petition_id)
    ).first()
    if row is None or row.status != "open" or row.signing_deadline is None:
        return False
    if now < row.signing_deadline + rules.CLOSE_GRACE:
        return False
    signature_counter.refresh(petition_id, force=True, now=now)
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        return False
    db.session.refresh(petition)
    if rules.status_after_deadline(petition.status, petition.signing_deadline, now) != (
        "closed_unsuccessful"
    ):
        return False
    rules.check_transition("open", "closed_unsuccessful", rules.SYSTEM)
    if not move_status(petition_id, "open", status="closed_unsuccessful", closed_at=now):
        db.session.rollback()
        return False
    record_event(
        "petition.closed_unsuccessful",
        council=petition.council_id,
        subject=petition,
        data={"deadline": petition.signing_deadline, "threshold": petition.threshold},
    )
    notify(
        [petition.author_id],
        "petition_closed",
        f"Your petition “{petition.title}” closed without reaching its threshold.",
        f"/petitions/{petition_id}",
        email=True,
    )
    db.session.commit()
    db.session.refresh(petition)
    return True


def close_expired(now: datetime | None = None) -> int:
    """Close every open petition past its deadline (a cheap indexed query when there are none)."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Petition.id).where(
            Petition.status == "open", Petition.signing_deadline <= now - rules.CLOSE_GRACE
        )
    ).all()
    return sum(close_if_due(petition_id, now=now) for petition_id in due)
