"""The bare insert-per-request Flask app over HTTP: the ceiling the write workloads compare with.

``bare_insert_http``: acknowledged writes per second, sustained, of bench/bare_app.py
(one INSERT into a UNIQUE-keyed SQLite WAL table per form POST) served by granian with
the harness's settings (2 workers, ``httpbench.THREADS`` threads each), driven by
``httpbench.run_load`` at ``httpbench.CONCURRENCY``. It is its own baseline (ratio 1);
it passes when nothing acknowledged is lost, nothing is duplicated, and no request
failed. The point is to exercise the shared harness on every ``make bench`` and to
report the raw ceiling of this machine next to the feature workloads (see the extra
fields: latency percentiles, CPU per request of the server and of the load generator,
and how much of the machine other jobs used meanwhile). Full: 3 runs of 5 s (median);
quick: 1 run of 1.5 s.
"""

from __future__ import annotations

import httpbench as hb


def run(quick: bool) -> list[dict]:
    rounds, seconds = (1, 1.5) if quick else (3, 5.0)
    rate_hint = 5000  # prepared writes per second of run: far more than this machine does
    with hb.workdir() as tmp, hb.bare_target(tmp, int(rounds * seconds * rate_hint)) as bare:
        for _ in range(rounds):
            bare.run(duration_s=seconds, concurrency=hb.CONCURRENCY)
        lost, duplicated = bare.check_writes()
    failures = sum(s.server_errors + s.client_errors + s.errors for s in bare.runs)
    summary = bare.summary()
    value = round(bare.throughput, 1)
    return [
        hb.entry(
            "bare_insert_http",
            value,
            "writes/s",
            None,
            value,
            1.0,
            lost,
            duplicated,
            passed=lost == 0 and duplicated == 0 and failures == 0 and value > 0,
            p99_ms=summary.get("p99_ms"),
            http=summary,
        )
    ]
