"""A person's standing in a council, what the rule tables let them do, and a refusal as an
HTTP-ready error: the one access module every feature uses.

A service works out the actor's `Standing` (or just `role_in`) in the council the thing
belongs to, asks the feature's rule table in `participate.core` through `require_round` or
`require_proposal` (or `enforce` for any other check), and a `RuleViolation` becomes a
`DomainError` by `refusal`, whose status comes from the one table `RULE_STATUS`: 401 to sign
in, 403 for who you are, 409 for the state the thing is in, 400 for what you typed.
`text_field` cleans the short free texts (a reason, a title) the services take.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from participate.core import conflicts, phases
from participate.core import proposals as proposal_rules
from participate.core.rules import MEMBERS, RuleViolation, council_role, role_refusal
from participate.councils.services import membership_of
from participate.errors import DomainError


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
        """The constituency of an active membership (None for anyone else)."""
        if self.membership is None or self.membership.status != "active":
            return None
        return self.membership.constituency

    @property
    def is_member(self) -> bool:
        return self.role in MEMBERS

    @property
    def is_clerk(self) -> bool:
        return self.role == "clerk"


def role_in(actor, council) -> str:
    """The actor's role in the council (visitor, account, member, clerk, minister, admin)."""
    return Standing(actor, council).role


# ---------------------------------------------------------------- refusals

# A refusal's HTTP status by rule code. Who you are is 401 (sign in) or 403 (the default);
# the state the thing is in is 409; what you typed or declared is 400.
RULE_STATUS = {
    "sign_in_required": 401,
    # petitions
    "not_a_member": 400,
    "declaration_required": 400,
    "place_required": 400,
    "service_required": 400,
    "automatic_transition": 409,
    "transition_not_allowed": 409,
    "petition_closed": 409,
    "petition_not_published": 409,
    "petition_rejected": 409,
    "petition_open": 409,
    "petition_threshold_reached": 409,
    "already_sponsored": 409,
    "deadline_passed": 409,
    # proposals: the status refuses (proposal_<status>), or the moderation state does
    **{f"proposal_{status}": 409 for status in proposal_rules.STATUSES},
    "already_hidden": 409,
    "already_appealed": 409,
    "not_hidden": 409,
    "no_appeal": 409,
}
# The form field a refusal is about, by rule code (for the form error and the API's "field").
RULE_FIELD = {
    "not_a_member": "declaration",
    "declaration_required": "declaration",
    "place_required": "place",
    "service_required": "service",
}


def refusal(violation: RuleViolation) -> DomainError:
    """A core RuleViolation as a DomainError with the status (and field) its code deserves."""
    return DomainError(
        violation.message,
        code=violation.code,
        status=RULE_STATUS.get(violation.code, 403),
        field=RULE_FIELD.get(violation.code),
    )


def invalid(violation: RuleViolation, field: str) -> DomainError:
    """A validator's refusal (bad input) as a 400 on the form field it concerns."""
    return DomainError(violation.message, code=violation.code, status=400, field=field)


def enforce(check: Callable[..., object], *args, **kwargs) -> None:
    """Run a core rule check; its RuleViolation is raised as `refusal` makes it."""
    try:
        check(*args, **kwargs)
    except RuleViolation as violation:
        raise refusal(violation) from None


# ---------------------------------------------------------------- what they may do


def require_role(role: str, roles: Collection[str], doing: str) -> None:
    """For actions outside a status or phase table: refuse unless ``role`` is one of ``roles``
    (``doing`` finishes "Sign in to ...", "Only members may ...")."""
    if role not in roles:
        raise refusal(role_refusal(role, roles, doing))


def require_round(round_, action: str, actor, *, phase: str | None = None) -> str:
    """Refuse unless the phase table (`participate.core.phases`) lets the actor's role take
    ``action`` in the round's phase; return the role. ``phase`` overrides the round's stored
    phase (the agenda gate checks the phase the round is in by its schedule, before the lazy
    transition is written)."""
    role = role_in(actor, round_.council)
    enforce(phases.check, phase or round_.phase, action, role)
    return role


def round_allows(round_, action: str, role: str) -> bool:
    """Whether the phase table allows ``role`` to take ``action`` now (to show or hide
    controls)."""
    return phases.is_allowed(round_.phase, action, role)


def require_proposal(
    proposal,
    action: str,
    standing: Standing,
    *,
    is_author: bool = False,
    hidden: bool = False,
    appealed: bool = False,
) -> None:
    """Refuse unless the proposal's status and the actor's role allow ``action``
    (`participate.core.proposals.check`)."""
    enforce(
        proposal_rules.check,
        proposal.status,
        action,
        standing.role,
        is_author=is_author,
        hidden=hidden,
        appealed=appealed,
    )


def check_no_conflict(
    actor,
    *,
    subject: str,
    doing: str,
    author_id: int | None,
    sponsor_ids: Collection[int] = (),
) -> None:
    """Refuse (403 conflict_of_interest) a decision on what the actor started, sponsored or
    wrote (`participate.core.conflicts`): another clerk of the council decides on it."""
    if not signed_in(actor):
        return
    enforce(
        conflicts.check_no_conflict,
        actor.id,
        actor.name,
        subject=subject,
        doing=doing,
        author_id=author_id,
        sponsor_ids=sponsor_ids,
    )


def conflict_note(
    user, *, subject: str, author_id: int | None, sponsor_ids: Collection[int] = ()
) -> str | None:
    """For the pages: "Ana Silva started this petition, so another clerk of the council
    decides on it." when the person started, sponsored or wrote it, else None."""
    if not signed_in(user):
        return None
    relation = conflicts.interest(user.id, author_id=author_id, sponsor_ids=sponsor_ids)
    return conflicts.stepped_aside(user.name, subject, relation) if relation else None


# ---------------------------------------------------------------- fields

_PREPOSITIONS = frozenset({"about", "for", "from", "in", "of", "on", "to", "with"})


def _is(label: str) -> str:
    """The verb after a field name: "are" when it is plural, else "is". The head noun is its word before
    the first preposition ("reasons for the decision", "note on the minutes"), and a plural
    ends in s (not ss, us or is, as "address", "status", "analysis")."""
    words = label.lower().split()
    head = next(
        (w for i, w in enumerate(words) if i + 1 == len(words) or words[i + 1] in _PREPOSITIONS), ""
    )
    plural = head.endswith("s") and not head.endswith(("ss", "us", "is", "'s"))
    return "are" if plural else "is"


def text_field(
    value,
    *,
    field: str,
    label: str,
    limit: int,
    required: bool = True,
    minimum: int = 1,
    hint: str = "",
    article: str = "the",
) -> str:
    """A free text (a title, a reason): stripped, required unless said, between ``minimum``
    and ``limit`` characters long. An empty optional text is "". ``article`` is the one
    the "Give the …" refusal puts before ``label`` ("a" for "Give a reason for flagging")."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"The {label} must be text.", code=f"{field}_invalid", field=field)
    cleaned = value.replace("\r\n", "\n").strip()
    if not cleaned:
        if required:
            raise DomainError(
                f"Give {article} {label}." + (f" {hint}" if hint else ""),
                code=f"{field}_required",
                field=field,
            )
        return ""
    if len(cleaned) < minimum:
        raise DomainError(
            f"The {label} {_is(label)} too short: write at least {minimum} characters.",
            code=f"{field}_too_short",
            field=field,
        )
    if len(cleaned) > limit:
        raise DomainError(
            f"The {label} {_is(label)} {len(cleaned):,} characters long; the limit is {limit:,}. Shorten it.",
            code=f"{field}_too_long",
            field=field,
        )
    return cleaned
