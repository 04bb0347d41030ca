"""Shared-ownership vote tallies (DESIGN.md §3): binary, Schulze and consent.

Plain values in, plain JSON-ready values out; stdlib only. ``tally_binary``,
``tally_schulze`` and ``tally_consent`` take counts already grouped (what a SQL
``GROUP BY`` gives the app) and return the result dict; reading a published ballot file
and re-tallying it is `participate.core.ballot_file`.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
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
            if not is_number(value) or not 0 <= value <= 1:
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


# --- shared helpers -----------------------------------------------------------------------


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
    if not is_number(w) or w < 0:
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
