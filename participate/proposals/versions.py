"""A proposal's themes, and its numbered versions (the title, text and themes each edit or
accepted amendment leaves behind)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from participate.extensions import db
from participate.proposals.models import Proposal, ProposalTheme, ProposalVersion


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
