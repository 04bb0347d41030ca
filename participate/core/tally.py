"""Shared-ownership vote tallies (DESIGN.md §3): binary, Schulze and consent.

Plain values in, plain JSON-ready values out; stdlib only. Three entry points:

- ``tally_ballot_file(data)`` re-tallies a published ballot file (what ``participate
  tally FILE`` prints). ``parse_ballot_file(data)`` validates the file and groups
  identical ballots, raising ``BallotFileError`` that names the first bad entry.
- ``tally_binary``, ``tally_schulze`` and ``tally_consent`` take counts already
  grouped (what a SQL ``GROUP BY`` gives the app) and return the result dict.

Decisions are taken with exact rational arithmetic (``Fraction`` and integers), so
float noise never flips a pass/fail or a Schulze comparison; floats appear only in
the returned figures, rounded to 6 places. A rule number is read as the number its
author meant: ``0.1`` is 1/10 and ``0.6666666666666666`` is 2/3 (see ``_exact``).

Rules shared by binary and Schulze (consent has neither quorum nor weights):

- a constituency **counts** when it has eligible members, its turnout reaches the
  quorum (``voted >= quorum * eligible``), and its weight is above 0 (a weight-0
  constituency is consultative: its figures are published but it adds nothing to
  the result, the constituency count, a concurrent-majority veto or the minority);
- missing weights default to 1 (equal weights whatever the constituency's size).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import itemgetter
from typing import Any

CONSTITUENCIES: tuple[str, ...] = ("citizen", "employee", "leader", "elected", "partner")
METHODS: tuple[str, ...] = ("binary", "schulze", "consent")
BINARY_CHOICES: tuple[str, ...] = ("yes", "no", "abstain")
#: Choices in a consent ballot file (an extension of §3, which names binary and schulze).
CONSENT_CHOICES: tuple[str, ...] = ("consent", "object")
MIN_OPTIONS, MAX_OPTIONS = 2, 20
RULE_KEYS: tuple[str, ...] = ("quorum", "threshold", "min_constituencies", "concurrent_majority")

_HALF = Fraction(1, 2)
_SLOT = 64  # bits per option in the packed pairwise accumulators of _pairwise_counts


class BallotFileError(ValueError):
    """A ballot file that cannot be tallied; the message names the first bad entry."""


@dataclass(frozen=True)
class Rules:
    """A motion's rules, copied from the constitution when voting opens.

    ``quorum`` and ``threshold`` are shares in [0, 1]; ``min_constituencies`` is how
    many constituencies must count (0..5); ``concurrent_majority`` asks for support
    above one half in every counting constituency. Invalid values raise ValueError.
    """

    quorum: float = 0.1
    threshold: float = 0.5
    min_constituencies: int = 2
    concurrent_majority: bool = False

    def __post_init__(self) -> None:
        for name in ("quorum", "threshold"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise ValueError(f"rules.{name} must be a number between 0 and 1")
        m = self.min_constituencies
        if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m <= len(CONSTITUENCIES):
            raise ValueError(
                f"rules.min_constituencies must be a whole number from 0 to {len(CONSTITUENCIES)}"
            )
        if not isinstance(self.concurrent_majority, bool):
            raise ValueError("rules.concurrent_majority must be true or false")

    @classmethod
    def from_dict(cls, data: Any) -> Rules:
        """Rules from a JSON object; missing keys take the defaults, unknown keys are refused
        (a misspelt rule must not silently fall back to its default)."""
        if not isinstance(data, Mapping):
            raise ValueError("rules must be an object")
        for key in data:
            if key not in RULE_KEYS:
                raise ValueError(f"rules.{key} is not a rule; the rules are {', '.join(RULE_KEYS)}")
        return cls(**{key: data[key] for key in RULE_KEYS if key in data})

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in RULE_KEYS}


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


# --- reading a ballot file ----------------------------------------------------------------

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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
        if not _is_number(weight) or weight < 0:
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


# --- shared helpers -----------------------------------------------------------------------


def _exact(x: float) -> Fraction:
    """The rational a rule number stands for.

    Floats cannot hold 1/10 or 2/3; taking their binary value would make a turnout of
    exactly 10% miss a 0.1 quorum. So take the simplest fraction (denominator up to
    10**6) that is the same float, else the shortest decimal that is (``repr``).
    """
    if isinstance(x, int):
        return Fraction(x)
    simple = Fraction(x).limit_denominator(1_000_000)
    return simple if float(simple) == x else Fraction(repr(x))


def _round(x: Fraction | float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _pct(x: Fraction | float) -> str:
    return f"{float(x) * 100:.6g}%"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _constituency_names(eligible: Mapping[str, int], *others: Mapping[str, Any]) -> list[str]:
    for name, n in eligible.items():
        if name not in CONSTITUENCIES:
            raise ValueError(f"{name!r} is not one of {', '.join(CONSTITUENCIES)}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"eligible[{name!r}] must be a whole number >= 0")
    for other in others:
        for name in other:
            if name not in eligible:
                raise ValueError(f"{name!r} has ballots but no eligible count")
    return [c for c in CONSTITUENCIES if c in eligible]


def _weight(weights: Mapping[str, float], c: str) -> Fraction:
    w = weights.get(c, 1)
    if not _is_number(w) or w < 0:
        raise ValueError(f"weights[{c!r}] must be a number >= 0")
    return _exact(w)


def _base_row(n: int, voted: int, weight: Fraction) -> dict[str, Any]:
    if voted > n:
        raise ValueError(f"{voted} ballots for {n} eligible voters")
    return {
        "eligible": n,
        "voted": voted,
        "turnout": _round(Fraction(voted, n)) if n else None,
        "counts": False,
        "weight": _round(weight),
        "note": None,
    }


def _exclusion(n: int, voted: int, weight: Fraction, quorum: Fraction) -> str | None:
    """Why a constituency does not count, or None when it does (rules in the module doc)."""
    if n == 0:
        return "no eligible members"
    if voted < quorum * n:
        return f"turnout {_pct(Fraction(voted, n))} is below the {_pct(quorum)} quorum"
    if voted == 0:
        return "no ballots"
    if weight == 0:
        return "weight 0: figures published, not counted"
    return None


def _too_few(counting: int, rules: Rules, rows: Mapping[str, Mapping[str, Any]]) -> str:
    excluded = "; ".join(f"{c}: {row['note']}" for c, row in rows.items() if row["note"])
    needed = f"{rules.min_constituencies} {'is' if rules.min_constituencies == 1 else 'are'}"
    text = f"only {_plural(counting, 'constituency counts', 'constituencies count')}; {needed} required"
    return f"{text} ({excluded})" if excluded else text


# --- binary -------------------------------------------------------------------------------


def tally_binary(
    counts: Mapping[str, Mapping[str, int]],
    eligible: Mapping[str, int],
    weights: Mapping[str, float],
    rules: Rules,
) -> dict[str, Any]:
    """Tally a yes/no/abstain motion (DESIGN §3).

    ``counts`` is ``{constituency: {"yes": n, "no": n, "abstain": n}}`` (missing
    choices are 0), ``eligible`` the snapshot of eligible voters per constituency,
    ``weights`` the constitution's weights (missing ones are 1).

    Support s_c = yes / (yes + no). A constituency whose voters all abstained has no
    support figure (``support`` is None) and cannot count: it would otherwise add a
    weight to S with nothing to weigh. S is the weighted mean of s_c over the
    counting constituencies (0 when none count). The motion passes iff at least
    ``min_constituencies`` count, S > threshold and, under concurrent majority,
    s_c > 1/2 in every counting constituency. ``minority`` lists the counting
    constituencies whose own majority lost (support < 1/2 when passed, > 1/2 when
    failed); ``reasons`` says why a motion failed (empty when it passed).

    Result: ``{"method", "passed", "weighted_support", "counting",
    "constituencies": {c: {"eligible", "voted", "turnout", "counts", "yes", "no",
    "abstain", "support", "weight", "majority", "note"}}, "minority", "reasons",
    "rules"}``.
    """
    names = _constituency_names(eligible, counts)
    quorum, threshold = _exact(rules.quorum), _exact(rules.threshold)
    rows: dict[str, dict[str, Any]] = {}
    support: dict[str, Fraction] = {}
    weighted, total_weight = Fraction(0), Fraction(0)
    for c in names:
        given = counts.get(c, {})
        for choice, n in given.items():
            if choice not in BINARY_CHOICES:
                raise ValueError(f"{c}: {choice!r} is not one of {', '.join(BINARY_CHOICES)}")
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"{c}.{choice} must be a whole number >= 0")
        yes, no, abstain = (given.get(choice, 0) for choice in BINARY_CHOICES)
        w = _weight(weights, c)
        row = _base_row(eligible[c], yes + no + abstain, w)
        s = Fraction(yes, yes + no) if yes + no else None
        row["note"] = _exclusion(eligible[c], row["voted"], w, quorum)
        if row["note"] is None and s is None:
            row["note"] = "only abstentions: no support figure"
        row.update(
            yes=yes,
            no=no,
            abstain=abstain,
            support=_round(s),
            majority="yes" if yes > no else "no" if no > yes else "tied",
            counts=row["note"] is None,
        )
        if row["counts"] and s is not None:
            support[c] = s
            weighted += w * s
            total_weight += w
        rows[c] = row
    s_all = weighted / total_weight if total_weight else Fraction(0)
    reasons = []
    if len(support) < rules.min_constituencies:
        reasons.append(_too_few(len(support), rules, rows))
    if not s_all > threshold:
        reasons.append(
            f"weighted support {_pct(s_all)} is not above the {_pct(threshold)} threshold"
        )
    if rules.concurrent_majority:
        reasons.extend(
            f"concurrent majority: {c} support {_pct(s)} is not above 50%"
            for c, s in support.items()
            if not s > _HALF
        )
    passed = not reasons
    minority = [c for c, s in support.items() if (s < _HALF if passed else s > _HALF)]
    return {
        "method": "binary",
        "passed": passed,
        "weighted_support": _round(s_all),
        "counting": len(support),
        "constituencies": rows,
        "minority": minority,
        "reasons": reasons,
        "rules": rules.to_dict(),
    }


# --- consent ------------------------------------------------------------------------------


def tally_consent(
    objections_by_constituency: Mapping[str, int],
    consents_by_constituency: Mapping[str, int],
    eligible: Mapping[str, int],
) -> dict[str, Any]:
    """Tally a consent motion: it passes iff nobody lodged an objection.

    There is no quorum or weighting: one reasoned objection stops the motion (the
    reasons are published by the app, not counted here). When it fails, ``minority``
    lists the constituencies where consents outnumbered objections.

    Result: ``{"method", "passed", "objections", "consents", "constituencies": {c:
    {"eligible", "voted", "turnout", "objections", "consents"}}, "minority",
    "reasons"}``.
    """
    objections, consents = objections_by_constituency, consents_by_constituency
    names = _constituency_names(eligible, objections, consents)
    rows: dict[str, dict[str, Any]] = {}
    for c in names:
        o, k = objections.get(c, 0), consents.get(c, 0)
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in (o, k)):
            raise ValueError(f"{c}: objections and consents must be whole numbers >= 0")
        row = _base_row(eligible[c], o + k, Fraction(1))
        rows[c] = {key: row[key] for key in ("eligible", "voted", "turnout")} | {
            "objections": o,
            "consents": k,
        }
    total_objections = sum(row["objections"] for row in rows.values())
    passed = total_objections == 0
    by = ", ".join(f"{c} {row['objections']}" for c, row in rows.items() if row["objections"])
    return {
        "method": "consent",
        "passed": passed,
        "objections": total_objections,
        "consents": sum(row["consents"] for row in rows.values()),
        "constituencies": rows,
        "minority": []
        if passed
        else [c for c, row in rows.items() if row["consents"] > row["objections"]],
        "reasons": []
        if passed
        else [f"{_plural(total_objections, 'objection was', 'objections were')} lodged ({by})"],
    }


# --- Schulze ------------------------------------------------------------------------------


def tally_schulze(
    options: Sequence[str],
    grouped_rankings: Mapping[str, Mapping[tuple[str, ...], int]],
    eligible: Mapping[str, int],
    weights: Mapping[str, float],
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Tally a ranked motion by the Schulze method over constituencies (DESIGN §3).

    ``grouped_rankings`` is ``{constituency: {ranking tuple (best first): count}}``.
    Options a ballot leaves out tie last: below every ranked option, with no
    preference among themselves. Each counting constituency c (see the module doc:
    quorum applies; ``rules`` defaults to ``Rules()``) gives d_c[a][b], the share of
    its voters preferring a to b; the council matrix is d = sum of w_c * d_c, exact.
    Strongest paths use winning votes (a link a->b has strength d[a][b] when
    d[a][b] > d[b][a], else none).

    ``ranking`` orders the options by how many others each beats on strongest paths
    (p[a][b] > p[b][a]); options with equal counts are tied, listed in the order of
    ``options`` (the tie rule) and reported together in ``ties``. ``winner`` is the
    first of the ranking, or None when fewer than ``min_constituencies`` count
    (``decided`` is then false and ``reasons`` says why). ``minority`` lists the
    counting constituencies whose own Schulze winners (``winners``: the options its
    own ballots leave unbeaten) do not include the council's winner.

    Result: ``{"method", "winner", "ranking", "ties", "decided", "counting",
    "pairwise": {a: {b: d[a][b]}}, "constituencies": {c: {"eligible", "voted",
    "turnout", "counts", "weight", "winners", "note"}}, "minority", "reasons",
    "rules"}``.
    """
    rules = rules or Rules()
    opts = tuple(options)
    if not MIN_OPTIONS <= len(opts) <= MAX_OPTIONS or len(set(opts)) != len(opts):
        raise ValueError(f"options must be {MIN_OPTIONS} to {MAX_OPTIONS} distinct strings")
    index = {option: i for i, option in enumerate(opts)}
    k = len(opts)
    quorum = _exact(rules.quorum)
    rows: dict[str, dict[str, Any]] = {}
    scaled: list[tuple[Fraction, list[list[int]]]] = []  # (w_c / voters_c, counts_c)
    own_winners: dict[str, set[int]] = {}
    for c in _constituency_names(eligible, grouped_rankings):
        groups = grouped_rankings.get(c, {})
        pref = _pairwise_counts(groups, index, k)
        w = _weight(weights, c)
        row = _base_row(eligible[c], sum(groups.values()), w)
        row["note"] = _exclusion(eligible[c], row["voted"], w, quorum)
        row["counts"] = row["note"] is None
        own = _unbeaten(strongest_paths(pref)) if row["voted"] else set()
        row["winners"] = [opts[i] for i in sorted(own)]
        if row["counts"]:
            own_winners[c] = own
            scaled.append((w / row["voted"], pref))
        rows[c] = row
    council = _combine(scaled, k)
    paths = strongest_paths(council.matrix)
    order, ties = _order(paths)
    reasons = []
    if len(scaled) < max(rules.min_constituencies, 1):
        reasons.append(_too_few(len(scaled), rules, rows))
    winner = None if reasons else order[0]
    minority = [c for c, own in own_winners.items() if winner is not None and winner not in own]
    return {
        "method": "schulze",
        "winner": None if winner is None else opts[winner],
        "ranking": [opts[i] for i in order],
        "ties": [[opts[i] for i in group] for group in ties],
        "decided": winner is not None,
        "counting": len(scaled),
        "pairwise": {
            opts[a]: {opts[b]: _round(council.share(a, b)) for b in range(k) if b != a}
            for a in range(k)
        },
        "constituencies": rows,
        "minority": minority,
        "reasons": reasons,
        "rules": rules.to_dict(),
    }


def _pairwise_counts(
    groups: Mapping[tuple[str, ...], int], index: Mapping[str, int], k: int
) -> list[list[int]]:
    """counts[a][b] = ballots ranking a above b (ranked above unranked; unranked tie).

    Each option's row is one integer holding k 64-bit counters, so a ranking adds to
    a whole row at once: the option at a position beats every option not yet seen.
    That is k big-integer additions per distinct ranking instead of k*k/2 cells.
    """
    bits = [1 << (_SLOT * i) for i in range(k)]
    everyone = sum(bits)
    rows = [0] * k
    for ranking, m in groups.items():
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise ValueError(f"count of ranking {ranking!r} must be a whole number >= 0")
        seen = 0
        for option in ranking:
            i = index.get(option) if isinstance(option, str) else None
            if i is None:
                raise ValueError(f"ranking {ranking!r} names {option!r}, which is not an option")
            if seen & bits[i]:
                raise ValueError(f"ranking {ranking!r} lists {option!r} twice")
            seen |= bits[i]
            rows[i] += m * (everyone - seen)
    if sum(groups.values()) >> _SLOT:  # a counter would spill into its neighbour
        raise ValueError(f"2**{_SLOT} or more ballots in one constituency")
    mask = (1 << _SLOT) - 1
    return [[(row >> (_SLOT * j)) & mask for j in range(k)] for row in rows]


@dataclass(frozen=True)
class _Matrix:
    """The council matrix as integers over a common denominator: d = matrix / denominator."""

    matrix: list[list[int]]
    denominator: int

    def share(self, a: int, b: int) -> Fraction:
        return Fraction(self.matrix[a][b], self.denominator)


def _combine(scaled: list[tuple[Fraction, list[list[int]]]], k: int) -> _Matrix:
    """Sum w_c * counts_c / voters_c exactly, as integers over their common denominator."""
    denominator = math.lcm(*(factor.denominator for factor, _ in scaled)) if scaled else 1
    matrix = [[0] * k for _ in range(k)]
    for factor, pref in scaled:
        multiplier = factor.numerator * (denominator // factor.denominator)
        for row, counts in zip(matrix, pref, strict=True):
            for j, n in enumerate(counts):
                row[j] += multiplier * n
    return _Matrix(matrix, denominator)


def strongest_paths(d: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Schulze strongest-path strengths p[a][b] for a pairwise matrix d (winning votes).

    Values may be ints or Fractions (anything ordered exactly); 0 means no path.
    """
    k = len(d)
    p = [[d[a][b] if a != b and d[a][b] > d[b][a] else 0 for b in range(k)] for a in range(k)]
    for m in range(k):
        pm = p[m]
        for a in range(k):
            pam = p[a][m]
            if a == m or not pam:
                continue
            pa = p[a]
            for b in range(k):
                if b != a and b != m:
                    through = pam if pam < pm[b] else pm[b]
                    if through > pa[b]:
                        pa[b] = through
    return p


def _beats(p: Sequence[Sequence[Any]]) -> list[int]:
    k = len(p)
    return [sum(1 for b in range(k) if p[a][b] > p[b][a]) for a in range(k)]


def _unbeaten(p: Sequence[Sequence[Any]]) -> set[int]:
    k = len(p)
    return {a for a in range(k) if all(p[a][b] >= p[b][a] for b in range(k))}


def _order(p: Sequence[Sequence[Any]]) -> tuple[list[int], list[list[int]]]:
    """Options by strongest-path wins, ties in option order; the tied groups (size > 1)."""
    wins = _beats(p)
    order = sorted(range(len(p)), key=lambda a: (-wins[a], a))
    groups: list[list[int]] = []
    for a in order:
        if groups and wins[groups[-1][0]] == wins[a]:
            groups[-1].append(a)
        else:
            groups.append([a])
    return order, [group for group in groups if len(group) > 1]
