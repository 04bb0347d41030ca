"""Export and import the whole database as JSON files, one per table, round-trip exact.

An export is a folder: ``manifest.json`` (the table names) and one ``<table>.json`` per table
(``{"table": ..., "rows": [...]}``), rows in primary-key order. Datetimes, dates and bytes
(the sealed ballots) are written as ``{"$dt": ...}``, ``{"$d": ...}`` and ``{"$b": base64}``.
The files are the same whichever database wrote them, so an export from SQLite imports into
PostgreSQL and exports again to the same files, and the other way round.

The full-text index of proposals is not exported: it is not a model, and the triggers that keep
it current (migration 0002_proposals) index the rows as the import writes them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from participate.extensions import db
from participate.proposals.search import is_search_table


class DumpError(Exception):
    """An export or import refused, with one line saying why and what to do."""


def _encode(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


# A tagged value is read back only into a column of its type, so a JSON column that happens
# to hold {"$d": ...} is left as it is.
_TAGS: dict[str, tuple[type, Callable]] = {
    "$dt": (sa.DateTime, datetime.fromisoformat),
    "$d": (sa.Date, date.fromisoformat),
    "$b": (sa.LargeBinary, lambda raw: base64.b64decode(raw, validate=True)),
}


def _decode(value, column: sa.Column):
    if isinstance(value, dict) and len(value) == 1:
        key, raw = next(iter(value.items()))
        if key in _TAGS and isinstance(column.type, _TAGS[key][0]):
            return _TAGS[key][1](raw)
    return value


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def _require_schema() -> None:
    """Refuse a database that ``participate init`` has not made (or not migrated)."""
    present = set(sa.inspect(db.session.connection()).get_table_names())
    missing = [table.name for table in _tables() if table.name not in present]
    if len(missing) == len(_tables()):
        raise DumpError(
            "the database has no participate tables: run `participate init` first "
            f"({db.engine.url.render_as_string(hide_password=True)})"
        )
    if missing:
        raise DumpError(
            f"the database lacks tables {', '.join(missing)}: run `participate init` to migrate it"
        )


def export_database(directory: Path) -> dict[str, int]:
    _require_schema()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        counts = {}
        for table in _tables():
            key = [column.name for column in table.primary_key.columns]
            rows = db.session.execute(sa.select(table)).mappings().all()
            # Sorted here, not by ORDER BY: PostgreSQL's collation may order text keys (themes,
            # session ids) otherwise than SQLite, and the files must not depend on the database.
            ordered = sorted(rows, key=lambda row: tuple(row[name] for name in key))
            data = [{k: _encode(v) for k, v in row.items()} for row in ordered]
            (directory / f"{table.name}.json").write_text(
                json.dumps({"table": table.name, "rows": data}, indent=1)
            )
            counts[table.name] = len(data)
        (directory / "manifest.json").write_text(
            json.dumps({"tables": [t.name for t in _tables()]}, indent=1)
        )
    except OSError as error:
        raise DumpError(
            f"cannot write the export to {directory}: {error.strerror or error}"
        ) from None
    return counts


def _suspend_guards() -> Callable[[], None]:
    """Switch the database's guard triggers off for a restore; returns the switch back on.

    Triggers guard live writes (e.g. no ballot on a closed motion); a restore writes rows
    exactly as they were, closed motions and their ballots included, so they must not
    refuse it (as ``pg_restore --disable-triggers``). The search index's triggers stay on:
    they index the proposals as they are restored. Switching back on is idempotent.
    """
    session = db.session
    if db.engine.dialect.name == "sqlite":
        triggers = [
            (name, sql)
            for name, sql in session.execute(
                sa.text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL"
                )
            ).all()
            if not is_search_table(name)
        ]
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
        guards = [
            (table, name)
            for table, name in session.execute(
                sa.text(
                    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) "
                    "AND c.relname = ANY(:tables)"
                ),
                {"tables": [table.name for table in _tables()]},
            ).all()
            if not is_search_table(name)
        ]
        for table, name in guards:
            session.execute(sa.text(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"'))

        def restore() -> None:
            for table, name in guards:
                session.execute(sa.text(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"'))

        return restore
    return lambda: None


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DumpError(
            f"{path.name} is missing from {path.parent}: the export is incomplete"
        ) from None
    except UnicodeDecodeError:
        raise DumpError(f"{path.name} is not valid JSON (it is not UTF-8 text)") from None
    except ValueError as error:
        raise DumpError(f"{path.name} is not valid JSON ({error})") from None
    except OSError as error:
        raise DumpError(f"cannot read {path}: {error.strerror or error}") from None


def _manifest(directory: Path) -> list[str]:
    """The export's tables, which must be this database's tables, each with its file."""
    if not (directory / "manifest.json").exists():
        raise DumpError(f"{directory} has no manifest.json; it is not a participate export")
    manifest = _read_json(directory / "manifest.json")
    names = manifest.get("tables") if isinstance(manifest, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DumpError("manifest.json has no list of tables; it is not a participate export")
    known = [table.name for table in _tables()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DumpError(
            f"the export has tables this database does not know ({', '.join(unknown)}): "
            "import it with the release that made it"
        )
    absent = [name for name in known if name not in names]
    if absent:
        raise DumpError(
            f"the export has no {', '.join(absent)}: it was made by another release; "
            "import it with that release"
        )
    for name in names:
        if not (directory / f"{name}.json").exists():
            raise DumpError(f"{name}.json is missing from {directory}: the export is incomplete")
    return names


def _rows(path: Path, table: sa.Table) -> list[dict]:
    """The rows of one table's file, decoded, each with exactly the table's columns."""
    content = _read_json(path)
    rows = content.get("rows") if isinstance(content, dict) else None
    if not isinstance(rows, list):
        raise DumpError(f"{path.name} has no list of rows; the export is damaged")
    columns = table.columns
    decoded = []
    for number, row in enumerate(rows, 1):
        where = f"{path.name} row {number}"
        if not isinstance(row, dict):
            raise DumpError(f"{where} is not an object of column values")
        unknown = row.keys() - columns.keys()
        if unknown:
            raise DumpError(
                f"{where} has columns this database does not know: {', '.join(sorted(unknown))}"
            )
        lacking = columns.keys() - row.keys()
        if lacking:
            raise DumpError(f"{where} lacks columns {', '.join(sorted(lacking))}")
        try:
            decoded.append({k: _decode(v, columns[k]) for k, v in row.items()})
        except (ValueError, TypeError) as error:
            raise DumpError(
                f"{where} has a value that is not what its column holds ({error})"
            ) from None
    return decoded


def _writable(table: sa.Table) -> sa.TableClause:
    """The table for inserting restored rows: a JSON column's None goes in as SQL NULL, as the
    export read it (a model's plain ``sa.JSON`` would write JSON ``null``)."""
    return sa.table(
        table.name,
        *(
            sa.column(c.name, sa.JSON(none_as_null=True) if isinstance(c.type, sa.JSON) else c.type)
            for c in table.columns
        ),
    )


def _first_line(error: sa.exc.SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def _has_rows(replace: bool) -> bool:
    """Whether the database has rows; refuses one that has unless they are to be replaced."""
    for table in _tables():
        if db.session.scalar(sa.select(sa.func.count()).select_from(table)):
            if not replace:
                raise DumpError(
                    f"the database is not empty (table {table.name} has rows): import into a "
                    "fresh database, or add --force to replace everything in this one"
                )
            return True
    return False


def _reset_sequences(counts: dict[str, int]) -> None:
    """PostgreSQL: the next id of each table follows the highest one restored."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and counts.get(table.name):
            sequence = sa.func.pg_get_serial_sequence(table.name, pk[0].name)
            highest = sa.select(sa.func.max(pk[0])).scalar_subquery()
            db.session.execute(sa.select(sa.func.setval(sequence, highest)))


def import_database(directory: Path, *, replace: bool = False) -> dict[str, int]:
    """Load an export into this database, all or nothing.

    The database must be initialised and, unless ``replace``, empty; with ``replace`` its rows
    are deleted first, in the same transaction.
    """
    _require_schema()
    _manifest(directory)
    has_rows = _has_rows(replace)
    restore_guards = _suspend_guards()
    counts: dict[str, int] = {}
    try:
        if has_rows:
            for table in reversed(_tables()):
                db.session.execute(table.delete())
        for table in _tables():
            path = directory / f"{table.name}.json"
            rows = _rows(path, table)
            try:
                for start in range(0, len(rows), 1000):
                    db.session.execute(sa.insert(_writable(table)), rows[start : start + 1000])
                db.session.flush()
            except sa.exc.SQLAlchemyError as error:
                raise DumpError(
                    f"{path.name} does not fit this database: {_first_line(error)}"
                ) from None
            counts[table.name] = len(rows)
        _reset_sequences(counts)
    except BaseException:
        db.session.rollback()
        restore_guards()
        db.session.commit()
        raise
    restore_guards()
    db.session.commit()
    return counts
