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
SQLite (where comparisons are textual) and ``timestamp`` on PostgreSQL; JSON values as its
``JSON`` type writes them. A statement may also be a SQLAlchemy Core construct compiled
once per dialect (``DriverStatement.compiled``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # sqlalchemy.dialects.sqlite.DATETIME's format
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class DriverStatement:
    """One fixed SQL statement with ``:name`` parameters, for any of the app's dialects."""

    def __init__(self, sql: str):
        self.sql = sql
        self._texts = {"sqlite": sql, "postgresql": _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))}
        self._defaults: dict = {}

    @classmethod
    def compiled(cls, statement, dialect: str) -> DriverStatement:
        """A SQLAlchemy Core statement compiled once for ``dialect`` (its literal values
        become default parameters); it runs on that dialect only."""
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import psycopg

            compiled = statement.compile(dialect=psycopg.dialect())
        else:
            from sqlalchemy.dialects import sqlite

            compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))
        made = cls.__new__(cls)
        made.sql = compiled.string
        made._texts = {dialect: compiled.string}
        made._defaults = {k: v for k, v in compiled.params.items() if v is not None}
        return made

    def execute(self, driver_connection, dialect: str, params: dict | None = None):
        """Run it on ``driver_connection`` (a sqlite3 or psycopg connection); the cursor."""
        cursor = driver_connection.cursor()
        values = {**self._defaults, **params} if self._defaults and params else params
        cursor.execute(self._texts[dialect], values or self._defaults)
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


def json_to_db(value) -> str | None:
    """A JSON column's parameter as the app's JSON columns get it: None is SQL NULL."""
    return None if value is None else json.dumps(value)


def json_from_db(value):
    """A JSON column's value (SQLite gives its text, psycopg the parsed value)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def from_db(value) -> datetime | None:
    """A DateTime column's value as SQLAlchemy would read it (naive UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
