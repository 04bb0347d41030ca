"""Upward and downward flows through the forum network (DESIGN.md section 5), as plain rules.

Upward: which councils a council may forward an adopted proposal to (every council
above it in the forum graph, its direct parents first: ``reports_to`` and
``ringmaster``), and the aggregate figures of a
cluster of forwarded proposals (breadth, supporters and members by constituency, the
cross-constituency score, dates, what is still unanswered).

Downward: the councils a consultation cascades to (every descendant of the publishing
council), a position's weight (its deciding motion's turnout by constituency) and the
aggregation of positions by stance, level and region.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import networkx as nx

from participate.core import forum_graph
from participate.core.proposals import bridging_score

CONSTITUENCIES = ("citizen", "employee", "leader", "elected", "partner")
STANCES = ("support", "oppose", "amend")
STANCE_LABELS = {"support": "Support", "oppose": "Oppose", "amend": "Support with amendments"}
ANSWER_KINDS = ("accept", "decline", "refer")
ANSWER_LABELS = {
    "accept": "Accepted into national work",
    "decline": "Declined",
    "refer": "Referred to another council",
}
LEVEL_ORDER = ("nation", "region", "local")

SUBSIDIARITY_MIN = 20
SUBSIDIARITY_MAX = 5000


class FlowError(ValueError):
    """A flow rule refused: ``code`` for programs, ``message`` for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# ---------------------------------------------------------------------------
# Upward
# ---------------------------------------------------------------------------


def forward_targets(graph: nx.DiGraph, slug: str) -> list[tuple[str, str]]:
    """``(parent slug, link kind)`` for every council ``slug`` may forward to:
    ``reports_to`` parents first, then its place forum (``ringmaster``)."""
    return [(p, "reports_to") for p in forum_graph.parents(graph, slug, "reports_to")] + [
        (p, "ringmaster") for p in forum_graph.parents(graph, slug, "ringmaster")
    ]


class ForwardTarget(NamedTuple):
    """A council a proposal may be forwarded to: ``kind`` is ``reports_to`` when a chain of
    ``reports_to`` links leads there (the service's own line), else ``ringmaster`` (through
    a place forum); ``skipped`` are the councils between, lowest level first (empty for a
    direct parent)."""

    slug: str
    kind: str
    skipped: tuple[str, ...]

    @property
    def direct(self) -> bool:
        return not self.skipped


def forward_choices(graph: nx.DiGraph, slug: str) -> list[ForwardTarget]:
    """Every council above ``slug`` (its ancestors in the forum graph), as DESIGN §5 names
    them: its direct parents first (as :func:`forward_targets` orders them), then the
    councils further up, lower levels first, each with the levels it skips."""
    above = forum_graph.ancestors(graph, slug)
    direct = forward_targets(graph, slug)
    direct_slugs = {p for p, _kind in direct}
    nodes = graph.nodes
    rest = sorted(above - direct_slugs, key=lambda s: (nodes[s]["rank"], s))
    service_line = _reports_to_view(graph)
    choices = [ForwardTarget(p, kind, ()) for p, kind in direct]
    for target in rest:
        between = above & forum_graph.descendants(graph, target)
        kind = "reports_to" if nx.has_path(service_line, slug, target) else "ringmaster"
        skipped = tuple(sorted(between, key=lambda s: (nodes[s]["rank"], s)))
        choices.append(ForwardTarget(target, kind, skipped))
    return choices


def _reports_to_view(graph: nx.DiGraph) -> nx.DiGraph:
    return nx.subgraph_view(
        graph, filter_edge=lambda a, b: graph.edges[a, b]["kind"] == "reports_to"
    )


def check_targets(
    graph: nx.DiGraph,
    slug: str,
    chosen: Iterable[str],
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """The chosen targets, deduplicated in order, if every one is above ``slug`` in the
    forum graph (a direct parent or a council further up).

    Raises :class:`FlowError` when none is chosen or one is not above ``slug`` (naming
    the councils that may be chosen instead, by ``names`` where given: "Name (slug)")."""
    chosen = list(dict.fromkeys(c for c in chosen if c))
    allowed = [t.slug for t in forward_choices(graph, slug)]
    named = names or {}

    def label(council: str) -> str:
        return f"{named[council]} ({council})" if council in named else council

    if not allowed:
        raise FlowError(
            "no_parent",
            f"{label(slug)} has no parent council in the forum network: there is nowhere to "
            "forward to.",
            "targets",
        )
    if not chosen:
        raise FlowError(
            "no_target",
            f"Choose at least one council to forward to: {', '.join(map(label, allowed))}.",
            "targets",
        )
    wrong = [c for c in chosen if c not in allowed]
    if wrong:
        # The code stays "not_a_parent" (API clients know it); the rule is "above".
        raise FlowError(
            "not_a_parent",
            f"{', '.join(map(label, wrong))} {'is' if len(wrong) == 1 else 'are'} not above "
            f"{label(slug)} in the forum network; a proposal goes to the councils its council "
            f"reports to, directly or further up. Choose from: {', '.join(map(label, allowed))}.",
            "targets",
        )
    return chosen


def check_subsidiarity(text: str | None) -> str:
    """The subsidiarity statement, trimmed, if it says something."""
    text = (text or "").strip()
    if not text:
        raise FlowError(
            "subsidiarity_required",
            "Write the subsidiarity statement: why this cannot be settled at your council's "
            "level. The parent council reads it first.",
            "subsidiarity",
        )
    if len(text) < SUBSIDIARITY_MIN:
        raise FlowError(
            "subsidiarity_too_short",
            f"The subsidiarity statement is too short ({len(text)} characters): explain in "
            f"at least {SUBSIDIARITY_MIN} characters why this cannot be settled at your level.",
            "subsidiarity",
        )
    if len(text) > SUBSIDIARITY_MAX:
        raise FlowError(
            "subsidiarity_too_long",
            f"Keep the subsidiarity statement under {SUBSIDIARITY_MAX} characters.",
            "subsidiarity",
        )
    return text


def empty_aggregate() -> dict[str, Any]:
    return {
        "size": 0,
        "councils": 0,
        "places": 0,
        "supporters": dict.fromkeys(CONSTITUENCIES, 0),
        "members": dict.fromkeys(CONSTITUENCIES, 0),
        "supporters_total": 0,
        "bridging": 1.0,
        "tallied": 0,
        "support_sum": 0.0,
        "first_at": None,
        "last_at": None,
        "unanswered": 0,
        "unanswered_since": None,
    }


def _add_counts(total: dict[str, int], add: Mapping[str, int] | None) -> None:
    for c, n in (add or {}).items():
        if c in total:
            total[c] += int(n)


def add_to_aggregate(
    agg: Mapping[str, Any],
    row: Mapping[str, Any],
    *,
    new_council: bool,
    new_place: bool,
    score: bool = True,
) -> dict[str, Any]:
    """The cluster's figures with one more forwarded proposal.

    ``row``: ``supports`` and ``members`` ({constituency: n}, the sending council's
    members when it forwarded), ``forwarded_at``, ``answered`` (bool), ``weighted_support``
    (the deciding motion's, or None). A council's members count once per cluster
    (``new_council``), its supporters once per proposal."""
    out = {**agg, "supporters": dict(agg["supporters"]), "members": dict(agg["members"])}
    out["size"] += 1
    _add_counts(out["supporters"], row.get("supports"))
    out["supporters_total"] = sum(out["supporters"].values())
    if new_council:
        out["councils"] += 1
        _add_counts(out["members"], row.get("members"))
    if new_place:
        out["places"] += 1
    support = row.get("weighted_support")
    if support is not None:
        out["tallied"] += 1
        out["support_sum"] += float(support)
    at: datetime = row["forwarded_at"]
    out["first_at"] = at if out["first_at"] is None else min(out["first_at"], at)
    out["last_at"] = at if out["last_at"] is None else max(out["last_at"], at)
    if not row.get("answered"):
        out["unanswered"] += 1
        if out["unanswered_since"] is None or at < out["unanswered_since"]:
            out["unanswered_since"] = at
    if score:
        out["bridging"] = bridging(out["supporters"], out["members"])
    return out


def aggregate(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A cluster's figures from all its forwarded proposals, as :func:`add_to_aggregate`
    leaves them one by one in forwarding order. Rows carry ``council`` and ``place`` too."""
    ordered = sorted(rows, key=lambda r: (r["forwarded_at"], r.get("id", 0)))
    agg = empty_aggregate()
    councils: dict[Any, int] = {}
    places: set[Any] = set()
    for n, row in enumerate(ordered):
        new_council = row["council"] not in councils
        agg = add_to_aggregate(
            agg, row, new_council=new_council, new_place=row["place"] not in places, score=False
        )
        councils[row["council"]] = n
        places.add(row["place"])
    agg["bridging"] = bridging(agg["supporters"], agg["members"])
    return agg


def bridging(supporters: Mapping[str, int], members: Mapping[str, int]) -> float:
    """The cross-constituency score of DESIGN.md section 5 over the cluster's totals."""
    return bridging_score(
        {c: int(n) for c, n in supporters.items()}, {c: int(n) for c, n in members.items()}
    )


def tally_summary(result: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a forwarded proposal or a position keeps of its deciding motion's result:
    passed, weighted support, and per constituency eligible, voted, turnout, support."""
    if not result:
        return None
    rows = {}
    for c, row in (result.get("constituencies") or {}).items():
        rows[c] = {
            k: row.get(k)
            for k in ("eligible", "voted", "turnout", "support", "counts", "yes", "no")
        }
    return {
        "method": result.get("method"),
        "passed": result.get("passed"),
        "weighted_support": result.get("weighted_support"),
        "winner": result.get("winner"),
        "minority": list(result.get("minority") or []),
        "constituencies": rows,
    }


# ---------------------------------------------------------------------------
# Downward
# ---------------------------------------------------------------------------


def cascade(graph: nx.DiGraph, slug: str) -> list[str]:
    """Every council below ``slug`` (networkx descendants of the forum graph), higher
    levels first, then by slug: the councils a consultation it publishes reaches."""
    found = forum_graph.descendants(graph, slug)
    ranks = graph.nodes
    return sorted(found, key=lambda s: (-ranks[s]["rank"], s))


def turnout_weight(tally: Mapping[str, Any] | None) -> float | None:
    """A position's weight: the mean turnout of the constituencies that had eligible
    voters in its deciding motion (each constituency counts equally, whatever its
    size), or None when the position was not decided by a motion."""
    if not tally:
        return None
    turnouts = []
    for row in (tally.get("constituencies") or {}).values():
        eligible = row.get("eligible") or 0
        if eligible > 0:
            turnout = row.get("turnout")
            if turnout is None:
                turnout = (row.get("voted") or 0) / eligible
            turnouts.append(max(0.0, min(1.0, float(turnout))))
    if not turnouts:
        return None
    return sum(turnouts) / len(turnouts)


def aggregate_positions(
    positions: Sequence[Mapping[str, Any]],
    cascade_counts: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """Counts of positions by stance, overall, by level and by region, and shares
    weighted by turnout.

    ``positions``: mappings with ``stance``, ``level``, ``region`` (or None) and
    ``weight`` (:func:`turnout_weight`, None without a motion). ``cascade_counts``:
    ``{"level": {level: councils}, "region": {region: councils}}`` of the whole cascade,
    so response rates can be given."""
    cascade_counts = cascade_counts or {}

    def blank() -> dict[str, Any]:
        return {"councils": 0, "responded": 0, **dict.fromkeys(STANCES, 0)}

    by_stance = dict.fromkeys(STANCES, 0)
    weighted = dict.fromkeys(STANCES, 0.0)
    by_level: dict[str, dict[str, Any]] = {}
    by_region: dict[str, dict[str, Any]] = {}
    for level, n in (cascade_counts.get("level") or {}).items():
        by_level.setdefault(level, blank())["councils"] = n
    for region, n in (cascade_counts.get("region") or {}).items():
        by_region.setdefault(region, blank())["councils"] = n
    unweighted = 0
    for p in positions:
        stance = p["stance"]
        if stance not in by_stance:
            raise ValueError(f"unknown stance {stance!r}")
        by_stance[stance] += 1
        weight = p.get("weight")
        if weight is None:
            unweighted += 1
        else:
            weighted[stance] += float(weight)
        for table, key in ((by_level, p.get("level")), (by_region, p.get("region"))):
            if key is None:
                continue
            row = table.setdefault(key, blank())
            row[stance] += 1
            row["responded"] += 1
    total_weight = sum(weighted.values())
    responded = len(positions)
    councils = sum((cascade_counts.get("level") or {}).values()) or responded
    return {
        "councils": councils,
        "responded": responded,
        "response_rate": responded / councils if councils else 0.0,
        "by_stance": by_stance,
        "shares": {s: (by_stance[s] / responded if responded else 0.0) for s in STANCES},
        "weighted_shares": {
            s: (weighted[s] / total_weight if total_weight else 0.0) for s in STANCES
        },
        "weight_total": total_weight,
        "unweighted": unweighted,
        "by_level": {
            lv: by_level[lv]
            for lv in sorted(
                by_level, key=lambda x: (LEVEL_ORDER.index(x) if x in LEVEL_ORDER else 9, x)
            )
        },
        "by_region": dict(sorted(by_region.items())),
        "leading": max(STANCES, key=lambda s: (by_stance[s], -STANCES.index(s)))
        if responded
        else None,
    }


def consultation_state(
    closes_at: datetime, now: datetime, adopted_at: datetime | None = None
) -> str:
    """``open`` until the closing date, then ``closed``; ``adopted`` once adopted."""
    if adopted_at is not None:
        return "adopted"
    return "open" if now < closes_at else "closed"


def check_position(stance: str, text: str | None) -> tuple[str, str]:
    """A position's stance and text: an amendment and an opposition need their text."""
    if stance not in STANCES:
        raise FlowError("bad_stance", f"Choose a stance: {', '.join(STANCES)}.", "stance")
    text = (text or "").strip()
    if stance in ("amend", "oppose") and len(text) < 10:
        what = "the amendment you propose" if stance == "amend" else "why the council opposes it"
        raise FlowError(
            "text_required",
            f"Write {what} (at least 10 characters): the minister reads the texts.",
            "text",
        )
    if len(text) > 20_000:
        raise FlowError("text_too_long", "Keep the position under 20,000 characters.", "text")
    return stance, text
