"""Reading a published ballot file (DESIGN.md §3) and re-tallying it: what ``participate
tally FILE`` prints, so anyone can check a published result.

``parse_ballot_file(data)`` validates the file and groups identical ballots, raising
``BallotFileError`` that names the first bad entry; ``tally_ballot_file(data)`` feeds the
groups to the tallies of `participate.core.tally`. Stdlib only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from .tally import (
    BINARY_CHOICES,
    CONSENT_CHOICES,
    CONSTITUENCIES,
    MAX_OPTIONS,
    METHODS,
    MIN_OPTIONS,
    Rules,
    is_number,
    tally_binary,
    tally_consent,
    tally_schulze,
)


class BallotFileError(ValueError):
    """A ballot file that cannot be tallied; the message names the first bad entry."""


@dataclass(frozen=True)
class BallotFile:
    """A validated ballot file with identical ballots grouped.

    ``constituencies`` maps each listed constituency to ``(weight, eligible)``.
    ``ballots`` counts ``(constituency, choice)`` for binary and consent files and
    ``(constituency, ranking tuple)`` for Schulze files.
    """

    method: str
    options: tuple[str, ...]
    rules: Rules
    constituencies: Mapping[str, tuple[float, int]]
    ballots: Counter[tuple[str, Any]]

    def by_constituency(self) -> dict[str, dict[Any, int]]:
        """``{constituency: {choice or ranking: count}}`` for every listed constituency."""
        grouped: dict[str, dict[Any, int]] = {c: {} for c in self.constituencies}
        for (c, choice), n in self.ballots.items():
            grouped[c][choice] = n
        return grouped


_MISSING = object()
_GET_RECEIPT = itemgetter("receipt")
_GET_CONSTITUENCY = itemgetter("constituency")
_GET_RANKING = itemgetter("ranking")


def parse_ballot_file(data: Any) -> BallotFile:
    """Validate a ballot file (DESIGN §3) and group its identical ballots.

    Every ballot needs ``constituency`` (listed under ``constituencies``), a
    ``receipt`` (a non-empty string, unique in the file) and ``choice`` (binary:
    yes/no/abstain; consent: consent/object) or ``ranking`` (Schulze: distinct
    options, best first; may be partial or empty). ``rules`` and each constituency's
    ``weight`` are optional (defaults: ``Rules()``, weight 1). Unknown top-level and
    ballot keys are ignored, so a publisher may add metadata.

    Raises BallotFileError naming the first bad entry, e.g.
    ``ballots[17]: choice 'maybe' is not one of yes, no, abstain``.
    """
    if not isinstance(data, Mapping):
        raise BallotFileError("the ballot file must be a JSON object")
    method = _required(data, "method")
    if not isinstance(method, str) or method not in METHODS:
        raise BallotFileError(f"method {_show(method)} is not one of {', '.join(METHODS)}")
    options = _parse_options(_required(data, "options")) if method == "schulze" else ()
    try:
        rules = Rules.from_dict(data.get("rules", {}))
    except ValueError as exc:
        raise BallotFileError(str(exc)) from None
    constituencies = _parse_constituencies(_required(data, "constituencies"))
    ballots = _required(data, "ballots")
    if not isinstance(ballots, list):
        raise BallotFileError("ballots must be a list")
    eligible = {c: n for c, (_w, n) in constituencies.items()}
    if method == "schulze":
        grouped = _group_rankings(ballots, eligible, options)
    else:
        choices = BINARY_CHOICES if method == "binary" else CONSENT_CHOICES
        grouped = _group_choices(ballots, eligible, choices)
    return BallotFile(method, options, rules, constituencies, grouped)


def tally_ballot_file(data: Any) -> dict[str, Any]:
    """Re-tally a published ballot file; the result JSON of DESIGN §3."""
    parsed = parse_ballot_file(data)
    grouped = parsed.by_constituency()
    eligible = {c: n for c, (_w, n) in parsed.constituencies.items()}
    weights = {c: w for c, (w, _n) in parsed.constituencies.items()}
    if parsed.method == "schulze":
        return tally_schulze(parsed.options, grouped, eligible, weights, parsed.rules)
    if parsed.method == "consent":
        objections = {c: counts.get("object", 0) for c, counts in grouped.items()}
        consents = {c: counts.get("consent", 0) for c, counts in grouped.items()}
        return tally_consent(objections, consents, eligible)
    return tally_binary(grouped, eligible, weights, parsed.rules)


def _required(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key, _MISSING)
    if value is _MISSING:
        raise BallotFileError(f"missing key {key!r}")
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_options(options: Any) -> tuple[str, ...]:
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise BallotFileError(
            f"options must be a list of {MIN_OPTIONS} to {MAX_OPTIONS} distinct strings"
        )
    seen: set[str] = set()
    for i, option in enumerate(options):
        if not isinstance(option, str) or not option:
            raise BallotFileError(f"options[{i}] must be a non-empty string")
        if option in seen:
            raise BallotFileError(f"options[{i}]: {option!r} is listed twice")
        seen.add(option)
    return tuple(options)


def _parse_constituencies(data: Any) -> dict[str, tuple[float, int]]:
    if not isinstance(data, Mapping) or not data:
        raise BallotFileError("constituencies must be an object naming at least one constituency")
    parsed: dict[str, tuple[float, int]] = {}
    for name, entry in data.items():
        where = f"constituencies.{name}"
        if name not in CONSTITUENCIES:
            raise BallotFileError(f"{where} is not one of {', '.join(CONSTITUENCIES)}")
        if not isinstance(entry, Mapping):
            raise BallotFileError(f"{where} must be an object with eligible and weight")
        for key in entry:
            if key not in ("weight", "eligible"):
                raise BallotFileError(f"{where}.{key} is not known; expected eligible and weight")
        eligible = entry.get("eligible", _MISSING)
        if eligible is _MISSING:
            raise BallotFileError(f"{where}: missing key 'eligible'")
        if isinstance(eligible, bool) or not isinstance(eligible, int) or eligible < 0:
            raise BallotFileError(f"{where}.eligible must be a whole number >= 0")
        weight = entry.get("weight", 1)
        if not is_number(weight) or weight < 0:
            raise BallotFileError(f"{where}.weight must be a number >= 0")
        parsed[name] = (float(weight), eligible)
    # Results list constituencies in the canonical order, whatever order the file used.
    return {c: parsed[c] for c in CONSTITUENCIES if c in parsed}


def _group_choices(
    ballots: list[Any], eligible: Mapping[str, int], choices: tuple[str, ...]
) -> Counter[tuple[str, Any]]:
    # Fast path: count in C, validate only the distinct keys; rescan in order on trouble.
    try:
        grouped: Counter[tuple[str, Any]] = Counter(
            map(itemgetter("constituency", "choice"), ballots)
        )
        ok = all(c in eligible and choice in choices for c, choice in grouped)
    except (KeyError, TypeError):
        ok = False
    if not (ok and _receipts_ok(ballots) and _within_eligible(grouped, eligible)):

        def check(ballot: Mapping[str, Any]) -> str | None:
            choice = ballot["choice"]
            if isinstance(choice, str) and choice in choices:
                return None
            return f"choice {_show(choice)} is not one of {', '.join(choices)}"

        raise _first_bad_ballot(ballots, eligible, "choice", check)
    return grouped


def _group_rankings(
    ballots: list[Any], eligible: Mapping[str, int], options: tuple[str, ...]
) -> Counter[tuple[str, Any]]:
    known = frozenset(options)
    try:
        rankings = list(map(_GET_RANKING, ballots))
        ok = set(map(type, rankings)) <= {list}
        grouped: Counter[tuple[str, Any]] = Counter(
            zip(map(_GET_CONSTITUENCY, ballots), map(tuple, rankings), strict=True)
        )
        ok = ok and all(c in eligible for c, _r in grouped)
        ok = ok and all(
            len(set(r)) == len(r) and known.issuperset(r) for r in {r for _c, r in grouped}
        )
    except (KeyError, TypeError):
        ok = False
    if not (ok and _receipts_ok(ballots) and _within_eligible(grouped, eligible)):

        def check(ballot: Mapping[str, Any]) -> str | None:
            ranking = ballot["ranking"]
            if not isinstance(ranking, list):
                return "ranking must be a list of options, best first"
            seen: set[str] = set()
            for option in ranking:
                if not isinstance(option, str) or option not in known:
                    return f"ranking names {_show(option)}, which is not an option"
                if option in seen:
                    return f"ranking lists {option!r} twice"
                seen.add(option)
            return None

        raise _first_bad_ballot(ballots, eligible, "ranking", check)
    return grouped


def _receipts_ok(ballots: list[Any]) -> bool:
    try:
        receipts = list(map(_GET_RECEIPT, ballots))
    except (KeyError, TypeError):
        return False
    if not set(map(type, receipts)) <= {str}:
        return False
    distinct = set(receipts)
    return len(distinct) == len(receipts) and "" not in distinct


def _within_eligible(grouped: Counter[tuple[str, Any]], eligible: Mapping[str, int]) -> bool:
    voted: Counter[str] = Counter()
    for (c, _choice), n in grouped.items():
        voted[c] += n
    return all(n <= eligible[c] for c, n in voted.items())


def _first_bad_ballot(
    ballots: list[Any],
    eligible: Mapping[str, int],
    key: str,
    check: Callable[[Mapping[str, Any]], str | None],
) -> BallotFileError:
    """Walk the ballots in order and describe the first bad one (slow path, errors only)."""
    receipts: dict[str, int] = {}
    voted: Counter[str] = Counter()
    for i, ballot in enumerate(ballots):
        where = f"ballots[{i}]"
        if not isinstance(ballot, Mapping):
            return BallotFileError(f"{where} must be an object")
        for needed in ("constituency", "receipt", key):
            if needed not in ballot:
                return BallotFileError(f"{where}: missing key {needed!r}")
        c = ballot["constituency"]
        if not isinstance(c, str) or c not in CONSTITUENCIES:
            return BallotFileError(
                f"{where}: constituency {_show(c)} is not one of {', '.join(CONSTITUENCIES)}"
            )
        if c not in eligible:
            return BallotFileError(f"{where}: constituency {c!r} is not listed in constituencies")
        receipt = ballot["receipt"]
        if not isinstance(receipt, str) or not receipt:
            return BallotFileError(f"{where}: receipt must be a non-empty string")
        if receipt in receipts:
            return BallotFileError(
                f"{where}: receipt {receipt!r} was already used by ballots[{receipts[receipt]}]"
            )
        receipts[receipt] = i
        problem = check(ballot)
        if problem:
            return BallotFileError(f"{where}: {problem}")
        voted[c] += 1
        if voted[c] > eligible[c]:
            return BallotFileError(
                f"{where}: constituency {c!r} has more ballots than its {eligible[c]} eligible voters"
            )
    return BallotFileError("ballots could not be read")  # unreachable if the fast path agrees
