"""Forum graph of 10,000 councils, in process on plain data (no database).

``forum_graph_build``: seconds for ``build_graph`` on 10 services x (1 national +
9 regional + 990 local councils) plus 1,000 place forums and ~21,000 links, against a
bare ``nx.DiGraph().add_edges_from`` of the same edges. ``forum_graph_ancestors``:
median milliseconds of ``ancestors`` over 1,000 random local councils, against a bare
``nx.descendants`` on the same graph.
"""

from __future__ import annotations

import random
import statistics
import time

import networkx as nx

from participate.core.forum_graph import ancestors, build_graph

SERVICES = 10
REGIONS = 9
LOCALS_PER_REGION = 110  # 990 local places: 10 x (1 + 9 + 990) = 10,000 service councils
BUILD_TARGET_S = 0.5
ANCESTORS_TARGET_MS = 1.0


def synthetic_network(
    services: int = SERVICES, regions: int = REGIONS, locals_per_region: int = LOCALS_PER_REGION
) -> tuple[list[tuple[str, str, str | None]], list[tuple[str, str, str]]]:
    """Nodes and links of a national network: every service at every place, plus place forums."""
    nodes: list[tuple[str, str, str | None]] = [("forum-nation", "nation", None)]
    links: list[tuple[str, str, str]] = []
    names = [f"s{s:02d}" for s in range(services)]
    for service in names:
        nodes.append((f"{service}-nation", "nation", service))
        links.append((f"{service}-nation", "forum-nation", "ringmaster"))
    for r in range(regions):
        region = f"r{r}"
        nodes.append((f"forum-{region}", "region", None))
        links.append((f"forum-{region}", "forum-nation", "reports_to"))
        for service in names:
            nodes.append((f"{service}-{region}", "region", service))
            links.append((f"{service}-{region}", f"{service}-nation", "reports_to"))
            links.append((f"{service}-{region}", f"forum-{region}", "ringmaster"))
        for n in range(locals_per_region):
            place = f"{region}l{n:03d}"
            nodes.append((f"forum-{place}", "local", None))
            links.append((f"forum-{place}", f"forum-{region}", "reports_to"))
            for service in names:
                nodes.append((f"{service}-{place}", "local", service))
                links.append((f"{service}-{place}", f"{service}-{region}", "reports_to"))
                links.append((f"{service}-{place}", f"forum-{place}", "ringmaster"))
    return nodes, links


def _median_seconds(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    # Median, not minimum: the target is what a page load sees, not the luckiest run.
    return statistics.median(times)


def _median_ms(fn, slugs: list[str]) -> float:
    times = []
    for slug in slugs:
        started = time.perf_counter()
        fn(slug)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _entry(name: str, value: float, unit: str, target: float, baseline: float) -> dict:
    return {
        "name": name,
        "value": round(value, 6),
        "unit": unit,
        "target": target,
        "baseline": round(baseline, 6),
        "ratio": round(value / baseline, 3) if baseline else None,
        "lost": None,
        "duplicated": None,
        "pass": value < target,
    }


def run(quick: bool) -> list[dict]:
    nodes, links = synthetic_network()
    edges = [(src, dst) for src, dst, _kind in links]
    repeats = 3 if quick else 11

    def bare() -> None:
        nx.DiGraph().add_edges_from(edges)

    baseline_s = _median_seconds(repeats, bare)
    build_s = _median_seconds(repeats, lambda: build_graph(nodes, links))

    graph = build_graph(nodes, links)
    local = [slug for slug, level, service in nodes if level == "local" and service]
    sample = random.Random(20240601).sample(local, 1000)
    ancestors_ms = _median_ms(lambda slug: ancestors(graph, slug), sample)
    bare_ms = _median_ms(lambda slug: nx.descendants(graph, slug), sample)

    build = _entry("forum_graph_build", build_s, "s", BUILD_TARGET_S, baseline_s)
    build["councils"], build["links"] = len(nodes), len(links)
    return [
        build,
        _entry("forum_graph_ancestors", ancestors_ms, "ms", ANCESTORS_TARGET_MS, bare_ms),
    ]
