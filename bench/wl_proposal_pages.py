"""Proposal pages over HTTP: a proposal with 1,000 comments and the first page of a council's
list of 10,000 proposals, served by granian (2 workers, ``httpbench.Server``, as ``participate
serve``) from an SQLite file.

The database is migrated and filled by the demo seed's foundation (``participate.seed.councils``,
scale 2) plus ``participate.seed.scale.proposals.seed_benchmark`` (bulk inserts: 1,000
comments in three levels of replies, 10,000 proposals with themes, versions and ~25,000
supports). Each figure is the p95 latency of sequential GETs, the three pages interleaved;
the baseline is the p95 of the static sign-in page (``/login``) of the same server in the
same run, and ratio = value / baseline. ``load_avg`` (before, after) says how busy the
machine was; ``server_cpu_ms`` is the workers' CPU per request (from /proc), which load on
the machine does not inflate the way it does latency.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpbench as hb
import requests

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(5100, 5200)
TARGET_MS = 50.0

SEED = r"""
import random, sys, time
from flask_migrate import upgrade
from participate import create_app
app = create_app()
with app.app_context():
    upgrade(directory=sys.argv[1], revision="heads")
    from participate.seed import councils
    from participate.seed.context import SeedContext
    from participate.seed.scale.proposals import seed_benchmark
    started = time.time()
    ctx = SeedContext(scale=2, password="bench-password", rng=random.Random(7))
    councils.seed(ctx)  # the demo's foundation only; the proposals come below
    made = seed_benchmark(ctx)
    print(made["thread"], made["council"], round(time.time() - started, 1))
"""


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _measure(session: requests.Session, url: str, check: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or check not in response.text:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        times.append(elapsed)
    return times


def _cpu_ms(session, server: hb.Server, url: str, check: str, n: int) -> float:
    """Server CPU per request: load on the machine slows a request, it does not add CPU to it."""
    before = server.cpu_seconds()
    _measure(session, url, check, n)
    return round((server.cpu_seconds() - before) / n * 1000, 2)


def _entry(name: str, samples: list[float], baseline: float, **extra) -> dict:
    value = _p95(samples)
    return {
        "name": name,
        "value": round(value, 2),
        "unit": "ms (p95)",
        "target": TARGET_MS,
        "baseline": round(baseline, 2),
        "ratio": round(value / baseline, 2) if baseline else None,
        "lost": None,
        "duplicated": None,
        "pass": value < TARGET_MS,
        "median_ms": round(sorted(samples)[len(samples) // 2], 2),
        "requests": len(samples),
        **extra,
    }


def run(quick: bool) -> list[dict]:
    n = 40 if quick else 300
    with tempfile.TemporaryDirectory(prefix="bench-proposals-") as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "PARTICIPATE_RATELIMIT": "0",
            "PARTICIPATE_INSTANCE": tmp,
            "PARTICIPATE_MAIL_OUTBOX": f"{tmp}/outbox",
        }
        started = time.perf_counter()
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, str(ROOT / "migrations")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{seeded.stderr[-3000:]}")
        thread_id, council_id, _ = seeded.stdout.split()[-3:]
        seed_seconds = time.perf_counter() - started
        with hb.Server(hb.APP_TARGET, env=env, port=hb.free_port(PORTS)) as server:
            base = server.url
            with requests.Session() as session:
                slug = session.get(f"{base}/api/v1/proposals/{thread_id}", timeout=30).json()
                assert slug["comments"] == 1000, slug["comments"]
                pages = {
                    "login": (f"{base}/login", "Sign in"),
                    "thread": (f"{base}/proposals/{thread_id}", 'id="discussion"'),
                    "list": (f"{base}/councils/health-birmingham/proposals", "10,000 proposals"),
                }
                for url_, check in pages.values():  # warm both workers
                    _measure(session, url_, check, 10)
                # Interleaved, so that whatever else the machine does weighs on all three alike.
                samples: dict[str, list[float]] = {key: [] for key in pages}
                load_before = os.getloadavg()[0]
                for _ in range(n):
                    for key, (url_, check) in pages.items():
                        samples[key] += _measure(session, url_, check, 1)
                load_after = os.getloadavg()[0]
                cpu = {
                    key: _cpu_ms(session, server, *page, min(n, 30)) for key, page in pages.items()
                }
                size = len(session.get(pages["thread"][0], timeout=30).content)
    baseline = _p95(samples["login"])
    common = {
        "quick": quick,
        "seed_s": round(seed_seconds, 1),
        "load_avg": [round(load_before, 2), round(load_after, 2)],
    }
    return [
        _entry(
            "proposal_page_1000_comments",
            samples["thread"],
            baseline,
            page_bytes=size,
            server_cpu_ms=cpu["thread"],
            baseline_cpu_ms=cpu["login"],
            **common,
        ),
        _entry(
            "council_list_10000_first_page",
            samples["list"],
            baseline,
            council=int(council_id),
            server_cpu_ms=cpu["list"],
            baseline_cpu_ms=cpu["login"],
            **common,
        ),
    ]


if __name__ == "__main__":
    import json

    for entry in run(quick="--quick" in sys.argv):
        print(json.dumps(entry))
