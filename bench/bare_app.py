"""The baseline for HTTP write workloads: a bare insert-per-request Flask app.

``POST /write`` with a form field ``key`` inserts one row into the SQLite table
``writes`` (``key`` is UNIQUE) and answers 201, or 409 when the key is already there;
a missing key is a 400. Nothing else: no extensions, no session, no CSRF, no
templates, no ORM. Each gunicorn worker (each thread, for gthread workers) opens its
own ``sqlite3`` connection with the pragmas participate uses
(``participate/__init__.py`` ``_sqlite_pragmas``: WAL, synchronous=NORMAL,
foreign_keys=ON, busy_timeout=30000, plus the same 30 s driver timeout) and commits
each insert in its own transaction, as the app under test does.

Served by ``bench.httpbench.Server(BARE_TARGET, ...)`` with the same gunicorn settings
as the app under test; the database is ``DATABASE_URL`` (``sqlite:///<path>``),
created by :func:`init_db`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, request

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS writes ("
    " id INTEGER PRIMARY KEY,"
    " key VARCHAR(64) NOT NULL,"
    " created_at DATETIME NOT NULL,"
    " CONSTRAINT uq_writes_key UNIQUE (key))"
)
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)
INSERT = "INSERT INTO writes (key, created_at) VALUES (?, ?)"


def sqlite_path(database_url: str) -> str:
    if not database_url.startswith("sqlite:///"):
        raise ValueError(f"the bare app needs an SQLite DATABASE_URL, not {database_url!r}")
    return database_url[len("sqlite:///") :]


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def init_db(database_url: str) -> None:
    """Create the ``writes`` table (idempotent) and switch the file to WAL."""
    conn = connect(sqlite_path(database_url))
    conn.execute(SCHEMA)
    conn.commit()
    conn.close()


def create_app(database_url: str | None = None) -> Flask:
    path = sqlite_path(database_url or os.environ["DATABASE_URL"])
    local = threading.local()
    app = Flask(__name__)

    def connection() -> sqlite3.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:  # opened lazily, after gunicorn forked the worker
            conn = local.conn = connect(path)
        return conn

    @app.post("/write")
    def write():
        key = request.form.get("key")
        if not key:
            return "key is required\n", 400
        conn = connection()
        try:
            conn.execute(INSERT, (key, datetime.now(UTC).replace(tzinfo=None).isoformat(" ")))
            conn.commit()
        except sqlite3.IntegrityError:
            conn.rollback()
            return "duplicate key\n", 409
        return "created\n", 201

    @app.get("/ready")
    def ready():
        return "ok\n"

    return app


app = create_app() if "DATABASE_URL" in os.environ else None
