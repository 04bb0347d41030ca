"""Rules for governance-change petitions (DESIGN.md §4): lifecycle, signing, thresholds.

Lifecycle (`STATUSES`)::

    draft --author--> collecting_sponsors --(last sponsor, system)--> in_moderation
    in_moderation --clerk--> open | rejected (with a public reason)
    open --(count >= threshold, system)--> threshold_reached
    open --(signing deadline passes, system)--> closed_unsuccessful
    threshold_reached --(response published: clerk, or system at the round's outcome)--> closed

``closed`` means answered: the council's response is published. Signing stays
possible while ``open`` and ``threshold_reached`` until the signing deadline.
``system`` is the pseudo-role of transitions the service makes by itself.

Who may sign: a signed-in person with a confirmed e-mail who declares (`DECLARATIONS`)
that they live in the place (recorded as ``citizen``), work for the service
(``employee``) or, for an active member of the council, sign in their membership's
constituency (``member``: leader, elected, partner, ...).

Length: about 500 lines, as one lifecycle's rules read together (the status table, signing,
deadlines, the threshold); the settings a constitution change proposes are in
`constitution_settings`, the arithmetic of counting in `signature_batches`.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from .rules import (
    ACCOUNTS,
    CLERKS,
    CONSTITUENCIES,
    RuleViolation,
    as_utc,
    check_role_name,
    frozen_table,
    human_list,
    role_refusal,
)

KINDS: tuple[str, ...] = ("cooperative_governance", "early_scrutiny", "constitution_change")
# Kinds whose passed motion becomes a new constitution version (and needs 2/3).
CONSTITUTION_KINDS: frozenset[str] = frozenset({"cooperative_governance", "constitution_change"})
GOVERNANCE_CHANGE_THRESHOLD = Fraction(2, 3)

STATUSES: tuple[str, ...] = (
    "draft",
    "collecting_sponsors",
    "in_moderation",
    "rejected",
    "open",
    "threshold_reached",
    "closed",
    "closed_unsuccessful",
)
STATUS_LABELS: Mapping[str, str] = {
    "draft": "a draft",
    "collecting_sponsors": "collecting sponsors",
    "in_moderation": "waiting for moderation",
    "rejected": "rejected",
    "open": "open for signatures",
    "threshold_reached": "past its threshold and awaiting the council's response",
    "closed": "closed with the council's response",
    "closed_unsuccessful": "closed without reaching the threshold",
}
FINAL_STATUSES: frozenset[str] = frozenset({"rejected", "closed", "closed_unsuccessful"})

SYSTEM = "system"

DEFAULT_THRESHOLD_MINIMUM = 100
DEFAULT_THRESHOLD_RATE = Fraction(1, 100)
DEFAULT_SPONSORS_NEEDED = 5
DEFAULT_SIGNING_MONTHS = 6
DEFAULT_RESPONSE_DAYS = 60
DEFAULT_MILESTONES: tuple[int, ...] = (10, 100, 1_000, 10_000, 100_000)
# Signatures stop at the deadline; the petition is closed (when short of its threshold) only
# this long after it, so a signature accepted just before the deadline is counted first.
CLOSE_GRACE = timedelta(seconds=5)

# The orders of the public list of petitions.
SORTS: Mapping[str, str] = {
    "most_signed": "Most signed",
    "newest": "Newest",
    "closing_soon": "Closing soon",
}
DEFAULT_SORT = "most_signed"

# (status, target) -> roles that may make the move.
TRANSITIONS: Mapping[tuple[str, str], frozenset[str]] = frozen_table(
    {
        ("draft", "collecting_sponsors"): ACCOUNTS,
        ("collecting_sponsors", "in_moderation"): frozenset({SYSTEM}),
        ("in_moderation", "open"): CLERKS,
        ("in_moderation", "rejected"): CLERKS,
        ("open", "threshold_reached"): frozenset({SYSTEM}),
        ("open", "closed_unsuccessful"): frozenset({SYSTEM}),
        ("threshold_reached", "closed"): CLERKS | {SYSTEM},
    }
)
AUTHOR_TRANSITIONS: frozenset[tuple[str, str]] = frozenset({("draft", "collecting_sponsors")})

ACTIONS: tuple[str, ...] = ("edit", "sponsor", "sign", "invalidate_signature", "add_to_agenda")
# (status, action) -> roles. A missing cell allows nobody.
PERMISSIONS: Mapping[tuple[str, str], frozenset[str]] = frozen_table(
    {
        ("draft", "edit"): ACCOUNTS,
        ("collecting_sponsors", "sponsor"): ACCOUNTS,
        ("open", "sign"): ACCOUNTS,
        ("threshold_reached", "sign"): ACCOUNTS,
        ("open", "invalidate_signature"): CLERKS,
        ("threshold_reached", "invalidate_signature"): CLERKS,
        ("threshold_reached", "add_to_agenda"): CLERKS,
    }
)
AUTHOR_ONLY: frozenset[str] = frozenset({"edit"})
NOT_AUTHOR: frozenset[str] = frozenset({"sponsor"})

DECLARATIONS: tuple[str, ...] = ("live", "work", "member")
DECLARED_CONSTITUENCY: Mapping[str, str] = {"live": "citizen", "work": "employee"}

_WORDS: dict[str, tuple[str, str]] = {
    "edit": ("Editing is", "edit petitions"),
    "sponsor": ("Sponsoring is", "sponsor petitions"),
    "sign": ("Signing is", "sign petitions"),
    "invalidate_signature": ("Invalidating signatures is", "invalidate signatures"),
    "add_to_agenda": ("Putting the petition on an agenda is", "put petitions on an agenda"),
}
_HINTS: dict[tuple[str, str], str] = {
    ("open", "sponsor"): "It has been published: sign it instead.",
    ("threshold_reached", "sponsor"): "It has been published: sign it instead.",
    ("collecting_sponsors", "sign"): "Signatures open once it is published; sponsor it instead.",
    ("in_moderation", "sign"): "Signatures open once a clerk has published it.",
    ("collecting_sponsors", "edit"): "Its text is fixed once sponsors are invited.",
}


def sort_or_default(value: str | None) -> str:
    """A known sort key of the public list, or the default for anything else."""
    return value if value is not None and value in SORTS else DEFAULT_SORT


def _status_code(status: str) -> str:
    if status in {"draft", "collecting_sponsors", "in_moderation"}:
        return "petition_not_published"
    if status in {"closed", "closed_unsuccessful"}:
        return "petition_closed"
    return f"petition_{status}"


def _check_status_name(status: str) -> None:
    if status not in STATUSES:
        raise RuleViolation(
            "unknown_status",
            f"Unknown petition status {status!r}: expected one of {human_list(STATUSES, 'or')}.",
        )


def validate_kind(kind: object) -> str:
    """One of `KINDS`."""
    if kind not in KINDS:
        raise RuleViolation(
            "kind_invalid",
            f"Choose the kind of petition: {human_list(KINDS, 'or')}.",
            kind=kind,
        )
    return str(kind)


def statuses_allowing(action: str) -> tuple[str, ...]:
    """The statuses, in order, in which someone may take ``action``."""
    return tuple(s for s in STATUSES if PERMISSIONS.get((s, action)))


def check(status: str, action: str, role: str, *, is_author: bool = False) -> None:
    """Refuse, with a `RuleViolation`, an action on a petition in ``status``.

    Status refusals (``petition_not_published``, ``petition_rejected``,
    ``petition_open``, ``petition_threshold_reached``, ``petition_closed``) name
    the statuses that allow the action; then the role; then ``author_only`` (edit)
    and ``author_cannot_sponsor``.
    """
    _check_status_name(status)
    if action not in ACTIONS:
        raise RuleViolation(
            "unknown_action",
            f"Unknown petition action {action!r}: expected one of {human_list(ACTIONS, 'or')}.",
        )
    check_role_name(role)
    subject, doing = _WORDS[action]
    roles = PERMISSIONS.get((status, action), frozenset())
    if not roles:
        allowing = statuses_allowing(action)
        message = (
            f"{subject} not allowed on a petition that is {STATUS_LABELS[status]}: the rule "
            f"allows this only while a petition is "
            f"{human_list([STATUS_LABELS[s] for s in allowing], 'or')}."
        )
        hint = _HINTS.get((status, action))
        if hint:
            message += f" {hint}"
        raise RuleViolation(
            _status_code(status),
            message,
            status=status,
            action=action,
            allowed_statuses=list(allowing),
        )
    if role not in roles:
        refusal = role_refusal(role, roles, doing)
        refusal.details.update(status=status, action=action)
        raise refusal
    if action in AUTHOR_ONLY and not is_author:
        raise RuleViolation("author_only", "Only the author of the petition can edit it.")
    if action in NOT_AUTHOR and is_author:
        raise RuleViolation(
            "author_cannot_sponsor",
            "You started this petition, so you cannot sponsor it: share the sponsor link "
            "with others.",
        )


def check_transition(status: str, target: str, role: str, *, is_author: bool = False) -> None:
    """Refuse a status change `TRANSITIONS` does not allow to ``role``.

    ``role`` is one of the rule roles or `SYSTEM` for the changes the service makes
    by itself (sponsors complete, threshold reached, deadline passed).
    """
    _check_status_name(status)
    _check_status_name(target)
    if role != SYSTEM:
        check_role_name(role)
    roles = TRANSITIONS.get((status, target))
    if roles is None:
        following = [t for (s, t) in TRANSITIONS if s == status]
        after = (
            f"from there it can only become {human_list(following, 'or')}"
            if following
            else "that is final"
        )
        code = "petition_closed" if status in FINAL_STATUSES else "transition_not_allowed"
        raise RuleViolation(
            code,
            f"A petition that is {STATUS_LABELS[status]} cannot become {target}: {after}.",
            status=status,
            target=target,
        )
    if role not in roles:
        if roles == {SYSTEM}:
            raise RuleViolation(
                "automatic_transition",
                f"A petition becomes {target} by itself, not by hand: "
                + {
                    "in_moderation": "when its last sponsor signs.",
                    "threshold_reached": "when its signatures reach the threshold.",
                    "closed_unsuccessful": "when its signing deadline passes.",
                }.get(target, "when its conditions are met."),
                status=status,
                target=target,
            )
        refusal = role_refusal(role, roles - {SYSTEM}, f"make a petition {target}")
        refusal.details.update(status=status, target=target)
        raise refusal
    if (status, target) in AUTHOR_TRANSITIONS and not is_author:
        raise RuleViolation(
            "author_only", "Only the author of the petition can send it out for sponsors."
        )


def declared_constituency(declaration: str, member_constituency: str | None = None) -> str:
    """The constituency a signature records for a declaration (see `DECLARATIONS`)."""
    if declaration in DECLARED_CONSTITUENCY:
        return DECLARED_CONSTITUENCY[declaration]
    if declaration == "member":
        if member_constituency is None:
            raise RuleViolation(
                "not_a_member",
                "Only active members of the council can sign as members; declare that you "
                "live in the place or work for the service instead.",
            )
        if member_constituency not in CONSTITUENCIES:
            raise RuleViolation(
                "unknown_constituency",
                f"Unknown constituency {member_constituency!r}: expected one of "
                f"{human_list(CONSTITUENCIES, 'or')}.",
            )
        return member_constituency
    raise RuleViolation(
        "declaration_required",
        "To sign, declare that you live in the place or work for the service"
        " (members may sign in their constituency).",
        declaration=declaration,
    )


def check_declared(declaration: str, *, place: str | None, service: str | None) -> None:
    """Refuse a declaration that does not name what it declares; nothing is assumed.

    ``live``: the local place the signer lives in (``place_required``); ``work``: the
    service they work for (``service_required``) and the local place where
    (``place_required``); ``member``: neither (the membership is the declaration). Whether
    the place is within the area the council serves, and the service one the council
    covers, is for the caller to check against the database.
    """
    if declaration == "work" and not service:
        raise RuleViolation(
            "service_required",
            "Choose the service you work for: an employee's signature records it.",
            field="service",
        )
    if declaration in ("live", "work") and not place:
        where = "live in" if declaration == "live" else "work in"
        raise RuleViolation(
            "place_required",
            f"Choose the local place you {where}: your signature records it, and only "
            "places within the area the council serves count.",
            field="place",
        )


def check_can_sign(
    status: str,
    *,
    email_confirmed: bool,
    declaration: str,
    member_constituency: str | None = None,
    role: str = "account",
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """Refuse a signature that may not be given; return the constituency it records.

    Checks, in order: the petition takes signatures (``open`` or
    ``threshold_reached``), the role (visitors must sign in), a confirmed e-mail
    (``email_unconfirmed``), the signing deadline when ``deadline`` and ``now`` are
    given (``deadline_passed``), and the declaration. One signature per person is the
    database's unique constraint, not a rule here.
    """
    check(status, "sign", role)
    if not email_confirmed:
        raise RuleViolation(
            "email_unconfirmed",
            "Confirm your e-mail address before signing: follow the link we sent you.",
        )
    if deadline is not None and now is not None and deadline_passed(deadline, now):
        raise RuleViolation("deadline_passed", "The signing deadline of this petition has passed.")
    return declared_constituency(declaration, member_constituency)


def check_can_sponsor(
    status: str,
    is_author: bool,
    already_sponsored: bool,
    *,
    role: str = "account",
    email_confirmed: bool = True,
) -> None:
    """Refuse a sponsorship: only while collecting sponsors, not the author, once each."""
    check(status, "sponsor", role, is_author=is_author)
    if not email_confirmed:
        raise RuleViolation(
            "email_unconfirmed", "Confirm your e-mail address before sponsoring a petition."
        )
    if already_sponsored:
        raise RuleViolation("already_sponsored", "You have already sponsored this petition.")


def sponsors_complete(count: int, needed: int) -> bool:
    """Whether ``count`` sponsors are enough (``needed`` may be 0: no sponsors needed)."""
    if count < 0 or needed < 0:
        raise ValueError("sponsor counts cannot be negative")
    return count >= needed


def deadline_passed(deadline: datetime, now: datetime) -> bool:
    """Whether ``now`` is at or after ``deadline`` (naive datetimes are taken as UTC)."""
    return as_utc(now) >= as_utc(deadline)


def signing_deadline(opened_at: datetime, months: int = DEFAULT_SIGNING_MONTHS) -> datetime:
    """``months`` calendar months after ``opened_at`` (31 August + 6 months = 28/29 February)."""
    if months < 1:
        raise ValueError("a petition is open for at least one month")
    month_index = opened_at.month - 1 + months
    year = opened_at.year + month_index // 12
    month = month_index % 12 + 1
    day = min(opened_at.day, calendar.monthrange(year, month)[1])
    return opened_at.replace(year=year, month=month, day=day)


def response_deadline(reached_at: datetime, days: int = DEFAULT_RESPONSE_DAYS) -> datetime:
    """When the council must have answered a petition that reached its threshold at ``reached_at``."""
    if days < 1:
        raise ValueError("the response deadline is at least one day")
    return reached_at + timedelta(days=days)


def status_after_deadline(status: str, deadline: datetime, now: datetime) -> str:
    """``closed_unsuccessful`` for an ``open`` petition whose signing deadline has passed."""
    _check_status_name(status)
    if status == "open" and deadline_passed(deadline, now):
        return "closed_unsuccessful"
    return status


# --- the motion that applies a governance change --------------------------------


def check_deciding_motion(
    motion_id: int | None, deciding_motion_id: int | None, *, passed: bool
) -> int:
    """Refuse every motion but the one that decided the petition; return that motion's id.

    ``deciding_motion_id`` is the motion the council's answer recorded (the petition's
    agenda item in the round that answered it); ``None`` when no motion decided it (not
    answered yet, or answered at a meeting). ``motion_id`` is the one the clerk names
    (``None``: the deciding one). ``passed``: whether the deciding motion passed.
    """
    if deciding_motion_id is None:
        raise RuleViolation(
            "no_deciding_motion",
            "No motion has decided this petition, and only the motion that decided it "
            "applies it to the constitution. Put the petition on a round's agenda: when its "
            "motion passes and the clerk records the outcome, the change is applied.",
        )
    if motion_id is not None and motion_id != deciding_motion_id:
        raise RuleViolation(
            "not_the_deciding_motion",
            f"Only the motion that decided this petition applies it: that is motion "
            f"{deciding_motion_id}, not motion {motion_id}.",
            deciding_motion=deciding_motion_id,
        )
    if not passed:
        raise RuleViolation(
            "motion_not_passed",
            f"Motion {deciding_motion_id}, which decided this petition, did not pass: the "
            "constitution changes only by a passed motion.",
            deciding_motion=deciding_motion_id,
        )
    return deciding_motion_id


# --- threshold ----------------------------------------------------------------


def exact_fraction(value: object, name: str) -> Fraction:
    """An exact fraction from an int, Decimal, Fraction, numeric text or float (via its text)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        # str() gives the shortest text that round-trips: 0.01 -> "0.01" -> 1/100 exactly.
        return Fraction(str(value))
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    raise ValueError(f"{name} must be a number, got {value!r}")


def _threshold_inputs(population: int | None, minimum: int, rate: object) -> tuple[int, Fraction]:
    if population is not None and (
        isinstance(population, bool) or not isinstance(population, int) or population < 0
    ):
        raise ValueError(f"population must be a whole number >= 0 or None, got {population!r}")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        raise ValueError(f"the threshold minimum must be a whole number >= 1, got {minimum!r}")
    exact_rate = exact_fraction(rate, "the threshold rate")
    if not 0 <= exact_rate <= 1:
        raise ValueError(f"the threshold rate must be between 0 and 1, got {rate!r}")
    return minimum, exact_rate


def threshold(
    population: int | None,
    minimum: int = DEFAULT_THRESHOLD_MINIMUM,
    rate: object = DEFAULT_THRESHOLD_RATE,
) -> int:
    """Signatures needed: ``max(minimum, ceil(rate × population))``, exactly.

    ``rate`` may be a Fraction, Decimal, int, numeric text or float (a float is read
    through its shortest text, so 0.01 means one hundredth): 1% of 568,996 is 5,690.
    An unknown population (None) needs the minimum.
    """
    minimum, exact_rate = _threshold_inputs(population, minimum, rate)
    if population is None:
        return minimum
    return max(minimum, math.ceil(exact_rate * population))


def _percent(rate: Fraction) -> str:
    percent = rate * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    text = f"{Decimal(percent.numerator) / Decimal(percent.denominator):.6f}".rstrip("0")
    return f"{text.rstrip('.')}%"


def threshold_explanation(
    population: int | None,
    minimum: int = DEFAULT_THRESHOLD_MINIMUM,
    rate: object = DEFAULT_THRESHOLD_RATE,
) -> str:
    """How `threshold` was computed, e.g. ``max(100, ceil(1% × 568,996)) = 5,690``."""
    minimum, exact_rate = _threshold_inputs(population, minimum, rate)
    needed = threshold(population, minimum, rate)
    if population is None:
        return f"{needed:,} (the minimum: the population of the place is not known)"
    return f"max({minimum:,}, ceil({_percent(exact_rate)} × {population:,})) = {needed:,}"
