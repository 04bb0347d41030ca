"""The forum graph of 10,000 councils loaded from the database (DESIGN.md §8).

Creates a fresh SQLite database through the migrations, imports the demo geography at a scale
that gives ~10,000 councils (``participate.seed.geography.structure``) with the real
``import_structure`` service, then measures:

- ``forum_graph_db_load``: seconds for ``councils.services.load_graph()`` (two SQL queries and
  the rule-checked networkx build), median of 5; target 0.5 s. Baseline: the same rows fetched
  with the bare DB driver and put into a bare ``nx.DiGraph`` in the same run.
- ``forum_graph_db_ancestors``: median ms for ancestors of 1,000 random local councils on that
  graph; target 1 ms; baseline bare ``nx.descendants``.
- ``structure_import_10k``: seconds for importing the whole structure file (reported, target 30 s).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path


def run(quick: bool) -> list[dict]:
    import networkx as nx

    tmp = Path(tempfile.mkdtemp(prefix="bench-graph-"))
    import httpbench as hb

    url = hb.fresh_sqlite_db(tmp / "graph.sqlite3")  # a copy of the run's migrated empty schema
    os.environ["DATABASE_URL"] = url
    os.environ["PARTICIPATE_INSTANCE"] = str(tmp)

    from participate import create_app
    from participate.core import forum_graph
    from participate.councils.services import load_graph
    from participate.councils.structure import import_structure
    from participate.extensions import db
    from participate.seed.geography import structure

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        data = structure(106)
        started = time.perf_counter()
        counts = import_structure(data)
        import_seconds = time.perf_counter() - started

        repeats = 3 if quick else 5
        loads, bare = [], []
        graph = None
        for _ in range(repeats):
            db.session.expire_all()
            started = time.perf_counter()
            graph = load_graph()
            loads.append(time.perf_counter() - started)
            started = time.perf_counter()
            with db.engine.connect() as conn:
                conn.exec_driver_sql(
                    "SELECT c.slug, p.level, s.slug FROM councils c JOIN places p ON p.id = c.place_id "
                    "LEFT JOIN services s ON s.id = c.service_id"
                ).fetchall()
                edges = conn.exec_driver_sql(
                    "SELECT a.slug, b.slug FROM forum_links l JOIN councils a ON a.id = l.from_council_id "
                    "JOIN councils b ON b.id = l.to_council_id"
                ).fetchall()
            bare_graph = nx.DiGraph()
            bare_graph.add_edges_from(edges)
            bare.append(time.perf_counter() - started)
        assert graph is not None
        rng = random.Random(7)
        locals_ = [n for n, d in graph.nodes(data=True) if d["level"] == "local" and d["service"]]
        sample = [rng.choice(locals_) for _ in range(1000)]
        times, bare_times = [], []
        for slug in sample:
            started = time.perf_counter()
            forum_graph.ancestors(graph, slug)
            times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            nx.descendants(graph, slug)
            bare_times.append((time.perf_counter() - started) * 1000)
    load = statistics.median(loads)
    base = statistics.median(bare)
    anc, anc_base = statistics.median(times), statistics.median(bare_times)
    common = {
        "lost": None,
        "duplicated": None,
        "councils": counts["councils"] and graph.number_of_nodes(),
        "links": graph.number_of_edges(),
    }
    return [
        {
            "name": "forum_graph_db_load",
            "value": round(load, 4),
            "unit": "s",
            "target": 0.5,
            "baseline": round(base, 4),
            "ratio": round(load / base, 2),
            "pass": load < 0.5,
            **common,
        },
        {
            "name": "forum_graph_db_ancestors",
            "value": round(anc, 4),
            "unit": "ms",
            "target": 1.0,
            "baseline": round(anc_base, 4),
            "ratio": round(anc / anc_base, 2),
            "pass": anc < 1.0,
            **common,
        },
        {
            "name": "structure_import_10k",
            "value": round(import_seconds, 2),
            "unit": "s",
            "target": 30.0,
            "baseline": round(base, 4),
            "ratio": round(import_seconds / base, 1),
            "pass": import_seconds < 30.0,
            **common,
        },
    ]
