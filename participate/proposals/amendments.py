"""Amendments: a member proposes a replacement text with a reason; the author accepts it (a new
version of the proposal) or declines it, with a reason. Both are public."""

from __future__ import annotations

import sqlalchemy as sa

from participate.core import proposals as rules
from participate.core.rules import RuleViolation
from participate.councils.access import Standing, invalid, require_proposal, text_field
from participate.errors import Conflict, DomainError, NotFound, commit_or_conflict
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.proposals.followers import ensure_following, notify_followers
from participate.proposals.gates import require_visible, run_agenda_gates
from participate.proposals.models import Amendment, Proposal
from participate.proposals.versions import add_version
from participate.util import utcnow

REASON_LIMIT = 2_000


def get_amendment(amendment_id: int) -> Amendment:
    amendment = db.session.get(Amendment, amendment_id) if isinstance(amendment_id, int) else None
    if amendment is None:
        raise NotFound(f"There is no amendment {amendment_id}.")
    return amendment


def propose_amendment(actor, proposal: Proposal, *, body, reason) -> Amendment:
    """A member proposes a new text for the proposal's body and says why."""
    standing = Standing(actor, proposal.council)
    require_proposal(proposal, "propose_amendment", standing)
    require_visible(proposal)
    try:
        body = rules.validate_body(body)
    except RuleViolation as violation:
        raise invalid(violation, "body") from None
    if body == proposal.body:
        raise DomainError(
            "The amendment is the same as the current text: change the text where you propose "
            "a change.",
            code="amendment_unchanged",
            field="body",
        )
    reason = text_field(
        reason,
        field="reason",
        label="reason for the amendment",
        limit=REASON_LIMIT,
        hint="Say what the change improves; the author and the council read it.",
        article="a",
    )
    run_agenda_gates(proposal, "propose_amendment", actor)
    amendment = Amendment(
        proposal_id=proposal.id,
        author_id=actor.id,
        author_constituency=standing.constituency,
        body=body,
        reason=reason,
        base_version=proposal.version,
        status="pending",
        created_at=utcnow(),
    )
    db.session.add(amendment)
    db.session.flush()
    notify_followers(
        proposal,
        "proposal_amendment",
        f"{actor.name} proposed an amendment to “{proposal.title}”.",
        f"#amendment-{amendment.id}",
        skip=[actor.id],
    )
    ensure_following(proposal.id, actor.id)
    db.session.commit()
    return amendment


def resolve_amendment(actor, amendment: Amendment, *, accept: bool, reason="") -> Amendment:
    """The proposal's author accepts (the text becomes a new version) or declines, with a reason.

    A reason is required to decline and optional to accept.
    """
    proposal = db.session.get(Proposal, amendment.proposal_id)
    standing = Standing(actor, proposal.council)
    require_proposal(
        proposal,
        "resolve_amendment",
        standing,
        is_author=standing.user_id == proposal.author_id,
    )
    if amendment.status != "pending":
        raise Conflict(
            f"This amendment was already {amendment.status}; it cannot be resolved again.",
            code="amendment_resolved",
        )
    reason = text_field(
        reason,
        field="reason",
        label="reason for declining" if not accept else "reason",
        limit=REASON_LIMIT,
        required=not accept,
        hint="The person who proposed it and the council will see it.",
        article="a",
    )
    run_agenda_gates(proposal, "resolve_amendment", actor)
    now = utcnow()
    # Guarded update: of two concurrent resolutions only one finds the amendment pending.
    changed = db.session.execute(
        sa.update(Amendment)
        .where(Amendment.id == amendment.id, Amendment.status == "pending")
        .values(
            status="accepted" if accept else "declined",
            response=reason,
            resolved_at=now,
            resulting_version=proposal.version + 1 if accept else None,
        )
    ).rowcount
    if not changed:
        db.session.rollback()
        raise Conflict("This amendment was resolved meanwhile.", code="amendment_resolved")
    if accept:
        proposal.body = amendment.body
        proposal.body_html = render_markdown(amendment.body)
        proposal.version += 1
        proposal.updated_at = now
        add_version(
            proposal,
            amendment.author_id,
            amendment_id=amendment.id,
            note=f"Amendment {amendment.id} accepted" + (f": {reason}" if reason else ""),
        )
    verb = "accepted" if accept else "declined"
    notify_followers(
        proposal,
        "proposal_amendment",
        f"{actor.name} {verb} an amendment to “{proposal.title}”"
        + (f" (now version {proposal.version})." if accept else "."),
        f"#amendment-{amendment.id}",
        skip=[actor.id, amendment.author_id],
    )
    notify(
        [amendment.author_id] if amendment.author_id != actor.id else [],
        "proposal_amendment",
        f"Your amendment to “{proposal.title}” was {verb}" + (f": {reason}" if reason else "."),
        f"/proposals/{proposal.id}#amendment-{amendment.id}",
    )
    commit_or_conflict("The proposal changed at the same time. Reload it and try again.")
    db.session.refresh(amendment)
    return amendment
