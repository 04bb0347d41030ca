"""Helpers shared by the proposal services: followers, versions, committing."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from participate.errors import Conflict
from participate.extensions import db
from participate.notifications.services import notify
from participate.proposals.models import Follow, Proposal, ProposalTheme, ProposalVersion

STATUS_LABELS = {
    "open": "Open",
    "on_agenda": "On the agenda",
    "adopted": "Adopted",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}


def themes_of(proposal_ids: list[int]) -> dict[int, list[str]]:
    themes: dict[int, list[str]] = defaultdict(list)
    if proposal_ids:
        for pid, theme in db.session.execute(
            sa.select(ProposalTheme.proposal_id, ProposalTheme.theme)
            .where(ProposalTheme.proposal_id.in_(proposal_ids))
            .order_by(ProposalTheme.proposal_id, ProposalTheme.theme)
        ):
            themes[pid].append(theme)
    return themes


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


def add_version(proposal: Proposal, author_id: int, *, amendment_id=None, note: str = "") -> None:
    """Record the proposal's current title and text as version ``proposal.version``."""
    themes = " ".join(
        sorted(
            db.session.scalars(
                sa.select(ProposalTheme.theme).where(ProposalTheme.proposal_id == proposal.id)
            )
        )
    )
    db.session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=proposal.version,
            title=proposal.title,
            body=proposal.body,
            themes=themes,
            author_id=author_id,
            amendment_id=amendment_id,
            note=note,
            created_at=proposal.updated_at,
        )
    )


def commit_or_conflict(message: str) -> None:
    """Commit; a unique or check constraint that refuses becomes a 409 with ``message``."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict(message) from exc
