"""Statements run on the database driver's own connection, for the two surge writes.

Through SQLAlchemy Core, a one-row INSERT on SQLite costs about three times what SQLite
itself takes: the compiled-statement cache lookup, an execution context, result metadata
and type processors around every statement. The hot path of signing a petition
(``participate/petitions/signing.py``) runs its few fixed statements here instead, on the
pooled connection's DB-API connection, and the transaction is the driver's: its first
write begins it, ``commit()`` ends it (SQLAlchemy's pool rolls back whatever is left
when the connection goes back).

The SQL is written once with ``:name`` parameters (sqlite3's named style) and rewritten
for psycopg's ``%(name)s``. Only plain values cross: integers, strings and datetimes.
Datetimes are stored exactly as SQLAlchemy's ``DateTime`` stores them, so the rest of the
app reads them back unchanged: naive UTC, as ISO text ``YYYY-MM-DD HH:MM:SS.ffffff`` on
SQLite (where comparisons are textual) and ``timestamp`` on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # sqlalchemy.dialects.sqlite.DATETIME's format
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class DriverStatement:
    """One fixed SQL statement with ``:name`` parameters, for any of the app's dialects."""

    def __init__(self, sql: str):
        self.sql = sql
        self._texts = {"sqlite": sql, "postgresql": _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))}

    def execute(self, driver_connection, dialect: str, params: dict | None = None):
        """Run it on ``driver_connection`` (a sqlite3 or psycopg connection); the cursor."""
        cursor = driver_connection.cursor()
        cursor.execute(self._texts[dialect], params or {})
        return cursor

    def first(self, driver_connection, dialect: str, params: dict | None = None):
        cursor = self.execute(driver_connection, dialect, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()


def to_db(value: datetime, dialect: str):
    """A naive UTC datetime as a parameter, stored as SQLAlchemy's DateTime stores it."""
    return value.strftime(SQLITE_DATETIME) if dialect == "sqlite" else value


def from_db(value) -> datetime | None:
    """A DateTime column's value as SQLAlchemy would read it (naive UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
