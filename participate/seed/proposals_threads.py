"""What the demo's proposal threads share: the statuses a demo council's proposals go
through, a council's place in their text, supports, and dates moved back into the past."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import Council
from participate.extensions import db
from participate.proposals import discussion
from participate.proposals.models import (
    Amendment,
    Comment,
    Flag,
    Hiding,
    Proposal,
    ProposalVersion,
    Support,
)

# The first two open proposals of a council are the ones the rounds feature's demo puts on its
# rounds' agendas (it takes the oldest open ones); the last stays open whatever the rounds do.
PLAN = ["open", "open", "on_agenda", "adopted", "rejected", "withdrawn", "open"]


def fill(text: str, council: Council) -> str:
    return text.replace("{place}", council.place.name)


def support(ctx, proposal: Proposal, members: list[User], k: int) -> None:
    for user in ctx.rng.sample(members, min(k, len(members))):
        discussion.support(user, proposal)


def backdate(proposal: Proposal, start) -> None:
    """Spread the thread over the weeks after ``start`` (the services stamped everything now)."""
    pid = proposal.id
    comment_ids = list(
        db.session.scalars(
            sa.select(Comment.id).where(Comment.proposal_id == pid).order_by(Comment.id)
        )
    )
    for i, cid in enumerate(comment_ids):
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == cid)
            .values(created_at=start + timedelta(hours=5 + i * 9))
        )
    end = start + timedelta(hours=5 + len(comment_ids) * 9)
    for number in range(1, proposal.version + 1):
        db.session.execute(
            sa.update(ProposalVersion)
            .where(ProposalVersion.proposal_id == pid, ProposalVersion.number == number)
            .values(created_at=start + timedelta(days=2 * (number - 1)))
        )
    amendment_ids = list(
        db.session.scalars(
            sa.select(Amendment.id).where(Amendment.proposal_id == pid).order_by(Amendment.id)
        )
    )
    for i, aid in enumerate(amendment_ids):
        db.session.execute(
            sa.update(Amendment)
            .where(Amendment.id == aid)
            .values(
                created_at=start + timedelta(days=1, hours=i * 7),
                resolved_at=sa.case(
                    (Amendment.resolved_at.is_(None), None),
                    else_=start + timedelta(days=2 * (i + 1)),
                ),
            )
        )
    db.session.execute(
        sa.update(Support)
        .where(Support.proposal_id == pid)
        .values(created_at=start + timedelta(days=1))
    )
    # Moderation happened after the discussion: flags, hidings and the appeal in that order.
    db.session.execute(
        sa.update(Flag).where(Flag.proposal_id == pid).values(created_at=end + timedelta(hours=2))
    )
    for hiding in db.session.scalars(sa.select(Hiding).where(Hiding.proposal_id == pid)):
        hiding.created_at = end + timedelta(hours=20)
        if hiding.appealed_at is not None:
            hiding.appealed_at = end + timedelta(days=1, hours=9)
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == hiding.comment_id, Comment.hidden_at.is_not(None))
            .values(hidden_at=hiding.created_at)
        )
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == pid)
        .values(
            created_at=start,
            updated_at=start + timedelta(days=2 * (proposal.version - 1)),
            status_changed_at=sa.case(
                (Proposal.status_changed_at.is_(None), None), else_=end + timedelta(days=3)
            ),
        )
    )
    db.session.commit()
