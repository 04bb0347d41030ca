"""Closing a motion: tally from SQL counts, publish the result, tell the voters (DESIGN §3).

A motion closes when a clerk closes it, when a round advancing by its schedule does, when
the scheduled sweep finds it past its closing time (``close_due_motions``, participate.jobs),
or lazily: the next time it is read or a ballot is refused because the time has passed
(``close_if_due``). ``actor`` None means the system itself: no permission check, and the
audit log records no actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.councils.services import require_clerk
from participate.errors import Conflict
from participate.extensions import db
from participate.notifications.services import notify
from participate.util import utcnow
from participate.votes import results
from participate.votes.models import Motion, MotionParticipation


def close_if_due(motion: Motion, now: datetime | None = None) -> bool:
    """Close an open motion whose closing time has passed; True when it is now closed."""
    if motion.status != "open" or motion.closes_at is None or motion.closes_at > (now or utcnow()):
        return motion.status == "closed"
    try:
        close_voting(None, motion)
    except Conflict:
        # Someone else closed it at the same moment: read their result.
        db.session.rollback()
        db.session.refresh(motion)
    return True


def close_due_motions(now: datetime | None = None) -> int:
    """Close every open motion whose closing time has passed by ``now``, whether or not anyone
    reads it (the scheduled job's sweep; participate.jobs). Returns how many it closed."""
    due = db.session.scalars(
        sa.select(Motion.id)
        .where(Motion.status == "open", Motion.closes_at <= (now or utcnow()))
        .order_by(Motion.id)
    ).all()
    closed = 0
    for motion_id in due:
        motion = db.session.get(Motion, motion_id)
        if motion is not None and motion.status == "open":
            closed += close_if_due(motion, now)
    return closed


def close_voting(actor, motion: Motion, *, commit: bool = True) -> dict[str, Any]:
    """Close voting, tally from SQL counts, publish the result; returns the result.

    ``actor`` None: closed by its schedule. The motion row is claimed first (its lock
    makes ballots in flight finish, and later ones be refused by the database), then
    the ballots are counted with GROUP BY and fed to the core tally functions.
    """
    council = motion.council
    if actor is not None:
        require_clerk(actor, council)
    if motion.status != "open":
        raise Conflict(
            "Voting on this motion has not opened yet."
            if motion.status == "draft"
            else "Voting on this motion is already closed; its result is published.",
            code="not_open",
        )
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Motion)
        .where(Motion.id == motion.id, Motion.status == "open", Motion.closed_at.is_(None))
        .values(closed_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise Conflict("Voting on this motion was closed by someone else.", code="not_open")
    result = results.tally_motion(motion)
    ballots = sum(row["voted"] for row in result["constituencies"].values())
    db.session.execute(
        sa.update(Motion).where(Motion.id == motion.id).values(status="closed", result=result)
    )
    db.session.expire(motion)
    record_event(
        "motion.closed",
        actor=actor,
        council=council,
        subject=motion,
        data={
            "title": motion.title,
            "by": "clerk" if actor is not None else "schedule",
            "ballots": ballots,
        },
    )
    record_event(
        "motion.tallied",
        actor=actor,
        council=council,
        subject=motion,
        data={"method": motion.method, **results.outcome_summary(result)},
    )
    voters = db.session.scalars(
        sa.select(MotionParticipation.user_id).where(MotionParticipation.motion_id == motion.id)
    ).all()
    notify(
        voters,
        "vote_result",
        f"The result of '{motion.title}' in {council.name} is published: "
        f"{results.outcome_sentence(result)}",
        f"/motions/{motion.id}",
    )
    if commit:
        db.session.commit()
    return result
