"""Proposal use cases: write, edit, withdraw, change status, read one; the entry points other
features call (`get_proposal`, `set_status`, `supports_by_constituency`).

The rest of the feature lives beside it and is imported from where it is defined: the council
list in `listing`, comments, supports and follows in `discussion`, amendments in `amendments`,
flags, hidings and appeals in `moderation` and `moderation_queue`, search in `search`, versions
and themes in `versions`, followers in `followers`, the agenda gates (`AGENDA_GATES`) in
`gates`. Every function takes the acting user and owns its transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import proposals as rules
from participate.core.rules import MEMBERS, RuleViolation
from participate.councils.access import (
    Standing,
    invalid,
    refusal,
    require_proposal,
    require_role,
    text_field,
)
from participate.councils.models import CONSTITUENCIES, Council
from participate.councils.services import require_clerk
from participate.errors import DomainError, NotFound, commit_or_conflict
from participate.extensions import db
from participate.markup import render_markdown
from participate.proposals.followers import notify_followers
from participate.proposals.gates import require_visible
from participate.proposals.models import (
    STATUS_LABELS,
    Amendment,
    Follow,
    Proposal,
    ProposalTheme,
    ProposalVersion,
    Support,
)
from participate.proposals.moderation import check_not_own
from participate.proposals.versions import add_version, themes_of
from participate.util import utcnow

__all__ = [
    "create_proposal",
    "edit_proposal",
    "ensure_allowed",
    "get_proposal",
    "set_status",
    "supports_by_constituency",
    "versions_of",
    "withdraw_proposal",
]

# ---------------------------------------------------------------- reading


def get_proposal(proposal_id: int) -> Proposal:
    """The proposal with this id (its council and author loaded), or NotFound (404)."""
    proposal = db.session.get(Proposal, proposal_id) if isinstance(proposal_id, int) else None
    if proposal is None:
        raise NotFound(
            f"There is no proposal {proposal_id}. It may have been removed; "
            "search the proposals or browse a council's list."
        )
    return proposal


def supports_by_constituency(proposal_id: int) -> dict[str, int]:
    """Current supports of a proposal per constituency, every constituency present (0 if none)."""
    rows = db.session.execute(
        sa.select(Support.constituency, sa.func.count())
        .where(Support.proposal_id == proposal_id)
        .group_by(Support.constituency)
    ).all()
    counts = dict.fromkeys(CONSTITUENCIES, 0)
    counts.update({c: n for c, n in rows})
    return counts


def versions_of(proposal: Proposal) -> list[ProposalVersion]:
    return list(
        db.session.scalars(
            sa.select(ProposalVersion)
            .where(ProposalVersion.proposal_id == proposal.id)
            .order_by(ProposalVersion.number)
        )
    )


def ensure_allowed(actor, proposal: Proposal, action: str, *, comment=None) -> None:
    """Refuse before showing a form what the service would refuse when it is sent."""
    standing = Standing(actor, proposal.council)
    content = comment if comment is not None else proposal
    require_proposal(
        proposal,
        action,
        standing,
        is_author=standing.user_id == proposal.author_id,
        hidden=content.hidden_at is not None,
    )
    if action in ("edit", "propose_amendment", "comment", "reply", "support"):
        require_visible(proposal)
    if action == "hide":
        what = "comment" if comment is not None else "proposal"
        check_not_own(actor, content.author_id, what, "hide it")


# ---------------------------------------------------------------- writing


def _validated(title, body, themes) -> tuple[str, str, list[str]]:
    try:
        title = rules.validate_title(title)
    except RuleViolation as violation:
        raise invalid(violation, "title") from None
    try:
        body = rules.validate_body(body)
    except RuleViolation as violation:
        raise invalid(violation, "body") from None
    try:
        theme_list = rules.validate_themes(themes)
    except RuleViolation as violation:
        raise invalid(violation, "themes") from None
    return title, body, theme_list


def _set_themes(proposal: Proposal, themes: list[str]) -> None:
    current = set(
        db.session.scalars(
            sa.select(ProposalTheme.theme).where(ProposalTheme.proposal_id == proposal.id)
        )
    )
    gone = current - set(themes)
    if gone:
        db.session.execute(
            sa.delete(ProposalTheme).where(
                ProposalTheme.proposal_id == proposal.id, ProposalTheme.theme.in_(gone)
            )
        )
    for theme in themes:
        if theme not in current:
            db.session.add(
                ProposalTheme(proposal_id=proposal.id, theme=theme, council_id=proposal.council_id)
            )
    db.session.flush()


def create_proposal(actor, council: Council, *, title, body, themes=None) -> Proposal:
    """A member writes a proposal in a council; the author follows it from then on."""
    standing = Standing(actor, council)
    require_role(standing.role, MEMBERS, "write proposals")
    title, body, theme_list = _validated(title, body, themes)
    now = utcnow()
    proposal = Proposal(
        council_id=council.id,
        author_id=actor.id,
        author_constituency=standing.constituency,
        title=title,
        body=body,
        body_html=render_markdown(body),
        status="open",
        version=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    _set_themes(proposal, theme_list)
    add_version(proposal, actor.id, note="First version")
    db.session.add(Follow(proposal_id=proposal.id, user_id=actor.id))
    db.session.commit()
    return proposal


def edit_proposal(actor, proposal: Proposal, *, title, body, themes=None, note="") -> Proposal:
    """The author revises an open proposal; a changed title or text makes a new public version."""
    standing = Standing(actor, proposal.council)
    require_proposal(proposal, "edit", standing, is_author=standing.user_id == proposal.author_id)
    title, body, theme_list = _validated(title, body, themes)
    note = text_field(note, field="note", label="note on the change", limit=500, required=False)
    current_themes = themes_of([proposal.id]).get(proposal.id, [])
    text_changed = title != proposal.title or body != proposal.body
    if not text_changed and sorted(theme_list) == sorted(current_themes):
        raise DomainError(
            "Nothing changed: edit the title, the text or the themes, or go back.",
            code="nothing_changed",
            field="body",
        )
    _set_themes(proposal, theme_list)
    if text_changed:
        proposal.title = title
        proposal.body = body
        proposal.body_html = render_markdown(body)
        proposal.version += 1
        proposal.updated_at = utcnow()
        add_version(proposal, actor.id, note=note or "Edited by the author")
        notify_followers(
            proposal,
            "proposal_edited",
            f"{actor.name} revised “{proposal.title}” (version {proposal.version}).",
            "/history",
            skip=[actor.id],
        )
    commit_or_conflict(
        "Someone else changed this proposal at the same time. Reload it and try again."
    )
    return proposal


def _lapse_amendments(proposal: Proposal) -> None:
    db.session.execute(
        sa.update(Amendment)
        .where(Amendment.proposal_id == proposal.id, Amendment.status == "pending")
        .values(status="lapsed", resolved_at=utcnow())
    )


def withdraw_proposal(actor, proposal: Proposal, *, reason: str = "") -> Proposal:
    """The author withdraws an open proposal; pending amendments lapse; followers are told."""
    standing = Standing(actor, proposal.council)
    require_proposal(
        proposal, "withdraw", standing, is_author=standing.user_id == proposal.author_id
    )
    reason = text_field(reason, field="reason", label="reason", limit=1000, required=False)
    _change_status(actor, proposal, "withdrawn", reason)
    db.session.commit()
    return proposal


def _change_status(actor, proposal: Proposal, status: str, reason: str) -> None:
    previous = proposal.status
    try:
        rules.check_status_change(previous, status)
    except RuleViolation as violation:
        raise refusal(violation) from None
    proposal.status = status
    proposal.status_reason = reason
    proposal.status_changed_at = utcnow()
    if status in ("adopted", "rejected", "withdrawn"):
        _lapse_amendments(proposal)
    record_event(
        f"proposal.{status}",
        actor=actor,
        council=proposal.council_id,
        subject=proposal,
        data={"from": previous, "to": status, "reason": reason, "title": proposal.title},
    )
    label = STATUS_LABELS[status].lower()
    who = getattr(actor, "name", None) or "The council"
    notify_followers(
        proposal,
        "proposal_status",
        f"“{proposal.title}” is now {label}" + (f": {reason}" if reason else ".")
        if status != "withdrawn"
        else f"{who} withdrew “{proposal.title}”" + (f": {reason}" if reason else "."),
        skip=[getattr(actor, "id", None)],
    )


def set_status(actor, proposal: Proposal, status: str, *, reason: str = "", commit: bool = True):
    """Move a proposal along its life (open -> on_agenda -> adopted | rejected, or back to open).

    For the rounds feature: ``actor`` is a clerk of the proposal's council (or None for an
    automatic change made by the system, e.g. a scheduled phase end). Records an audit event,
    lapses pending amendments on a decision and tells the followers, inside the caller's
    transaction when ``commit`` is False. Withdrawing is the author's (see withdraw_proposal).
    """
    if actor is not None:
        require_clerk(actor, proposal.council)
    if status == "withdrawn":
        raise DomainError(
            "Only the author can withdraw a proposal. A clerk can hide it if it breaks the "
            "council's standards.",
            code="author_only",
            status=403,
        )
    if status not in rules.STATUSES:
        raise DomainError(
            f"Unknown status {status!r}: choose one of {', '.join(rules.STATUSES)}.",
            code="bad_status",
            field="status",
        )
    reason = text_field(reason, field="reason", label="reason", limit=2000, required=False)
    _change_status(actor, proposal, status, reason)
    if commit:
        db.session.commit()
    return proposal
