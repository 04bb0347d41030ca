"""Moderation: anyone signed in flags a proposal or a comment; the council's clerk hides it with a
public reason ("hidden by the clerk: reason") or dismisses the flags; the author may appeal once
and the clerk's decision is recorded. Every clerk action goes into the audit chain; the hidden
content itself stays in its table (the audit event keeps its SHA-256, not the text, so the
public log does not republish what was hidden)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core.rules import CLERKS
from participate.councils.access import (
    Standing,
    check_no_conflict,
    require_proposal,
    require_role,
    text_field,
)
from participate.councils.services import clerks_of
from participate.errors import Conflict, DomainError, NotFound, commit_or_conflict
from participate.extensions import db
from participate.notifications.services import notify
from participate.proposals.models import Comment, Flag, Hiding, Proposal
from participate.util import utcnow

FLAG_REASON_LIMIT = 500
REASON_LIMIT = 1_000


def _content(proposal: Proposal, comment: Comment | None):
    if comment is not None and comment.proposal_id != proposal.id:
        raise DomainError("That comment is not in this proposal's discussion.", code="bad_comment")
    return comment if comment is not None else proposal


def _what(comment) -> str:
    return "comment" if comment is not None else "proposal"


def _open_flags(proposal: Proposal, comment: Comment | None):
    query = sa.select(Flag).where(Flag.proposal_id == proposal.id, Flag.resolved_at.is_(None))
    if comment is None:
        return query.where(Flag.comment_id.is_(None))
    return query.where(Flag.comment_id == comment.id)


def check_not_own(actor, author_id: int | None, what: str, doing: str) -> None:
    """Refuse (403 conflict_of_interest) a clerk moderating their own proposal or comment:
    another clerk of the council moderates it."""
    check_no_conflict(actor, subject=what, doing=doing, author_id=author_id)


def get_hiding(hiding_id: int) -> Hiding:
    hiding = db.session.get(Hiding, hiding_id) if isinstance(hiding_id, int) else None
    if hiding is None:
        raise NotFound(f"There is no hiding {hiding_id}.")
    return hiding


def flag(actor, proposal: Proposal, *, comment: Comment | None = None, reason) -> Flag:
    """Ask the clerk to look at a proposal or comment; one flag per person per content."""
    content = _content(proposal, comment)
    standing = Standing(actor, proposal.council)
    require_proposal(proposal, "flag", standing)
    what = _what(comment)
    if content.hidden_at is not None:
        raise Conflict(f"This {what} is already hidden by the clerk.", code="already_hidden")
    if content.author_id == actor.id:
        raise DomainError(
            f"You wrote this {what}, so you cannot flag it. "
            + ("Edit or withdraw it instead." if comment is None else "Ask the clerk if needed."),
            code="own_content",
            status=403,
        )
    reason = text_field(
        reason,
        field="reason",
        label="reason for flagging",
        limit=FLAG_REASON_LIMIT,
        hint="Say which of the council's standards it breaks; only the clerk sees it.",
        article="a",
    )
    already = f"You already flagged this {what}; the clerk will look at it."
    existing = db.session.scalar(
        sa.select(Flag.id).where(
            Flag.user_id == actor.id,
            Flag.proposal_id == proposal.id,
            Flag.comment_id == comment.id if comment is not None else Flag.comment_id.is_(None),
        )
    )
    if existing is not None:
        raise Conflict(already, code="already_flagged")
    first = not db.session.scalar(
        sa.select(sa.func.count()).select_from(_open_flags(proposal, comment).subquery())
    )
    row = Flag(
        proposal_id=proposal.id,
        comment_id=comment.id if comment is not None else None,
        user_id=actor.id,
        reason=reason,
        created_at=utcnow(),
    )
    db.session.add(row)
    if first:
        notify(
            [m.user_id for m in clerks_of(proposal.council)],
            "moderation",
            f"A {what} on “{proposal.title}” was flagged for moderation.",
            f"/councils/{proposal.council.slug}/moderation",
        )
    commit_or_conflict(already)
    return row


def hide(actor, proposal: Proposal, *, comment: Comment | None = None, reason) -> Hiding:
    """The clerk hides a proposal or a comment with a public reason; its open flags are closed."""
    content = _content(proposal, comment)
    standing = Standing(actor, proposal.council)
    require_proposal(proposal, "hide", standing, hidden=content.hidden_at is not None)
    check_not_own(actor, content.author_id, _what(comment), "hide it")
    reason = text_field(
        reason,
        field="reason",
        label="public reason",
        limit=REASON_LIMIT,
        hint="It is shown in place of the content as “hidden by the clerk: reason”.",
        article="a",
    )
    now = utcnow()
    content.hidden_at = now
    content.hidden_reason = reason
    if comment is not None:
        db.session.execute(
            sa.update(Proposal)
            .where(Proposal.id == proposal.id)
            .values(comments_count=Proposal.comments_count - 1)
        )
    hiding = Hiding(
        proposal_id=proposal.id,
        comment_id=comment.id if comment is not None else None,
        author_id=content.author_id,
        hidden_by_id=actor.id,
        reason=reason,
        created_at=now,
    )
    db.session.add(hiding)
    closed = db.session.execute(
        sa.update(Flag)
        .where(
            Flag.id.in_(_open_flags(proposal, comment).with_only_columns(Flag.id).scalar_subquery())
        )
        .values(resolution="hidden", resolved_at=now, resolved_by_id=actor.id)
    ).rowcount
    db.session.flush()
    what = _what(comment)
    record_event(
        f"{what}.hidden",
        actor=actor,
        council=proposal.council_id,
        subject=content,
        data={
            "proposal": proposal.id,
            "comment": comment.id if comment is not None else None,
            "author": content.author_id,
            "reason": reason,
            "flags_closed": closed,
            "content_sha256": hashlib.sha256(content.body.encode()).hexdigest(),
        },
    )
    notify(
        [content.author_id],
        "moderation",
        f"The clerk hid your {what} on “{proposal.title}”: {reason}. You may appeal once.",
        f"/hidings/{hiding.id}/appeal",
    )
    commit_or_conflict(f"This {what} was moderated at the same time. Reload and check.")
    return hiding


def dismiss_flags(actor, proposal: Proposal, *, comment: Comment | None = None, reason="") -> int:
    """The clerk finds nothing wrong: the open flags on this content are closed, with the reason."""
    content = _content(proposal, comment)
    standing = Standing(actor, proposal.council)
    require_role(standing.role, CLERKS, "dismiss flags")
    check_not_own(actor, content.author_id, _what(comment), "dismiss the flags on it")
    reason = text_field(reason, field="reason", label="reason", limit=REASON_LIMIT, required=False)
    now = utcnow()
    closed = db.session.execute(
        sa.update(Flag)
        .where(
            Flag.id.in_(_open_flags(proposal, comment).with_only_columns(Flag.id).scalar_subquery())
        )
        .values(resolution="dismissed", resolved_at=now, resolved_by_id=actor.id)
    ).rowcount
    if not closed:
        db.session.rollback()
        raise Conflict("There are no open flags on this content.", code="no_open_flags")
    record_event(
        "flags.dismissed",
        actor=actor,
        council=proposal.council_id,
        subject=comment if comment is not None else proposal,
        data={
            "proposal": proposal.id,
            "comment": comment.id if comment is not None else None,
            "flags": closed,
            "reason": reason,
        },
    )
    db.session.commit()
    return closed


def _hidden_content(hiding: Hiding):
    if hiding.comment_id is not None:
        return db.session.get(Comment, hiding.comment_id)
    return db.session.get(Proposal, hiding.proposal_id)


def _is_current(hiding: Hiding, content) -> bool:
    """The hiding is the one in force: the content is hidden and this is its latest hiding."""
    if content.hidden_at is None:
        return False
    same_content = (
        Hiding.comment_id == hiding.comment_id
        if hiding.comment_id is not None
        else Hiding.comment_id.is_(None)
    )
    latest = db.session.scalar(
        sa.select(sa.func.max(Hiding.id)).where(
            Hiding.proposal_id == hiding.proposal_id, same_content
        )
    )
    return latest == hiding.id


def check_appellant(actor, hiding: Hiding) -> None:
    """Refuse (403 author_only) anyone but the author of the hidden content: the appeal page
    speaks to its author ("your comment") and shows their appeal. Whether an appeal can still
    be sent (still hidden, not appealed yet) is `appeal`'s to say; the page shows that state."""
    proposal = db.session.get(Proposal, hiding.proposal_id)
    standing = Standing(actor, proposal.council)
    require_proposal(
        proposal, "appeal", standing, is_author=standing.user_id == hiding.author_id, hidden=True
    )


def appeal(actor, hiding: Hiding, *, text) -> Hiding:
    """The author of hidden content appeals once; the clerks are told."""
    proposal = db.session.get(Proposal, hiding.proposal_id)
    content = _hidden_content(hiding)
    standing = Standing(actor, proposal.council)
    require_proposal(
        proposal,
        "appeal",
        standing,
        is_author=standing.user_id == hiding.author_id,
        hidden=_is_current(hiding, content),
        appealed=hiding.appealed_at is not None,
    )
    text = text_field(
        text,
        field="appeal",
        label="reason for your appeal",
        limit=2_000,
        hint="Say why the content meets the council's standards; the clerk decides.",
        article="a",
    )
    changed = db.session.execute(
        sa.update(Hiding)
        .where(Hiding.id == hiding.id, Hiding.appealed_at.is_(None))
        .values(appeal=text, appealed_at=utcnow())
    ).rowcount
    if not changed:
        db.session.rollback()
        raise Conflict("You have already appealed against this hiding.", code="already_appealed")
    what = "comment" if hiding.comment_id else "proposal"
    record_event(
        "moderation.appealed",
        actor=actor,
        council=proposal.council_id,
        subject=hiding,
        data={"proposal": proposal.id, "comment": hiding.comment_id, "appeal": text},
    )
    notify(
        [m.user_id for m in clerks_of(proposal.council)],
        "moderation",
        f"{actor.name} appealed against the hiding of a {what} on “{proposal.title}”.",
        f"/councils/{proposal.council.slug}/moderation",
    )
    db.session.commit()
    db.session.refresh(hiding)
    return hiding


def decide_appeal(actor, hiding: Hiding, *, reinstate: bool, reason) -> Hiding:
    """The clerk upholds the hiding or reinstates the content; the decision and reason are public."""
    proposal = db.session.get(Proposal, hiding.proposal_id)
    content = _hidden_content(hiding)
    standing = Standing(actor, proposal.council)
    if hiding.decision is not None:
        raise Conflict(
            f"This appeal was already decided ({hiding.decision}).", code="appeal_decided"
        )
    require_proposal(proposal, "decide_appeal", standing, appealed=hiding.appealed_at is not None)
    check_not_own(
        actor, hiding.author_id, _what(hiding.comment_id), "decide the appeal against its hiding"
    )
    reason = text_field(
        reason,
        field="reason",
        label="reason for the decision",
        limit=REASON_LIMIT,
        hint="The author and the public audit log see it.",
        article="a",
    )
    decision = "reinstated" if reinstate else "upheld"
    now = utcnow()
    changed = db.session.execute(
        sa.update(Hiding)
        .where(Hiding.id == hiding.id, Hiding.decision.is_(None))
        .values(decision=decision, decision_reason=reason, decided_at=now, decided_by_id=actor.id)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise Conflict("This appeal was decided meanwhile.", code="appeal_decided")
    if reinstate and content.hidden_at is not None:
        content.hidden_at = None
        content.hidden_reason = ""
        if hiding.comment_id is not None:
            db.session.execute(
                sa.update(Proposal)
                .where(Proposal.id == proposal.id)
                .values(comments_count=Proposal.comments_count + 1)
            )
    what = "comment" if hiding.comment_id else "proposal"
    record_event(
        "moderation.appeal_decided",
        actor=actor,
        council=proposal.council_id,
        subject=hiding,
        data={
            "proposal": proposal.id,
            "comment": hiding.comment_id,
            "decision": decision,
            "reason": reason,
        },
    )
    outcome = "reinstated" if reinstate else "kept hidden"
    notify(
        [hiding.author_id],
        "moderation",
        f"The clerk decided your appeal: your {what} on “{proposal.title}” is {outcome}: {reason}",
        f"/proposals/{proposal.id}",
    )
    db.session.commit()
    db.session.refresh(hiding)
    return hiding
