"""Who the actor is in a round's council, and the phase table applied to them.

Every rounds service resolves the actor's role with `role_in` and calls `require`, which
applies `participate.core.phases.check` (the one permission table) and turns a refusal into
a DomainError: 401 to sign in, 403 for a role or a phase that does not allow the action.
"""

from __future__ import annotations

from participate.core import phases
from participate.core.rules import RuleViolation, council_role
from participate.councils.services import membership_of
from participate.errors import DomainError


def signed_in(actor) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def role_in(actor, council) -> str:
    """The actor's role in the council (visitor, account, member, clerk, minister, admin)."""
    membership = membership_of(actor, council) if signed_in(actor) else None
    return council_role(
        signed_in=signed_in(actor),
        is_admin=bool(getattr(actor, "is_admin", False)),
        membership_role=membership.role if membership is not None else None,
        membership_status=membership.status if membership is not None else None,
    )


def constituency_in(actor, council) -> str | None:
    membership = membership_of(actor, council) if signed_in(actor) else None
    if membership is None or membership.status != "active":
        return None
    return membership.constituency


def refusal(violation: RuleViolation) -> DomainError:
    status = 401 if violation.code == "sign_in_required" else 403
    return DomainError(violation.message, code=violation.code, status=status)


def require(round_, action: str, actor, *, phase: str | None = None) -> str:
    """Refuse unless the table lets the actor's role take ``action`` in the round's phase.

    Returns the role. ``phase`` overrides the round's stored phase (the gate checks the
    phase the round is in by its schedule, before the lazy transition is written).
    """
    role = role_in(actor, round_.council)
    try:
        phases.check(phase or round_.phase, action, role)
    except RuleViolation as violation:
        raise refusal(violation) from None
    return role


def may(round_, action: str, role: str) -> bool:
    """Whether the table allows ``role`` to take ``action`` now (to show or hide controls)."""
    return phases.is_allowed(round_.phase, action, role)
