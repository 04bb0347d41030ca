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
import threading
import weakref
from datetime import datetime

from sqlalchemy.pool import QueuePool

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
    if dialect != "sqlite":
        return value
    if value.tzinfo is None:  # the same text as SQLITE_DATETIME, in a third of the time
        return value.isoformat(" ", "microseconds")
    return value.strftime(SQLITE_DATETIME)


# engine -> per-thread holder of that thread's own SQLite connection (see Borrowed)
_OWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_OWN_LOCK = threading.Lock()


class Borrowed:
    """A DB-API connection for one short transaction of the caller's own:
    ``with Borrowed(engine) as driver: ... driver.commit()``. Whatever the caller did not
    commit is rolled back when the block ends, as the pool does for a connection it gets back.

    On a file-based SQLite database each thread keeps one connection of its own for these
    writes: taken from the engine's pool once (so opened with its ``connect`` hooks, the
    pragmas) and detached from it. A pool checkout and check-in (queue, events, the reset
    on return) cost as much as the INSERT itself, and an SQLite file connection cannot drop.
    It is closed when the thread or the engine goes away, or after an error its rollback
    cannot undo. Other databases (PostgreSQL's connections can drop: the pool's pre-ping
    replaces them) and in-memory SQLite (one database per connection) take a pooled
    connection and give it back.
    """

    __slots__ = ("driver", "_pooled", "_own")

    def __init__(self, engine):
        self._pooled = None
        self._own = None
        if engine.dialect.name == "sqlite" and isinstance(engine.pool, QueuePool):
            own = _OWN.get(engine)
            if own is None:
                with _OWN_LOCK:
                    own = _OWN.setdefault(engine, threading.local())
            driver = getattr(own, "connection", None)
            if driver is None:
                pooled = engine.raw_connection()
                driver = own.connection = pooled.driver_connection
                pooled.detach()  # no longer the pool's: it stays with this thread
            self._own = own
        else:
            self._pooled = engine.raw_connection()
            driver = self._pooled.driver_connection
        self.driver = driver

    def __enter__(self):
        return self.driver

    def __exit__(self, kind, error, traceback) -> None:
        self.close(failed=kind is not None)

    def close(self, failed: bool = False) -> None:
        """End the block: roll back what was not committed (the connection stays usable)."""
        if self._pooled is not None:
            self._pooled.close()  # back to the pool, which rolls back what is left
            return
        driver = self.driver
        if driver.in_transaction or failed:
            try:
                driver.rollback()
            except Exception:  # a connection its own rollback cannot undo: open a new one
                self._own.connection = None  # type: ignore[union-attr]
                driver.close()


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
