"""Open-data export of a ``participate seed --scale 10`` database (issue 16): time and peak
memory of writing every open-data file (the site-wide bulk zip, ``build_bulk_zip()``: each
file streamed from chunked queries, JSON and CSV, plus each closed motion's ballot file).

Baseline, measured in the same run on the same database: the naive export, which reads each
underlying table whole with the bare DB driver (``SELECT *``, ``fetchall``), builds each file
as one ``json.dumps`` of every row, and writes it into a zip with the same compression. It
does less (no joins, no hiding, no CSV, no opened ballots) but holds each file in memory, as
an export that does not stream would.

- ``open_data_export_s``: seconds for ``build_bulk_zip()``; ratio to the naive export's
  seconds; passes when the ratio is at most 4 (the streaming export does the naive one's
  reading plus the joins, the per-record shaping and two formats). Measured on the 2-core
  machine: 20.0 s against 8.1 s (2.5x) for 58,038 records in 123 files (60 MiB, a 5 MiB zip).
- ``open_data_export_peak_mib``: peak Python memory (tracemalloc) during ``build_bulk_zip()``;
  ratio to the naive export's peak; passes when at most 0.5 (streaming must hold far less
  than one whole file). Measured: 5.1 MiB against 79.3 MiB (0.06). Time is measured
  without tracemalloc (it slows Python down), memory in a second pass with it.

The seeded database takes minutes to make on a busy 2-core machine, so it is made once and
kept in ``bench/out/cache/`` (keyed by the migrations present), then copied and upgraded to
the migrations' heads for each run. ``BENCH_SEEDED_DB=path`` (with ``BENCH_SEEDED_SECRET``,
the SECRET_KEY it was seeded under) uses a database seeded elsewhere. Quick mode seeds at
scale 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import httpbench as hb  # noqa: E402

TABLES = (
    "proposals",
    "proposal_comments",
    "proposal_themes",
    "proposal_supports",
    "rounds",
    "round_agenda_items",
    "motions",
    "ballots",
    "petitions",
    "petition_counters",
    "petition_tallies",
    "upward_forwards",
    "upward_answers",
    "upward_consultations",
    "upward_positions",
)


def _seeded(scale: int, tmp: Path) -> tuple[Path, str]:
    """A copy of a database seeded at ``scale`` and the SECRET_KEY it was seeded under."""
    given = os.environ.get("BENCH_SEEDED_DB")
    if given:
        source, secret = Path(given), os.environ.get("BENCH_SEEDED_SECRET", "dev")
    else:
        migrations = sorted(p.name for p in (hb.ROOT / "migrations" / "versions").glob("*.py"))
        key = hashlib.sha256("\n".join(migrations).encode()).hexdigest()[:12]
        source = HERE / "out" / "cache" / f"seed-{scale}-{key}.sqlite3"
        secret = hb.SECRET_KEY
        if not source.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            making = source.with_suffix(".making.sqlite3")
            hb.fresh_sqlite_db(making, seed_scale=scale)
            import sqlite3

            conn = sqlite3.connect(making)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            os.replace(making, source)
    target = tmp / "export.sqlite3"
    shutil.copyfile(source, target)
    return target, secret


def _naive_export(engine, target: Path) -> int:
    """Each table read whole and written as one JSON document: the non-streaming baseline."""
    written = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with engine.connect() as conn:
            for table in TABLES:
                result = conn.exec_driver_sql(f"SELECT * FROM {table}")  # noqa: S608 (fixed names)
                columns = list(result.keys())
                rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
                body = json.dumps(
                    rows, default=lambda v: v.hex() if isinstance(v, bytes) else str(v)
                )
                archive.writestr(f"{table}.json", body)
                written += len(rows)
    return written


def run(quick: bool) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-opendata-"))
    scale = 1 if quick else 10
    path, secret = _seeded(scale, tmp)
    url = hb.sqlite_url(path)
    os.environ["DATABASE_URL"] = url
    os.environ["PARTICIPATE_INSTANCE"] = str(tmp / "instance")

    from flask_migrate import upgrade

    from participate import create_app
    from participate.extensions import db
    from participate.opendata.bulk import build_bulk_zip

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(tmp / "instance"),
            "SECRET_KEY": secret,
        }
    )
    with app.app_context():
        upgrade(directory=str(hb.ROOT / "migrations"), revision="heads")
        engine = db.engine

        # Time (no tracing): the streaming export, then the naive one; each once warm.
        build_bulk_zip()
        db.session.remove()
        _naive_export(engine, tmp / "naive.zip")
        started = time.perf_counter()
        zipped = build_bulk_zip()
        stream_s = time.perf_counter() - started
        db.session.remove()
        started = time.perf_counter()
        naive_rows = _naive_export(engine, tmp / "naive.zip")
        naive_s = time.perf_counter() - started

        # Peak Python memory of each, traced.
        tracemalloc.start()
        build_bulk_zip()
        db.session.remove()
        stream_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        _naive_export(engine, tmp / "naive.zip")
        naive_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()

        with zipfile.ZipFile(zipped) as archive:
            infos = archive.infolist()
            files = len(infos)
            uncompressed = sum(i.file_size for i in infos)
            records = sum(
                len(json.loads(archive.read(i.filename)))
                for i in infos
                if i.filename.endswith(".json")
                and "/" not in i.filename
                and i.filename != "datapackage.json"
            )
        zip_size = zipped.stat().st_size
    shutil.rmtree(tmp, ignore_errors=True)
    mib = 1024 * 1024
    common = {
        "lost": None,
        "duplicated": None,
        "scale": scale,
        "records": records,
        "files": files,
        "uncompressed_mib": round(uncompressed / mib, 1),
        "zip_mib": round(zip_size / mib, 1),
        "naive_rows": naive_rows,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "quick": quick,
    }
    time_ratio = stream_s / naive_s
    memory_ratio = stream_peak / naive_peak
    return [
        {
            "name": "open_data_export_s",
            "value": round(stream_s, 2),
            "unit": "s",
            "target": 4.0,
            "target_is": "ratio (at most)",
            "baseline": round(naive_s, 2),
            "ratio": round(time_ratio, 2),
            "pass": time_ratio <= 4.0,
            **common,
        },
        {
            "name": "open_data_export_peak_mib",
            "value": round(stream_peak / mib, 1),
            "unit": "MiB",
            "target": 0.5,
            "target_is": "ratio (at most)",
            "baseline": round(naive_peak / mib, 1),
            "ratio": round(memory_ratio, 3),
            "pass": memory_ratio <= 0.5,
            **common,
        },
    ]


if __name__ == "__main__":
    for entry in run(quick="--quick" in sys.argv):
        print(json.dumps(entry))
