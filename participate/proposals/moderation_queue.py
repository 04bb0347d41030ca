"""The clerk's moderation queue: open flags grouped by content, appeals waiting, recent hidings;
and the hidings of one proposal for its page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from participate.accounts.models import User
from participate.core.rules import CLERKS
from participate.councils.access import Standing, conflict_note, require_role
from participate.extensions import db
from participate.proposals.models import Comment, Flag, Hiding, Proposal


@dataclass
class FlaggedContent:
    proposal: Proposal
    comment: Comment | None
    author_name: str
    flags: list[Flag] = field(default_factory=list)
    # When the clerk looking wrote it: who stepped aside (another clerk moderates it).
    stepped_aside: str | None = None

    @property
    def key(self) -> str:
        return f"c{self.comment.id}" if self.comment is not None else f"p{self.proposal.id}"


@dataclass
class ModerationQueue:
    flagged: list[FlaggedContent]
    appeals: list[tuple[Hiding, Proposal, Comment | None]]
    recent: list[tuple[Hiding, Proposal, Comment | None]]
    # hiding id -> who stepped aside, for the appeals against the hiding of the clerk's own
    # content (another clerk decides them).
    appeal_notes: dict[int, str] = field(default_factory=dict)


def moderation_queue(actor, council) -> ModerationQueue:
    """Open flags grouped by content (oldest first), appeals waiting, and recent hidings."""
    standing = Standing(actor, council)
    require_role(standing.role, CLERKS, "see the moderation queue")
    flags = list(
        db.session.scalars(
            sa.select(Flag)
            .join(Proposal, Proposal.id == Flag.proposal_id)
            .where(Proposal.council_id == council.id, Flag.resolved_at.is_(None))
            .order_by(Flag.created_at, Flag.id)
        )
    )
    hidings_waiting = list(
        db.session.scalars(
            sa.select(Hiding)
            .join(Proposal, Proposal.id == Hiding.proposal_id)
            .where(
                Proposal.council_id == council.id,
                Hiding.appealed_at.is_not(None),
                Hiding.decision.is_(None),
            )
            .order_by(Hiding.appealed_at)
        )
    )
    recent_hidings = list(
        db.session.scalars(
            sa.select(Hiding)
            .join(Proposal, Proposal.id == Hiding.proposal_id)
            .where(Proposal.council_id == council.id)
            .order_by(Hiding.created_at.desc())
            .limit(20)
        )
    )
    proposal_ids = {f.proposal_id for f in flags} | {
        h.proposal_id for h in hidings_waiting + recent_hidings
    }
    comment_ids = {f.comment_id for f in flags if f.comment_id} | {
        h.comment_id for h in hidings_waiting + recent_hidings if h.comment_id
    }
    proposals = {
        p.id: p
        for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids)))
    }
    comments = {
        c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(comment_ids)))
    }
    author_ids = {c.author_id for c in comments.values()} | {
        p.author_id for p in proposals.values()
    }
    names = dict(
        db.session.execute(sa.select(User.id, User.name).where(User.id.in_(author_ids))).all()
    )
    groups: dict[tuple, FlaggedContent] = {}
    for f in flags:
        key = (f.proposal_id, f.comment_id)
        if key not in groups:
            comment = comments.get(f.comment_id) if f.comment_id else None
            proposal = proposals[f.proposal_id]
            author = comment.author_id if comment is not None else proposal.author_id
            groups[key] = FlaggedContent(
                proposal,
                comment,
                names.get(author, ""),
                stepped_aside=conflict_note(
                    actor, subject="comment" if comment else "proposal", author_id=author
                ),
            )
        groups[key].flags.append(f)

    def triple(h: Hiding):
        return (h, proposals[h.proposal_id], comments.get(h.comment_id) if h.comment_id else None)

    return ModerationQueue(
        flagged=list(groups.values()),
        appeals=[triple(h) for h in hidings_waiting],
        recent=[triple(h) for h in recent_hidings],
        appeal_notes={
            h.id: note
            for h in hidings_waiting
            if (
                note := conflict_note(
                    actor, subject="comment" if h.comment_id else "proposal", author_id=h.author_id
                )
            )
        },
    )


def hidings_by_content(proposal_id: int) -> dict:
    """The latest hiding of each hidden piece of a proposal: {("p"|"c", id): Hiding}."""
    latest: dict = defaultdict(lambda: None)
    for h in db.session.scalars(
        sa.select(Hiding).where(Hiding.proposal_id == proposal_id).order_by(Hiding.id)
    ):
        latest[("c", h.comment_id) if h.comment_id else ("p", h.proposal_id)] = h
    return dict(latest)
