"""The demo world (``participate seed --scale 1``), seeded once per run and shared.

Seeding the demo costs a minute or more, so a run seeds it once, into a database of its own
beside the test database (an SQLite file, or ``<test database>_demo`` on the PostgreSQL
server), and hands it out two ways (fixtures in conftest.py):

- ``demo``: an app bound to that database, each test inside one transaction rolled back at
  the end (as ``db`` does), for tests that read the demo or write only what may be undone;
- ``demo_copy``: an app bound to a fresh copy of it (SQLite's backup API, or PostgreSQL's
  ``CREATE DATABASE ... TEMPLATE``), committing for real, for tests whose rows another app,
  process or connection must see; the copy is removed after the test.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

DEMO_PASSWORD = "demo-password"


@dataclass
class Demo:
    """An app on a demo database, with its app context pushed while the test runs."""

    app: object
    db: object
    client: object
    summary: dict[str, int] = field(default_factory=dict)
    url: str = ""


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _sqlite_path(url: str) -> Path:
    return Path(sa.make_url(url).database)


def empty_database(test_url: str, folder: Path, name: str) -> str:
    """The URL of a new, empty database called ``name`` beside the test database."""
    if test_url.startswith("sqlite"):
        path = folder / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = sa.make_url(test_url)
    database = f"{url.database}_{name}"
    admin = _admin_engine(url)
    with admin.connect() as conn:
        # Copies an interrupted run left behind (copy_database names them "<database>_<hex>").
        stale = conn.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
            {"pattern": database.replace("_", r"\_") + r"\_%"},
        ).all()
        for old in [*stale, database]:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    parsed = sa.make_url(url)
    admin = _admin_engine(parsed)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def copy_database(url: str, folder: Path) -> str:
    """A copy of the database at ``url`` (nobody may be connected to it on PostgreSQL)."""
    token = secrets.token_hex(4)
    if url.startswith("sqlite"):
        target = folder / f"demo_copy_{token}.sqlite3"
        with contextlib.closing(sqlite3.connect(_sqlite_path(url))) as source:
            with contextlib.closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
        return f"sqlite:///{target}"
    parsed = sa.make_url(url)
    database = f"{parsed.database}_{token}"
    admin = _admin_engine(parsed)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}" TEMPLATE "{parsed.database}"'))
    admin.dispose()
    return parsed.set(database=database).render_as_string(hide_password=False)


def migrated_app(url: str, folder: Path):
    """An app on ``url`` with its own instance folder and outbox, migrated to the heads."""
    from flask_migrate import upgrade

    from participate import create_app
    from tests.conftest import ROOT, test_config

    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(test_config(url, folder))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
    return app


def app_for(url: str, folder: Path):
    """An app on an existing (already migrated) database."""
    from participate import create_app
    from tests.conftest import test_config

    folder.mkdir(parents=True, exist_ok=True)
    return create_app(test_config(url, folder))


def dispose(app) -> None:
    """Close the app's pooled connections (a PostgreSQL template must have none)."""
    from participate.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class DemoWorld:
    """The seeded demo database of this run: its URL, app and ``seed()``'s summary."""

    url: str
    folder: Path
    app: object
    summary: dict[str, int]

    @contextlib.contextmanager
    def copy(self, folder: Path) -> Iterator[Demo]:
        """An app on a fresh copy of the demo database, context pushed; the copy dropped after."""
        from participate.extensions import db

        dispose(self.app)
        url = copy_database(self.url, folder)
        app = app_for(url, folder / "instance")
        try:
            with app.app_context():
                try:
                    yield Demo(app, db, app.test_client(), dict(self.summary), url)
                finally:
                    db.session.remove()
                    db.engine.dispose()
        finally:
            drop_database(url)


def seed_demo_world(test_url: str, folder: Path) -> DemoWorld:
    from participate.extensions import db
    from participate.seed import seed

    url = empty_database(test_url, folder, "demo")
    app = migrated_app(url, folder / "demo")
    with app.app_context():
        summary = seed(scale=1, password=DEMO_PASSWORD)
        db.session.remove()
    dispose(app)
    return DemoWorld(url, folder, app, dict(summary))
