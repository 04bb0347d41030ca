"""The forum network: councils linked child -> parent, checked and walked with networkx.

A node is a council, keyed by its slug, with the attributes ``level`` (``local``,
``region`` or ``nation``, the level of its place), ``service`` (a service slug, or
None for a cross-service place forum) and ``rank`` (0 local, 1 region, 2 nation, so
"higher" means a larger rank). An edge points from the child council to the parent
council and carries ``kind``: ``reports_to`` or ``ringmaster``.

Because edges point upward, "ancestors" of a council (every council above it) are
``nx.descendants`` of the graph, and its "descendants" (every council below it) are
``nx.ancestors``. The functions below hide that inversion; callers should use them
rather than networkx directly.

Rules checked by :func:`build_graph` and :func:`check_new_link`:

- a link names known councils, is not a self link and is not listed twice
  (same from/to, whatever the kind);
- council slugs are unique and levels are known;
- ``reports_to`` goes to a strictly higher level and stays within one service
  (a place forum reports to a place forum);
- ``ringmaster`` goes from a service council to a place forum at the same or a
  higher level;
- the links form no cycle.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

LEVELS = ("local", "region", "nation")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
LINK_KINDS = ("reports_to", "ringmaster")

NodeSpec = Mapping[str, Any] | tuple[str, str, str | None]
LinkSpec = Mapping[str, Any] | tuple[str, str, str]


class ForumGraphError(ValueError):
    """The forum network (or a change to it) breaks one or more rules.

    ``problems`` holds one readable sentence per offending entry, each naming the
    council slugs involved, in the order they were found.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return f"forum network refused: {self.problems[0]}"
        listed = "".join(f"\n  - {problem}" for problem in self.problems)
        return f"forum network refused, {len(self.problems)} problems:{listed}"


def build_graph(nodes: Iterable[NodeSpec], links: Iterable[LinkSpec]) -> nx.DiGraph:
    """Check councils and links against every rule and return the forum graph.

    ``nodes`` are dicts with ``slug``, ``level`` and optional ``service`` (other keys
    are ignored) or tuples ``(slug, level, service)``. ``links`` are tuples
    ``(from, to, kind)`` or dicts with those keys. Raises :class:`ForumGraphError`
    listing every problem at once; nothing is returned unless all rules hold.
    """
    problems: list[str] = []
    attrs: dict[str, dict[str, Any]] = {}
    slug_counts: Counter[str] = Counter()
    for node in nodes:
        slug, level, service = _node_fields(node)
        slug_counts[slug] += 1
        rank = LEVEL_RANK.get(level)
        if rank is None:
            problems.append(
                f"council {slug}: unknown level {level!r}, expected one of {', '.join(LEVELS)}"
            )
        attrs[slug] = {"level": level, "service": service, "rank": rank}
    problems.extend(
        f"council {slug}: slug used {count} times"
        for slug, count in slug_counts.items()
        if count > 1
    )

    edges: list[tuple[str, str, dict[str, str]]] = []
    link_counts: Counter[tuple[str, str]] = Counter()
    for link in links:
        src, dst, kind = _link_fields(link)
        link_counts[(src, dst)] += 1
        src_attrs, dst_attrs = attrs.get(src), attrs.get(dst)
        problems.extend(_link_problems(src, dst, kind, src_attrs, dst_attrs))
        if (
            link_counts[(src, dst)] == 1
            and src_attrs is not None
            and dst_attrs is not None
            and src != dst
        ):
            # Broken links still go in, so the cycle check below sees them too.
            edges.append((src, dst, {"kind": kind}))
    problems.extend(
        f"link {src} -> {dst}: listed {count} times"
        for (src, dst), count in link_counts.items()
        if count > 1
    )

    graph = nx.DiGraph()
    graph.add_nodes_from(attrs.items())
    graph.add_edges_from(edges)
    # The level rules alone forbid cycles; this check names the cycle when a
    # broken link closes one, and keeps "acyclic" true whatever the rules become.
    if not nx.is_directed_acyclic_graph(graph):
        problems.extend(_cycle_problems(graph))
    if problems:
        # A link listed twice with the same fault would otherwise say it twice.
        raise ForumGraphError(dict.fromkeys(problems))
    return graph


def check_new_link(graph: nx.DiGraph, src: str, dst: str, kind: str) -> None:
    """Raise :class:`ForumGraphError` if adding the link ``src -> dst`` would break a rule.

    Used before writing a new link; the graph is not changed.
    """
    src_attrs = graph.nodes[src] if src in graph else None
    dst_attrs = graph.nodes[dst] if dst in graph else None
    problems = _link_problems(src, dst, kind, src_attrs, dst_attrs)
    if src_attrs is not None and dst_attrs is not None and src != dst:
        if graph.has_edge(src, dst):
            existing = graph.edges[src, dst]["kind"]
            problems.append(f"link {src} -> {dst}: already exists ({existing})")
        elif nx.has_path(graph, dst, src):
            cycle = [src, *nx.shortest_path(graph, dst, src)]
            problems.append(f"link {src} -> {dst} ({kind}) would close a cycle: {_arrows(cycle)}")
    if problems:
        raise ForumGraphError(problems)


def parents(graph: nx.DiGraph, slug: str, kind: str | None = None) -> list[str]:
    """The councils ``slug`` links to directly, optionally only links of ``kind``; sorted."""
    _require_council(graph, slug)
    _require_kind(kind)
    return sorted(
        parent for parent, edge in graph.succ[slug].items() if kind in (None, edge["kind"])
    )


def children(graph: nx.DiGraph, slug: str, kind: str | None = None) -> list[str]:
    """The councils that link directly to ``slug``, optionally only links of ``kind``; sorted."""
    _require_council(graph, slug)
    _require_kind(kind)
    return sorted(child for child, edge in graph.pred[slug].items() if kind in (None, edge["kind"]))


def ancestors(graph: nx.DiGraph, slug: str) -> set[str]:
    """Every council above ``slug``: where its forwarded proposals may go.

    Edges point child -> parent, so this is ``nx.descendants`` of the graph.
    """
    _require_council(graph, slug)
    return nx.descendants(graph, slug)


def descendants(graph: nx.DiGraph, slug: str) -> set[str]:
    """Every council below ``slug``: where a consultation it publishes cascades.

    Edges point child -> parent, so this is ``nx.ancestors`` of the graph.
    """
    _require_council(graph, slug)
    return nx.ancestors(graph, slug)


def levels(graph: nx.DiGraph) -> dict[str, str]:
    """The level of every council, by slug."""
    return dict(graph.nodes(data="level"))


def restrict_to_services(graph: nx.DiGraph, services: Iterable[str]) -> nx.DiGraph:
    """A read-only view of the councils of ``services`` and the place forums they link to."""
    wanted = set(services)
    service_of = graph.nodes(data="service")
    kept = {slug for slug, service in service_of if service in wanted}
    forums = {
        other
        for slug in kept
        for other in (*graph.succ[slug], *graph.pred[slug])
        if service_of[other] is None
    }
    return graph.subgraph(kept | forums)


def layered_layout(
    graph: nx.DiGraph,
    width: float,
    height: float,
    services: Iterable[str] | None = None,
) -> dict[str, tuple[float, float]]:
    """Positions ``(x, y)`` for drawing the network in a ``width`` x ``height`` box.

    ``y`` grows downward, as in SVG. Rows from the top: nation, region, local; within
    a level, place forums sit in a row above the service councils, so every link of a
    valid network points up the picture. Nodes are spread evenly along their row, and
    each row is ordered by the mean x of the councils it links to (its parents), so
    children sit under their parents. With ``services``, only those services' councils
    and the place forums linked to them are placed.
    """
    view = graph if services is None else restrict_to_services(graph, services)
    rows: dict[tuple[int, int], list[str]] = {}
    for slug, data in view.nodes(data=True):
        is_service = data["service"] is not None
        rows.setdefault((-data["rank"], int(is_service)), []).append(slug)
    row_keys = sorted(rows)

    positions: dict[str, tuple[float, float]] = {}
    row_y = {key: height * (i + 0.5) / len(row_keys) for i, key in enumerate(row_keys)}

    def mean_x(slugs) -> float:
        xs = [positions[s][0] for s in slugs if s in positions]
        return sum(xs) / len(xs) if xs else math.inf

    def place(row_key: tuple[int, int], key) -> None:
        row = sorted(
            rows[row_key], key=lambda slug: (key(slug), view.nodes[slug]["service"] or "", slug)
        )
        for i, slug in enumerate(row):
            positions[slug] = (width * (i + 0.5) / len(row), row_y[row_key])

    # Service councils first, top down, each under its reports_to parents; then each row of
    # place forums over the councils that answer to it (its children), so the forums' own
    # arbitrary order never pulls local councils away from their region.
    for row_key in row_keys:
        if row_key[1] == 1:
            place(
                row_key,
                lambda slug: mean_x(
                    p for p in view.succ[slug] if view.nodes[p]["service"] is not None
                ),
            )
    for row_key in row_keys:
        if row_key[1] == 0:
            place(
                row_key,
                lambda slug: (
                    mean_x(view.pred[slug]) if view.pred[slug] else mean_x(view.succ[slug])
                ),
            )
    return positions


def _node_fields(node: NodeSpec) -> tuple[str, str, str | None]:
    if isinstance(node, Mapping):
        slug, level, service = node["slug"], node["level"], node.get("service")
    else:
        slug, level, service = node
    return slug, level, service or None


def _link_fields(link: LinkSpec) -> tuple[str, str, str]:
    if isinstance(link, Mapping):
        return link["from"], link["to"], link["kind"]
    src, dst, kind = link
    return src, dst, kind


def _link_problems(
    src: str,
    dst: str,
    kind: str,
    src_attrs: Mapping[str, Any] | None,
    dst_attrs: Mapping[str, Any] | None,
) -> list[str]:
    """Every rule the single link ``src -> dst`` breaks on its own (not duplicates or cycles)."""
    where = f"link {src} -> {dst} ({kind})"
    problems = []
    if kind not in LINK_KINDS:
        problems.append(f"{where}: unknown kind, expected one of {', '.join(LINK_KINDS)}")
    unknown = [slug for slug, attrs in ((src, src_attrs), (dst, dst_attrs)) if attrs is None]
    if unknown:
        problems.append(f"{where}: unknown council {' and '.join(dict.fromkeys(unknown))}")
    if src == dst:
        problems.append(f"{where}: a council cannot link to itself")
    if problems or src_attrs is None or dst_attrs is None:
        return problems

    src_rank, dst_rank = src_attrs["rank"], dst_attrs["rank"]
    src_service, dst_service = src_attrs["service"], dst_attrs["service"]
    ranks_known = src_rank is not None and dst_rank is not None
    if kind == "reports_to":
        if ranks_known and dst_rank <= src_rank:
            problems.append(
                f"{where}: {dst} ({dst_attrs['level']}) is not above {src} "
                f"({src_attrs['level']}); reports_to must go to a higher level"
            )
        if src_service != dst_service:
            problems.append(
                f"{where}: {src} is {_describe(src_service)} but {dst} is "
                f"{_describe(dst_service)}; reports_to must stay within one service "
                "(place forums report to place forums)"
            )
    else:
        if src_service is None:
            problems.append(
                f"{where}: {src} is a place forum; only a service council has a ringmaster"
            )
        if dst_service is not None:
            problems.append(
                f"{where}: {dst} is {_describe(dst_service)}; ringmaster must go to a place forum"
            )
        if ranks_known and dst_rank < src_rank:
            problems.append(
                f"{where}: {dst} ({dst_attrs['level']}) is below {src} "
                f"({src_attrs['level']}); ringmaster must go to the same or a higher level"
            )
    return problems


def _cycle_problems(graph: nx.DiGraph) -> list[str]:
    """One problem per tangle of councils (strongly connected component), naming a cycle in it."""
    problems = []
    tangles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    for tangle in sorted(tangles, key=min):
        cycle_edges = nx.find_cycle(graph.subgraph(tangle), source=min(tangle))
        cycle = [src for src, _dst in cycle_edges] + [cycle_edges[0][0]]
        problem = f"cycle: {_arrows(cycle)}"
        others = sorted(tangle - set(cycle))
        if others:
            problem += f" (also caught in it: {', '.join(others)})"
        problems.append(problem)
    return problems


def _describe(service: str | None) -> str:
    return "a place forum" if service is None else f"a {service} council"


def _arrows(slugs: list[str]) -> str:
    return " -> ".join(slugs)


def _require_council(graph: nx.DiGraph, slug: str) -> None:
    if slug not in graph:
        raise ForumGraphError([f"unknown council {slug}"])


def _require_kind(kind: str | None) -> None:
    if kind is not None and kind not in LINK_KINDS:
        raise ForumGraphError(
            [f"unknown link kind {kind!r}, expected one of {', '.join(LINK_KINDS)}"]
        )
