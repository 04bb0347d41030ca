"""The baseline for HTTP write workloads: a bare insert-per-request Flask app.

``POST /write`` with a form field ``key`` inserts one row into the table ``writes``
(``key`` is UNIQUE) and answers 201, or 409 when the key is already there; a missing key
is a 400. Nothing else: no extensions, no session, no CSRF, no templates, no ORM. Each
worker thread opens its own connection, with the driver the app under test uses for
``DATABASE_URL``, and commits each insert in its own transaction, as the app does:

- ``sqlite:///<path>``: ``sqlite3`` with participate's pragmas (``participate/__init__.py``
  ``_sqlite_pragmas``: WAL, synchronous=NORMAL, foreign_keys=ON, busy_timeout=30000, plus
  the same 30 s driver timeout);
- ``postgresql[+psycopg]://...``: psycopg 3, the server's defaults (synchronous commit).

Served by ``httpbench.Server(BARE_TARGET, ...)`` with the same granian settings as the app
under test; the table is created by :func:`init_db`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, request

SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS writes ("
    " id INTEGER PRIMARY KEY,"
    " key VARCHAR(64) NOT NULL,"
    " created_at DATETIME NOT NULL,"
    " CONSTRAINT uq_writes_key UNIQUE (key))"
)
POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS writes ("
    " id BIGSERIAL PRIMARY KEY,"
    " key VARCHAR(64) NOT NULL,"
    " created_at TIMESTAMP NOT NULL,"
    " CONSTRAINT uq_writes_key UNIQUE (key))"
)
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


class Database:
    """Where the writes go: ``connect()`` a new connection, ``INSERT`` one row with it."""

    def __init__(self, database_url: str):
        if database_url.startswith("sqlite:///"):
            self.kind = "sqlite"
            self.target = database_url[len("sqlite:///") :]
            self.schema = SQLITE_SCHEMA
            self.insert = "INSERT INTO writes (key, created_at) VALUES (?, ?)"
            self.integrity_error: type[Exception] = sqlite3.IntegrityError
        elif database_url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            import psycopg

            self.kind = "postgresql"
            self.target = "postgresql://" + database_url.split("://", 1)[1]
            self.schema = POSTGRES_SCHEMA
            self.insert = "INSERT INTO writes (key, created_at) VALUES (%s, %s)"
            self.integrity_error = psycopg.IntegrityError
        else:
            raise ValueError(f"the bare app needs SQLite or PostgreSQL, not {database_url!r}")

    def now(self):
        now = datetime.now(UTC).replace(tzinfo=None)
        return now.isoformat(" ") if self.kind == "sqlite" else now

    def connect(self):
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.target, timeout=30)
            for pragma in PRAGMAS:
                conn.execute(pragma)
            return conn
        import psycopg

        return psycopg.connect(self.target)


def init_db(database_url: str) -> None:
    """Create the ``writes`` table (idempotent); on SQLite the file is switched to WAL."""
    database = Database(database_url)
    conn = database.connect()
    conn.execute(database.schema)
    conn.commit()
    conn.close()


def create_app(database_url: str | None = None) -> Flask:
    database = Database(database_url or os.environ["DATABASE_URL"])
    local = threading.local()
    app = Flask(__name__)

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:  # opened lazily, in the worker thread that uses it
            conn = local.conn = database.connect()
        return conn

    @app.post("/write")
    def write():
        key = request.form.get("key")
        if not key:
            return "key is required\n", 400
        conn = connection()
        try:
            conn.execute(database.insert, (key, database.now()))
            conn.commit()
        except database.integrity_error:
            conn.rollback()
            return "duplicate key\n", 409
        return "created\n", 201

    @app.get("/ready")
    def ready():
        return "ok\n"

    return app


app = create_app() if "DATABASE_URL" in os.environ else None
