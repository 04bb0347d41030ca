"""Comments with a stance (threads), supports and follows."""

from __future__ import annotations

import sqlalchemy as sa

from participate.core import proposals as rules
from participate.core.rules import RuleViolation
from participate.councils.access import Standing, invalid, require_proposal, signed_in
from participate.errors import Conflict, DomainError, NotFound, commit_or_conflict
from participate.extensions import db
from participate.markup import render_markdown
from participate.proposals.followers import ensure_following, notify_followers
from participate.proposals.gates import require_visible, run_agenda_gates
from participate.proposals.models import Comment, Follow, Proposal, Support
from participate.util import utcnow

COMMENT_LIMIT = 5_000


def get_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id) if isinstance(comment_id, int) else None
    if comment is None:
        raise NotFound(f"There is no comment {comment_id}.")
    return comment


def _parent(proposal: Proposal, parent_id) -> Comment | None:
    if parent_id in (None, ""):
        return None
    try:
        parent_id = int(parent_id)
    except (TypeError, ValueError):
        raise DomainError(
            "The comment you reply to is not a valid comment number.",
            code="bad_parent",
            field="parent_id",
        ) from None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.proposal_id != proposal.id:
        raise DomainError(
            "You can only reply to a comment in this proposal's discussion. Reply on the "
            "proposal where that comment was written, or comment here without replying.",
            code="parent_not_here",
            field="parent_id",
            status=404,  # as the reply page answers: no such comment in this discussion
        )
    if parent.hidden_at is not None:
        raise DomainError(
            "That comment was hidden by the clerk, so it takes no replies. "
            "Comment on the proposal instead.",
            code="parent_hidden",
            field="parent_id",
            status=409,  # the comment's state refuses, not the request's shape
        )
    return parent


# How a follower is told of a new comment, by its stance: "Ann commented in support of “X”."
_COMMENTED = {
    "for": "commented in support of",
    "against": "commented against",
    "neutral": "commented on",
    "question": "asked a question about",
}


def add_comment(actor, proposal: Proposal, *, body, stance, parent_id=None) -> Comment:
    """A member comments with a stance, or replies to a comment of the same proposal.

    The commenter follows the proposal from then on; the other followers are told.
    """
    standing = Standing(actor, proposal.council)
    action = "reply" if parent_id not in (None, "") else "comment"
    require_proposal(proposal, action, standing)
    require_visible(proposal)
    try:
        stance = rules.validate_stance(stance)
    except RuleViolation as violation:
        raise invalid(violation, "stance") from None
    try:
        body = rules.validate_body(body, limit=COMMENT_LIMIT)
    except RuleViolation as violation:
        if violation.code == "body_empty":
            violation.message = "The comment is empty: write what you think."
        raise invalid(violation, "body") from None
    parent = _parent(proposal, parent_id)
    run_agenda_gates(proposal, action, actor)
    comment = Comment(
        proposal_id=proposal.id,
        parent_id=parent.id if parent else None,
        author_id=actor.id,
        author_constituency=standing.constituency,
        stance=stance,
        body=body,
        body_html=render_markdown(body),
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(comments_count=Proposal.comments_count + 1)
    )
    db.session.flush()
    what = f"replied to {parent_author(parent)} on" if parent else _COMMENTED[stance]
    notify_followers(
        proposal,
        "proposal_comment",
        f"{actor.name} {what} “{proposal.title}”.",
        f"#comment-{comment.id}",
        skip=[actor.id],
    )
    ensure_following(proposal.id, actor.id)
    commit_or_conflict("The discussion changed at the same time. Reload the page and try again.")
    db.session.refresh(proposal)
    return comment


def parent_author(parent: Comment) -> str:
    from participate.accounts.models import User

    user = db.session.get(User, parent.author_id)
    return f"{user.name}" if user is not None else "a comment"


def support(actor, proposal: Proposal) -> Support:
    """A member supports the proposal once (a unique constraint holds it under any race)."""
    standing = Standing(actor, proposal.council)
    require_proposal(proposal, "support", standing)
    require_visible(proposal)
    already = "You already support this proposal: each member supports once. "
    already += "Withdraw your support first if you changed your mind."
    if _support_of(proposal.id, actor.id) is not None:
        raise Conflict(already, code="already_supported")
    row = Support(
        proposal_id=proposal.id,
        user_id=actor.id,
        constituency=standing.constituency,
        created_at=utcnow(),
    )
    db.session.add(row)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(already, code="already_supported") from None
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(supports_count=Proposal.supports_count + 1)
    )
    ensure_following(proposal.id, actor.id)
    commit_or_conflict(already)
    db.session.refresh(proposal)
    return row


def withdraw_support(actor, proposal: Proposal) -> None:
    """A member takes back their support."""
    standing = Standing(actor, proposal.council)
    require_proposal(proposal, "withdraw_support", standing)
    deleted = db.session.execute(
        sa.delete(Support).where(Support.proposal_id == proposal.id, Support.user_id == actor.id)
    ).rowcount
    if not deleted:
        db.session.rollback()
        raise Conflict(
            "You do not support this proposal, so there is no support to withdraw.",
            code="not_supported",
        )
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(supports_count=Proposal.supports_count - 1)
    )
    db.session.commit()
    db.session.refresh(proposal)


def _support_of(proposal_id: int, user_id: int) -> Support | None:
    return db.session.scalar(
        sa.select(Support).where(Support.proposal_id == proposal_id, Support.user_id == user_id)
    )


def supports(actor, proposal: Proposal) -> bool:
    return signed_in(actor) and _support_of(proposal.id, actor.id) is not None


def is_following(actor, proposal: Proposal) -> bool:
    if not signed_in(actor):
        return False
    return db.session.get(Follow, (proposal.id, actor.id)) is not None


def follow(actor, proposal: Proposal) -> None:
    """Anyone signed in follows a proposal (in-app notifications of comments, amendments, status)."""
    if not signed_in(actor):
        raise DomainError("Sign in to follow proposals.", code="sign_in_required", status=401)
    ensure_following(proposal.id, actor.id)
    commit_or_conflict("You already follow this proposal.")


def unfollow(actor, proposal: Proposal) -> None:
    if not signed_in(actor):
        raise DomainError("Sign in to follow proposals.", code="sign_in_required", status=401)
    db.session.execute(
        sa.delete(Follow).where(Follow.proposal_id == proposal.id, Follow.user_id == actor.id)
    )
    db.session.commit()
