"""participate/driver_sql.py: datetimes stored as SQLAlchemy stores them, and the driver
connection the surge writes borrow (the thread's own on SQLite, a pooled one elsewhere)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from participate.driver_sql import SQLITE_DATETIME, Borrowed, DriverStatement, from_db, to_db

INSERT = DriverStatement("INSERT INTO services (slug, name, description) VALUES (:slug, :n, '')")


def _slugs(db) -> set[str]:
    with db.engine.connect() as connection:
        return set(connection.execute(sa.text("SELECT slug FROM services")).scalars())


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 22, 13, 5, 9, 123456),
        datetime(2026, 1, 2, 3, 4, 5),  # no microseconds: still written out, as SQLAlchemy does
        datetime(999, 12, 31, 23, 59, 59, 1),
    ],
)
def test_sqlite_datetimes_are_written_as_sqlalchemy_writes_them(value):
    stored_by_sqlalchemy = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert to_db(value, "sqlite") == stored_by_sqlalchemy(value)
    assert from_db(to_db(value, "sqlite")) == value
    assert to_db(value, "postgresql") is value


def test_an_aware_datetime_keeps_the_strftime_form():
    value = datetime(2026, 11, 22, 13, 5, 9, 123456, tzinfo=UTC)
    assert to_db(value, "sqlite") == value.strftime(SQLITE_DATETIME) == "2026-11-22 13:05:09.123456"


def test_what_is_committed_stays_and_the_rest_is_rolled_back(db):
    dialect = db.engine.dialect.name
    with Borrowed(db.engine) as driver:
        INSERT.execute(driver, dialect, {"slug": "kept", "n": "Kept"}).close()
        driver.commit()
        INSERT.execute(driver, dialect, {"slug": "left-open", "n": "Left open"}).close()
    with pytest.raises(RuntimeError), Borrowed(db.engine) as driver:
        INSERT.execute(driver, dialect, {"slug": "failed", "n": "Failed"}).close()
        raise RuntimeError("the caller failed before its commit")
    assert _slugs(db) == {"kept"}
    # and the connection is still good for the next write
    with Borrowed(db.engine) as driver:
        INSERT.execute(driver, dialect, {"slug": "next", "n": "Next"}).close()
        driver.commit()
    assert _slugs(db) == {"kept", "next"}


def test_sqlite_threads_keep_their_own_connection_and_others_go_back_to_the_pool(db):
    engine = db.engine
    checked_out = engine.pool.checkedout()
    with Borrowed(engine) as first:
        pass
    with Borrowed(engine) as again:
        pass
    seen: list = []
    thread = threading.Thread(target=lambda: seen.append(Borrowed(engine).driver))
    thread.start()
    thread.join()
    if engine.dialect.name == "sqlite":
        assert again is first  # this thread's own, kept between writes
        assert seen[0] is not first  # another thread has its own
    assert engine.pool.checkedout() == checked_out  # nothing is held from the pool


def test_a_connection_whose_rollback_fails_is_replaced(db, monkeypatch):
    engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("only SQLite connections are kept by a thread")
    borrowed = Borrowed(engine)
    broken = borrowed.driver
    borrowed.driver = _FailingRollback(broken)
    with pytest.raises(RuntimeError), borrowed:
        raise RuntimeError("the write failed")
    with Borrowed(engine) as fresh:
        assert fresh is not broken
        INSERT.execute(fresh, "sqlite", {"slug": "after", "n": "After"}).close()
        fresh.commit()
    assert _slugs(db) == {"after"}


class _FailingRollback:
    def __init__(self, connection):
        self.connection = connection
        self.in_transaction = True

    def rollback(self):
        raise OSError("disk I/O error")

    def close(self):
        self.connection.close()
