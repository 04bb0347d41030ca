"""Who follows a proposal, and telling them: taking part (commenting, amending) makes a person
a follower, and each event on the proposal notifies its followers."""

from __future__ import annotations

import sqlalchemy as sa

from participate.extensions import db
from participate.notifications.services import notify
from participate.proposals.models import Follow, Proposal


def followers_of(proposal_id: int) -> list[int]:
    return list(
        db.session.scalars(sa.select(Follow.user_id).where(Follow.proposal_id == proposal_id))
    )


def notify_followers(proposal: Proposal, kind: str, text: str, anchor: str = "", *, skip=()) -> int:
    """Tell everyone following the proposal (but those in ``skip``), in the caller's transaction."""
    skipped = {s for s in skip if s is not None}
    return notify(
        [uid for uid in followers_of(proposal.id) if uid not in skipped],
        kind,
        text,
        f"/proposals/{proposal.id}{anchor}",
    )


def ensure_following(proposal_id: int, user_id: int) -> None:
    """Follow without failing when already following (taking part means hearing what follows)."""
    exists = db.session.scalar(
        sa.select(sa.func.count()).where(
            Follow.proposal_id == proposal_id, Follow.user_id == user_id
        )
    )
    if not exists:
        db.session.add(Follow(proposal_id=proposal_id, user_id=user_id))
