"""Who the actor is in a proposal's council, and how a rule's refusal becomes a DomainError.

Every proposal service resolves the actor's role here, calls `participate.core.proposals.check`
through `require`, and (for a proposal on a round's agenda) runs the `AGENDA_GATES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from participate.core import proposals as rules
from participate.core.rules import MEMBERS, RuleViolation, council_role, role_refusal
from participate.councils.services import membership_of
from participate.errors import DomainError

# Extension point for the rounds feature: each gate is called as gate(proposal, action, actor)
# before add_comment ("comment" / "reply"), propose_amendment and resolve_amendment write
# anything, when the proposal is on a round's agenda. A gate refuses by raising DomainError.
AGENDA_GATES: list[Callable[[Any, str, Any], None]] = []

# Refusals about the state of the thing rather than about the person: 409 Conflict.
_STATE_CODES = {"already_hidden", "already_appealed", "not_hidden", "no_appeal"}


def signed_in(actor) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


class Standing:
    """The actor's membership and role in one council (computed once per service call)."""

    def __init__(self, actor, council):
        self.actor = actor
        self.membership = membership_of(actor, council) if signed_in(actor) else None
        m = self.membership
        self.role = council_role(
            signed_in=signed_in(actor),
            is_admin=bool(getattr(actor, "is_admin", False)),
            membership_role=m.role if m is not None else None,
            membership_status=m.status if m is not None else None,
        )

    @property
    def user_id(self) -> int | None:
        return self.actor.id if signed_in(self.actor) else None

    @property
    def constituency(self) -> str | None:
        if self.membership is None or self.membership.status != "active":
            return None
        return self.membership.constituency

    @property
    def is_member(self) -> bool:
        return self.role in MEMBERS

    @property
    def is_clerk(self) -> bool:
        return self.role == "clerk"


def refusal(violation: RuleViolation) -> DomainError:
    """A rule's refusal as a DomainError with a status that says what kind of refusal it is."""
    code = violation.code
    if code.startswith("proposal_") or code in _STATE_CODES:
        status = 409
    elif code == "sign_in_required":
        status = 401
    else:
        status = 403
    return DomainError(violation.message, code=code, status=status)


def invalid(violation: RuleViolation, field: str) -> DomainError:
    """A validator's refusal (bad input) as a 400 on the form field it concerns."""
    return DomainError(violation.message, code=violation.code, status=400, field=field)


def require(
    proposal,
    action: str,
    standing: Standing,
    *,
    is_author: bool = False,
    hidden: bool = False,
    appealed: bool = False,
) -> None:
    """Refuse unless the proposal's status and the actor's role allow ``action``."""
    try:
        rules.check(
            proposal.status,
            action,
            standing.role,
            is_author=is_author,
            hidden=hidden,
            appealed=appealed,
        )
    except RuleViolation as violation:
        raise refusal(violation) from None


def require_member(standing: Standing, doing: str) -> None:
    """For actions outside the status table (writing a new proposal): members only."""
    if standing.role not in MEMBERS:
        raise refusal(role_refusal(standing.role, MEMBERS, doing))


def require_visible(proposal) -> None:
    """Hidden proposals take no new comments, supports or amendments."""
    if proposal.hidden_at is not None:
        raise DomainError(
            f"This proposal was hidden by the clerk: {proposal.hidden_reason}. "
            "It takes no new comments, supports or amendments.",
            code="proposal_hidden",
            status=409,
        )


def run_agenda_gates(proposal, action: str, actor) -> None:
    """Let the rounds feature refuse (by raising DomainError) while the proposal is on an agenda."""
    if proposal.status != "on_agenda":
        return
    for gate in list(AGENDA_GATES):
        gate(proposal, action, actor)


def text_field(
    value, *, field: str, label: str, limit: int, required: bool = True, hint: str = ""
) -> str:
    """A short free text (a reason, an appeal): stripped, required unless said, at most ``limit``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"The {label} must be text.", code=f"{field}_invalid", field=field)
    cleaned = value.replace("\r\n", "\n").strip()
    if required and not cleaned:
        raise DomainError(
            f"Give a {label}." + (f" {hint}" if hint else ""),
            code=f"{field}_required",
            field=field,
        )
    if len(cleaned) > limit:
        raise DomainError(
            f"The {label} is {len(cleaned):,} characters long; the limit is {limit:,}. Shorten it.",
            code=f"{field}_too_long",
            field=field,
        )
    return cleaned
