"""Publishing a motion's outcome: the tally of its opened (unsealed) ballots, turnout, the
anonymised ballot file of DESIGN §3, receipt lookups and a consent motion's objections.
Nothing here shows who voted how: the ballot table has no user column, and only the
server's key opens its seals."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from participate.core.tally import RULE_KEYS, Rules, tally_binary, tally_consent, tally_schulze
from participate.councils.models import CONSTITUENCIES
from participate.errors import Conflict, DomainError
from participate.extensions import db
from participate.votes import seal
from participate.votes.checks import normalise_receipt
from participate.votes.models import Ballot, Motion
from participate.votes.seal import Opened


def opened_ballots(motion: Motion) -> list[Opened]:
    """The motion's ballots, opened with the server's key, in receipt order (random)."""
    rows = db.session.execute(
        sa.select(Ballot.ref, Ballot.constituency, Ballot.receipt_sealed, Ballot.sealed).where(
            Ballot.motion_id == motion.id
        )
    ).all()
    try:
        opened = seal.open_ballots(motion.id, motion.options, rows)
    except seal.SealError as error:
        raise Conflict(str(error) + " Tell the platform's administrator.", code="sealed") from None
    return sorted(opened, key=lambda ballot: ballot.receipt)


def tally_motion(motion: Motion) -> dict[str, Any]:
    """The result of DESIGN §3 from the opened ballots (what the ballot file re-tallies to)."""
    rules = motion.rules or {}
    eligible = {c: int(n) for c, n in (motion.eligible or {}).items()}
    weights = rules.get("weights", {})
    core_rules = Rules(**{key: rules[key] for key in RULE_KEYS if key in rules})
    ballots = opened_ballots(motion)
    if motion.method == "schulze":
        grouped: dict[str, Counter[tuple[str, ...]]] = {}
        for ballot in ballots:
            grouped.setdefault(ballot.constituency, Counter())[tuple(ballot.ranking or ())] += 1
        return tally_schulze(motion.options or [], grouped, eligible, weights, core_rules)
    counts: dict[str, dict[str, int]] = {}
    for ballot in ballots:
        row = counts.setdefault(ballot.constituency, {})
        row[ballot.choice] = row.get(ballot.choice, 0) + 1
    if motion.method == "consent":
        return tally_consent(
            {c: k.get("object", 0) for c, k in counts.items()},
            {c: k.get("consent", 0) for c, k in counts.items()},
            eligible,
        )
    return tally_binary(counts, eligible, weights, core_rules)


def outcome_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The headline of a result, for the audit log and notifications."""
    summary: dict[str, Any] = {"minority": result.get("minority", [])}
    if result.get("method") == "schulze":
        summary.update(winner=result.get("winner"), ranking=result.get("ranking"))
    else:
        summary["passed"] = result.get("passed")
    if result.get("method") == "binary":
        summary["weighted_support"] = result.get("weighted_support")
    if result.get("method") == "consent":
        summary["objections"] = result.get("objections")
    summary["voted"] = {c: row["voted"] for c, row in result.get("constituencies", {}).items()}
    return summary


def outcome_sentence(result: dict[str, Any]) -> str:
    if result.get("method") == "schulze":
        winner = result.get("winner")
        return f"{winner} won." if winner else "no decision (too few constituencies took part)."
    if result.get("method") == "consent":
        n = result.get("objections", 0)
        return (
            "it proceeds: nobody objected."
            if result.get("passed")
            else f"{n} objection{'' if n == 1 else 's'}."
        )
    return "passed." if result.get("passed") else "not passed."


def objections(motion: Motion) -> list[dict[str, str]]:
    """A closed consent motion's objections with their reasons (no receipts, no names)."""
    if motion.status != "closed" or motion.method != "consent":
        return []
    return [
        {"constituency": ballot.constituency, "reason": ballot.reason or ""}
        for ballot in opened_ballots(motion)
        if ballot.choice == "object"
    ]


def turnout_by_constituency(motion: Motion) -> dict[str, dict[str, int]]:
    """``{constituency: {"eligible", "voted"}}``: counts only, safe to show while open."""
    if motion.eligible is None:
        return {}
    voted = dict(
        db.session.execute(
            sa.select(Ballot.constituency, sa.func.count())
            .where(Ballot.motion_id == motion.id)
            .group_by(Ballot.constituency)
        ).all()
    )
    return {
        c: {"eligible": int(motion.eligible.get(c, 0)), "voted": int(voted.get(c, 0))}
        for c in CONSTITUENCIES
    }


def ballot_file(motion: Motion) -> dict[str, Any]:
    """The anonymised ballot file of DESIGN §3, published once voting has closed.

    Exactly the keys of §3 (the motion itself is described by ``GET /api/v1/motions/<id>``).
    Ballots are listed in receipt order (random), so the order says nothing about who
    voted when. Consent ballots carry ``choice`` consent/object and an objection's
    ``reason`` (the consent extension the core tally reads; it ignores ``reason``).
    """
    if motion.status != "closed":
        raise Conflict(
            "The ballot file is published when voting closes, so that nobody sees a running "
            "result. Come back after the closing time.",
            code="not_closed",
        )
    rules = motion.rules or {}
    weights = rules.get("weights", {})
    data: dict[str, Any] = {"method": motion.method}
    if motion.method == "schulze":
        data["options"] = list(motion.options or [])
    data["rules"] = {key: rules[key] for key in RULE_KEYS if key in rules}
    data["constituencies"] = {
        c: {"weight": weights.get(c, 1), "eligible": int((motion.eligible or {}).get(c, 0))}
        for c in CONSTITUENCIES
    }
    ballots = [_published(motion, ballot) for ballot in opened_ballots(motion)]
    data["ballots"] = ballots
    return data


def lookup_receipt(motion: Motion, code: str) -> dict[str, Any] | None:
    """The published ballot with this receipt (as in the ballot file), or None."""
    if motion.status != "closed":
        raise Conflict(
            "Receipts can be checked once voting closes and the ballot file is published.",
            code="not_closed",
        )
    receipt = normalise_receipt(code)
    if receipt is None:
        raise DomainError(
            "A receipt has 16 letters and digits, like ABCD-EFGH-JKLM-NPQR. Check what you typed.",
            code="bad_receipt",
            field="code",
        )
    row = db.session.execute(
        sa.select(Ballot.ref, Ballot.constituency, Ballot.receipt_sealed, Ballot.sealed).where(
            Ballot.motion_id == motion.id, Ballot.receipt_digest.in_(seal.receipt_digests(receipt))
        )
    ).first()
    if row is None:
        return None
    try:
        [ballot] = seal.open_ballots(motion.id, motion.options, [tuple(row)])
    except seal.SealError as error:
        raise Conflict(str(error) + " Tell the platform's administrator.", code="sealed") from None
    return _published(motion, ballot)


def _published(motion: Motion, ballot: Opened) -> dict[str, Any]:
    """One ballot as the ballot file lists it."""
    entry: dict[str, Any] = {"constituency": ballot.constituency, "receipt": ballot.receipt}
    if motion.method == "schulze":
        entry["ranking"] = ballot.ranking
    else:
        entry["choice"] = ballot.choice
        if ballot.reason is not None:
            entry["reason"] = ballot.reason
    return entry
