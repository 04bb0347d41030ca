"""Milestones and the threshold: when a petition's count first reached 10, 100, 1,000 ...
signatures and its threshold, found from the signatures themselves (so the time is exact
however late the batch ran), and the move open -> threshold_reached with its notices.

Called by the batch refresh (`participate.petitions.signature_counter`) and the full
recount (`participate.petitions.recount`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import petitions as rules
from participate.extensions import db
from participate.notifications.services import notify
from participate.petitions.models import (
    Petition,
    PetitionMilestone,
    Signature,
    move_status,
)
from participate.petitions.signers import notify_signers


def _nth_valid(petition_id: int, position: int, *, after: int = 0) -> tuple[int, datetime] | None:
    """The ``position``-th (1-based) valid signature after id ``after``, in signing order."""
    row = db.session.execute(
        sa.select(Signature.id, Signature.created_at)
        .where(
            Signature.petition_id == petition_id,
            Signature.id > after,
            Signature.invalidated_at.is_(None),
        )
        .order_by(Signature.id)
        .offset(position - 1)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def record_milestones(
    petition_id: int,
    threshold: int | None,
    crossings: list[tuple[int, int]],
    *,
    after: int,
    now: datetime,
) -> dict[int, datetime]:
    """Record each (milestone, position) not yet recorded; return milestone -> time reached."""
    if not crossings:
        return {}
    known = set(
        db.session.scalars(
            sa.select(PetitionMilestone.milestone).where(
                PetitionMilestone.petition_id == petition_id
            )
        )
    )
    reached: dict[int, datetime] = {}
    for milestone, position in crossings:
        found = _nth_valid(petition_id, position, after=after)
        if found is None:  # pragma: no cover - the batch counted it
            continue
        signature_id, at = found
        reached[milestone] = at
        if milestone in known:
            continue
        db.session.add(
            PetitionMilestone(
                petition_id=petition_id,
                milestone=milestone,
                is_threshold=milestone == threshold,
                reached_at=at,
                signature_id=signature_id,
                recorded_at=now,
            )
        )
    db.session.flush()
    return reached


def reach_threshold(petition_id: int, at: datetime, now: datetime) -> bool:
    """open -> threshold_reached (system): record the time, set the response deadline, tell people."""
    from participate.councils.services import clerks_of, settings_of

    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.status != "open":
        return False
    rules.check_transition(petition.status, "threshold_reached", rules.SYSTEM)
    council = petition.council
    days = int(settings_of(council).get("petition_response_days") or rules.DEFAULT_RESPONSE_DAYS)
    due = rules.response_deadline(at, days)
    if not move_status(
        petition_id,
        "open",
        status="threshold_reached",
        threshold_reached_at=at,
        response_due_at=due,
    ):
        return False
    db.session.refresh(petition)
    record_event(
        "petition.threshold_reached",
        council=council,
        subject=petition,
        data={"threshold": petition.threshold, "reached_at": at, "response_due_at": due},
    )
    link = f"/petitions/{petition_id}"
    clerk_ids = [m.user_id for m in clerks_of(council)]
    told = set(clerk_ids) | {petition.author_id}
    notify(
        clerk_ids,
        "petition_threshold",
        f"The petition “{petition.title}” reached its threshold of {petition.threshold:,} "
        f"signatures. {council.name} must answer it by {due:%-d %B %Y}.",
        link,
        email=True,
    )
    notify(
        [petition.author_id],
        "petition_threshold",
        f"Your petition “{petition.title}” reached its threshold: {council.name} must answer "
        f"it by {due:%-d %B %Y}.",
        link,
        email=True,
    )
    notify_signers(
        petition_id,
        "petition_threshold",
        f"The petition “{petition.title}” you signed reached its threshold: {council.name} "
        f"must answer it by {due:%-d %B %Y}.",
        link,
        exclude=told,
        now=now,
    )
    return True
