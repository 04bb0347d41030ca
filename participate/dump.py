"""Export and import the whole database as JSON files, one per table, round-trip exact."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from participate.extensions import db


class DumpError(Exception):
    pass


def _encode(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value, column):
    if isinstance(value, dict) and len(value) == 1:
        key, raw = next(iter(value.items()))
        if key == "$dt":
            return datetime.fromisoformat(raw)
        if key == "$d":
            return date.fromisoformat(raw)
        if key == "$b":
            return base64.b64decode(raw)
    return value


def _tables():
    return [t for t in db.metadata.sorted_tables]


def export_database(directory: Path) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table in _tables():
        order = [c for c in table.primary_key.columns] or list(table.columns)
        rows = db.session.execute(sa.select(table).order_by(*order)).mappings().all()
        data = [{k: _encode(v) for k, v in row.items()} for row in rows]
        (directory / f"{table.name}.json").write_text(
            json.dumps({"table": table.name, "rows": data}, indent=1)
        )
        counts[table.name] = len(data)
    (directory / "manifest.json").write_text(
        json.dumps({"tables": [t.name for t in _tables()]}, indent=1)
    )
    return counts


def _suspend_triggers():
    """Switch the database's guard triggers off for a restore; returns the switch back on.

    Triggers guard live writes (e.g. no ballot on a closed motion); a restore writes rows
    exactly as they were, closed motions and their ballots included, so they must not
    refuse it (as ``pg_restore --disable-triggers``). Switching back on is idempotent.
    """
    session = db.session
    if db.engine.dialect.name == "sqlite":
        triggers = session.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL"
            )
        ).all()
        for name, _sql in triggers:
            session.execute(sa.text(f'DROP TRIGGER IF EXISTS "{name}"'))

        def restore() -> None:
            for name, sql in triggers:
                exists = session.execute(
                    sa.text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
                    {"n": name},
                ).first()
                if exists is None:
                    session.execute(sa.text(sql))

        return restore
    if db.engine.dialect.name == "postgresql":
        names = [table.name for table in _tables()]
        for name in names:
            session.execute(sa.text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))

        def restore() -> None:
            for name in names:
                session.execute(sa.text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))

        return restore
    return lambda: None


def import_database(directory: Path) -> dict[str, int]:
    manifest = directory / "manifest.json"
    if not manifest.exists():
        raise DumpError(f"{directory} has no manifest.json; it is not a participate export")
    for table in _tables():
        if db.session.scalar(sa.select(sa.func.count()).select_from(table)):
            raise DumpError(
                f"the database is not empty (table {table.name} has rows); import into a fresh database"
            )
    counts = {}
    restore_triggers = _suspend_triggers()
    try:
        for table in _tables():
            path = directory / f"{table.name}.json"
            if not path.exists():
                continue
            rows = json.loads(path.read_text())["rows"]
            unknown = (
                set().union(*(r.keys() for r in rows)) - set(table.columns.keys())
                if rows
                else set()
            )
            if unknown:
                raise DumpError(
                    f"{path.name} has columns this database does not know: {', '.join(sorted(unknown))}"
                )
            decoded = [{k: _decode(v, table.columns[k]) for k, v in row.items()} for row in rows]
            for start in range(0, len(decoded), 1000):
                db.session.execute(sa.insert(table), decoded[start : start + 1000])
            counts[table.name] = len(decoded)
        db.session.flush()
        if db.engine.dialect.name == "postgresql":
            for table in _tables():
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and counts.get(table.name):
                    sequence = sa.func.pg_get_serial_sequence(table.name, pk[0].name)
                    highest = sa.select(sa.func.max(pk[0])).scalar_subquery()
                    db.session.execute(sa.select(sa.func.setval(sequence, highest)))
        restore_triggers()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        restore_triggers()
        db.session.commit()
    return counts
