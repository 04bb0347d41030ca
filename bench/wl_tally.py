"""Re-tallying a published ballot file of 1,000,000 ballots, in process (no database).

``tally_binary_1m``: seconds for ``tally_ballot_file`` (validate, group, tally) on a
binary file with 5 constituencies. ``tally_schulze_1m``: the same for a Schulze
file over 10 options whose ballots are drawn, with a Zipf-like skew, from about
2,000 distinct (some partial) rankings. Every repeat times a fresh ``json.loads``
of the file's text (parsing itself is not timed, reported as ``load_s``), so string
hashes start cold as they do in ``participate tally FILE``. Each baseline is a bare
Python pass that only counts the ballots of such a fresh load,
``Counter((b["constituency"], b["choice" | "ranking"]) for b in ballots)``, measured
in the same run. Medians of 3. Quick mode uses 50,000 ballots (labelled ``ballots``).
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from participate.core.ballot_file import tally_ballot_file
from participate.core.tally import BINARY_CHOICES, CONSTITUENCIES

FULL, QUICK = 1_000_000, 50_000
OPTIONS = [f"option-{i}" for i in range(10)]
DISTINCT_RANKINGS = 2_000
BINARY_TARGET_S, SCHULZE_TARGET_S = 1.0, 5.0
SEED = 20240601


def _constituencies(n: int) -> dict[str, dict[str, Any]]:
    # Turnouts from ~25% to ~100% and unequal weights, so every rule is exercised.
    shares = (0.5, 0.25, 0.1, 0.05, 0.1)
    weights = (1, 1, 1, 0.5, 0.5)
    return {
        c: {"weight": w, "eligible": int(n * share * 1.2) + 1}
        for c, share, w in zip(CONSTITUENCIES, shares, weights, strict=True)
    }


def _voters(rnd: random.Random, n: int) -> list[str]:
    return rnd.choices(CONSTITUENCIES, weights=(0.5, 0.25, 0.1, 0.05, 0.1), k=n)


def binary_file(n: int, seed: int = SEED) -> dict[str, Any]:
    rnd = random.Random(seed)
    choices = rnd.choices(BINARY_CHOICES, weights=(0.5, 0.4, 0.1), k=n)
    return {
        "method": "binary",
        "rules": {"quorum": 0.1, "threshold": 0.5, "min_constituencies": 2},
        "constituencies": _constituencies(n),
        "ballots": [
            {"constituency": c, "receipt": f"r-{i:07d}-{rnd.getrandbits(40):010x}", "choice": ch}
            for i, (c, ch) in enumerate(zip(_voters(rnd, n), choices, strict=True))
        ],
    }


def schulze_file(n: int, seed: int = SEED) -> dict[str, Any]:
    rnd = random.Random(seed)
    pool: set[tuple[str, ...]] = set()
    while len(pool) < DISTINCT_RANKINGS:
        ranking = rnd.sample(OPTIONS, len(OPTIONS))
        pool.add(tuple(ranking[: rnd.choice((3, 5, 10, 10, 10))]))  # some rank only a few
    rankings = sorted(pool)
    rnd.shuffle(rankings)
    zipf = [1 / (rank + 1) for rank in range(len(rankings))]
    drawn = rnd.choices(rankings, weights=zipf, k=n)
    return {
        "method": "schulze",
        "options": OPTIONS,
        "rules": {"quorum": 0.1, "min_constituencies": 2},
        "constituencies": _constituencies(n),
        "ballots": [
            {
                "constituency": c,
                "receipt": f"r-{i:07d}-{rnd.getrandbits(40):010x}",
                "ranking": list(r),
            }
            for i, (c, r) in enumerate(zip(_voters(rnd, n), drawn, strict=True))
        ],
    }


def _cold_seconds(
    text: str, fn: Callable[[Any], Any], repeats: int = 3
) -> tuple[float, float, Any]:
    """Median seconds of fn(data) over fresh loads of text, the median load, the last result."""
    times, loads, result = [], [], None
    for _ in range(repeats):
        started = time.perf_counter()
        gc.disable()  # only to load faster; the timed call runs with the collector on
        try:
            data = json.loads(text)
        finally:
            gc.enable()
        # Leave the loaded ballots where a normal load leaves them, in the oldest
        # generation; young, they would make the timed call pay for their first scans.
        gc.collect()
        loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = fn(data)
        times.append(time.perf_counter() - started)
        del data
    return statistics.median(times), statistics.median(loads), result


def _entry(name: str, value: float, target: float, baseline: float, ballots: int) -> dict:
    return {
        "name": name,
        "value": round(value, 4),
        "unit": "s",
        "target": target,
        "baseline": round(baseline, 4),
        "ratio": round(value / baseline, 3) if baseline else None,
        "lost": None,
        "duplicated": None,
        "pass": value < target,
        "ballots": ballots,
    }


def run(quick: bool) -> list[dict]:
    n = QUICK if quick else FULL

    text = json.dumps(binary_file(n))
    baseline, _, _ = _cold_seconds(
        text, lambda d: Counter((b["constituency"], b["choice"]) for b in d["ballots"])
    )
    value, load, result = _cold_seconds(text, tally_ballot_file)
    binary = _entry("tally_binary_1m", value, BINARY_TARGET_S, baseline, n)
    binary["load_s"] = round(load, 4)
    binary["passed"] = result["passed"]

    text = json.dumps(schulze_file(n))
    baseline, _, _ = _cold_seconds(
        text, lambda d: Counter((b["constituency"], tuple(b["ranking"])) for b in d["ballots"])
    )
    value, load, result = _cold_seconds(text, tally_ballot_file)
    schulze = _entry("tally_schulze_1m", value, SCHULZE_TARGET_S, baseline, n)
    schulze["load_s"] = round(load, 4)
    schulze["options"], schulze["distinct_rankings"] = len(OPTIONS), DISTINCT_RANKINGS
    schulze["winner"] = result["winner"]
    return [binary, schulze]
