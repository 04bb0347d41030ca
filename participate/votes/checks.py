"""What a motion and a ballot must satisfy, checked before anything is written.

Refusals are DomainErrors naming the rule and what to do instead, with the form field
they belong to.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from participate.core.tally import BINARY_CHOICES, MAX_OPTIONS, MIN_OPTIONS, RULE_KEYS, Rules
from participate.councils.models import CONSTITUENCIES, Council, Membership
from participate.councils.services import current_constitution, settings_of
from participate.errors import DomainError
from participate.extensions import db
from participate.votes.models import KINDS, METHOD_LABELS, METHODS

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_OPTION_LENGTH = 200
MAX_REASON = 2000
# The shortest voting period a clerk may set, so that nobody opens a vote nobody can see.
MIN_VOTING_PERIOD = timedelta(minutes=5)
# A receipt: four groups of four from ballots.RECEIPT_ALPHABET.
_RECEIPT_RE = re.compile(r"^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$")


def check_motion(
    title: str, method: str, options: list[str] | None, kind: str, description: str
) -> dict[str, Any]:
    title = (title or "").strip()
    if not title:
        raise DomainError("Give the motion a title: the question members vote on.", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(f"Keep the title under {MAX_TITLE} characters.", field="title")
    if method not in METHODS:
        raise DomainError(
            f"Choose a voting method: {', '.join(METHOD_LABELS[m] for m in METHODS)}.",
            code="bad_method",
            field="method",
        )
    if kind not in KINDS:
        raise DomainError(
            "Choose whether the motion is ordinary or a governance change.",
            code="bad_kind",
            field="kind",
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            f"Keep the description under {MAX_DESCRIPTION:,} characters.", field="description"
        )
    cleaned: list[str] | None = None
    if method == "schulze":
        cleaned = check_options(options or [])
    elif options and any((o or "").strip() for o in options):
        raise DomainError(
            "Options are for ranked-choice motions only: a yes/no or consent motion asks one "
            "question. Choose 'Ranked choice' or remove the options.",
            code="options_not_allowed",
            field="options",
        )
    return {
        "title": title,
        "method": method,
        "kind": kind,
        "description": description,
        "options": cleaned,
    }


def check_options(options: list[str]) -> list[str]:
    cleaned = [str(o).strip() for o in options if str(o).strip()]
    seen: dict[str, str] = {}
    for option in cleaned:
        if len(option) > MAX_OPTION_LENGTH:
            raise DomainError(
                f"Keep each option under {MAX_OPTION_LENGTH} characters ('{option[:40]}...').",
                code="bad_options",
                field="options",
            )
        key = option.casefold()
        if key in seen:
            raise DomainError(
                f"'{option}' is listed twice; each option must be different.",
                code="bad_options",
                field="options",
            )
        seen[key] = option
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise DomainError(
            f"A ranked-choice motion needs {MIN_OPTIONS} to {MAX_OPTIONS} options, one per line "
            f"(you gave {len(cleaned)}).",
            code="bad_options",
            field="options",
        )
    return cleaned


def rules_snapshot(council: Council, kind: str) -> tuple[dict[str, Any], int | None]:
    settings = settings_of(council)
    weights = settings.get("weights") or {}
    rules = {
        "weights": {c: weights.get(c, 1) for c in CONSTITUENCIES},
        "quorum": settings["quorum"],
        "threshold": settings["governance_threshold" if kind == "governance" else "threshold"],
        "min_constituencies": settings["min_constituencies"],
        "concurrent_majority": bool(settings["concurrent_majority"]),
    }
    try:
        Rules(**{key: rules[key] for key in RULE_KEYS})
        for c, w in rules["weights"].items():
            if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
                raise ValueError(f"weights.{c} must be a number >= 0")
    except ValueError as exc:
        raise DomainError(
            f"The constitution's voting rules cannot be used ({exc}). Revise the constitution "
            "before opening voting.",
            code="bad_rules",
        ) from None
    version = current_constitution(council)
    return rules, version.number if version else None


def eligible_counts(council_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Membership.constituency, sa.func.count())
        .where(Membership.council_id == council_id, Membership.status == "active")
        .group_by(Membership.constituency)
    ).all()
    return dict.fromkeys(CONSTITUENCIES, 0) | {c: n for c, n in rows}


def check_ballot(
    method: str,
    options: list[str] | None,
    choice: str | None,
    ranking: list[Any] | None,
    objection: str | None,
) -> tuple[str | None, list[str] | None, str | None]:
    """The ballot as stored, ``(choice, ranking, reason)``; refuses anything malformed."""
    if method == "binary":
        if ranking is not None or objection is not None:
            raise DomainError(
                "This is a yes/no motion: send a choice (yes, no or abstain).",
                code="wrong_ballot_kind",
                field="choice",
            )
        if choice is None:
            raise DomainError(
                "Choose yes, no or abstain before sending your ballot.",
                code="bad_choice",
                field="choice",
            )
        if choice not in BINARY_CHOICES:
            raise DomainError(
                f"Choose yes, no or abstain; {_show(choice)} is not a choice on this motion.",
                code="bad_choice",
                field="choice",
            )
        return choice, None, None
    if method == "consent":
        if ranking is not None:
            raise DomainError(
                "This is a consent motion: consent, or object with a reason.",
                code="wrong_ballot_kind",
                field="choice",
            )
        if choice == "object" or objection is not None:
            reason = (objection or "").strip()
            if not reason:
                raise DomainError(
                    "An objection needs a reason: say what would have to change for you to "
                    "consent. The reason is published (without your name) when voting closes.",
                    code="reason_required",
                    field="reason",
                )
            if len(reason) > MAX_REASON:
                raise DomainError(
                    f"Keep the reason under {MAX_REASON:,} characters.",
                    code="reason_too_long",
                    field="reason",
                )
            return "object", None, reason
        if choice is None:
            raise DomainError(
                "Choose to consent, or to object with a reason, before sending your ballot.",
                code="bad_choice",
                field="choice",
            )
        if choice != "consent":
            raise DomainError(
                f"Consent, or object with a reason; {_show(choice)} is not a choice on this "
                "motion.",
                code="bad_choice",
                field="choice",
            )
        return "consent", None, None
    # schulze
    if choice is not None or objection is not None:
        raise DomainError(
            "This is a ranked-choice motion: send a ranking of its options, best first.",
            code="wrong_ballot_kind",
            field="ranking",
        )
    if not isinstance(ranking, list) or not ranking:
        raise DomainError(
            "Rank at least one option, best first. Options you leave out count as tied last.",
            code="empty_ranking",
            field="ranking",
        )
    known = set(options or [])
    seen: set[str] = set()
    for option in ranking:
        if not isinstance(option, str) or option not in known:
            raise DomainError(
                f"{_show(option)} is not one of this motion's options "
                f"({', '.join(options or [])}).",
                code="unknown_option",
                field="ranking",
            )
        if option in seen:
            raise DomainError(
                f"You ranked '{option}' twice: each option may have one place in your ranking.",
                code="duplicate_option",
                field="ranking",
            )
        seen.add(option)
    return None, list(ranking), None


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def normalise_receipt(text: str) -> str | None:
    """A receipt as typed (any case, spaces or dashes) in its canonical form, or None."""
    cleaned = re.sub(r"[\s\-]", "", (text or "").upper())
    if len(cleaned) != 16:
        return None
    code = "-".join(cleaned[i : i + 4] for i in range(0, 16, 4))
    return code if _RECEIPT_RE.match(code) else None
