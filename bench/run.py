"""Run every benchmark workload and write bench/out/results.json.

Each workload is a module ``bench/wl_<name>.py`` exposing ``run(quick: bool) -> list[dict]``.
Every returned entry has: name, value, unit, target, baseline, ratio, lost, duplicated, pass
(``lost``/``duplicated`` are None where nothing is written). ``baseline`` is a figure
measured in the same run (never a constant), and ``ratio`` compares ``value`` with it. An
entry that could not run here (e.g. PostgreSQL unreachable) says why in ``skipped``, with
pass None: not a failure.

    python bench/run.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIRED = ("name", "value", "unit", "target", "baseline", "ratio", "lost", "duplicated", "pass")


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shortened version of every workload")
    parser.add_argument("--only", nargs="*", default=None, help="workload module names (wl_x)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    results: list[dict] = []
    failed = False
    for path in sorted(HERE.glob("wl_*.py")):
        if args.only and path.stem not in args.only and path.stem[3:] not in args.only:
            continue
        started = time.perf_counter()
        print(f"== {path.stem}", file=sys.stderr, flush=True)
        try:
            entries = _load(path).run(quick=args.quick)
        except Exception:  # a broken workload is reported, the others still run
            traceback.print_exc()
            entries = [{"name": path.stem, "error": traceback.format_exc(limit=3), "pass": False}]
        for entry in entries:
            for key in REQUIRED:
                entry.setdefault(key, None)
            entry["seconds"] = round(time.perf_counter() - started, 2)
            failed |= entry["pass"] is not True and not entry.get("skipped")
            print(json.dumps(entry), flush=True)
        results.extend(entries)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'results.json'} ({len(results)} entries)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
