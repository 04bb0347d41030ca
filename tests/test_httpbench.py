"""The HTTP benchmark harness itself (bench/httpbench.py): exact accounting and real sessions.

No timing is asserted here: only that every prepared write is sent once and accounted for,
and that minted sessions are accepted by the real app (sign-in and CSRF).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import bare_app  # noqa: E402
import httpbench as hb  # noqa: E402

pytestmark = pytest.mark.concurrency

# "auto" is wrk when installed and the Python generator otherwise: nothing is skipped.
ENGINES = ["auto", "python"]


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bare")
    url = hb.sqlite_url(tmp / "bare.sqlite3")
    bare_app.init_db(url)
    with hb.Server(hb.BARE_TARGET, env={"DATABASE_URL": url}, workers=1) as server:
        yield server, url


@pytest.mark.parametrize("engine", ENGINES)
def test_every_prepared_write_is_sent_once_and_accounted_for(bare_server, engine):
    server, url = bare_server
    prefix = f"{engine}-"
    requests = hb.bare_requests(200, prefix=prefix, duplicates=20)
    assert len({r.key for r in requests}) == 180

    stats = hb.run_load(server.url, requests, concurrency=8, engine=engine, server=server)

    assert stats.engine == ("wrk" if engine == "auto" and hb.have_wrk() else "python")
    assert stats.sent == 200
    assert stats.statuses == {201: 180, 409: 20}
    assert (stats.ok, stats.conflict, stats.errors, stats.unanswered) == (180, 20, 0, 0)
    assert len(stats.acknowledged()) == 180
    rows = hb.fetch_column(url, "SELECT key FROM writes WHERE key LIKE :p", p=prefix + "%")
    assert len(rows) == 180
    assert hb.check_writes(stats.acknowledged(), rows) == (0, 0)
    assert stats.p50_ms is not None and stats.p50_ms <= stats.p99_ms <= stats.max_ms
    assert stats.server_cpu_s is not None and stats.client_cpu_s > 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_timed_run_stops_and_accounts_for_requests_in_flight(bare_server, engine):
    server, url = bare_server
    prefix = f"timed-{engine}-"
    requests = hb.bare_requests(20_000, prefix=prefix)  # far more than 1 s can send

    stats = hb.run_load(server.url, requests, concurrency=4, duration_s=1.0, engine=engine)

    assert 0 < stats.sent < len(requests)
    assert set(stats.statuses) <= {201, hb.UNANSWERED, hb.ERROR}
    assert stats.unanswered <= 4
    rows = hb.fetch_column(url, "SELECT key FROM writes WHERE key LIKE :p", p=prefix + "%")
    lost, duplicated = hb.check_writes(stats.acknowledged(), rows)
    assert (lost, duplicated) == (0, 0)
    sent_keys = {r.key for r in stats.results}
    assert set(rows) <= sent_keys  # nothing written that was not sent
    assert len(rows) - stats.ok <= stats.unanswered + stats.errors


def test_check_writes_counts_lost_and_duplicated():
    assert hb.check_writes({"a", "b", "c"}, ["a", "a", "b", "x"]) == (1, 1)
    assert hb.check_writes(set(), []) == (0, 0)


def test_entry_has_the_bench_run_keys():
    e = hb.entry("x", 1, "writes/s", None, 1, 1.0, 0, 0, True, p99_ms=3)
    assert e["pass"] is True and e["p99_ms"] == 3
    for key in ("name", "value", "unit", "target", "baseline", "ratio", "lost", "duplicated"):
        assert key in e


def test_minted_sessions_are_signed_in_with_a_valid_csrf_token(tmp_path):
    url = hb.fresh_sqlite_db(tmp_path / "app.sqlite3")
    user_ids = hb.create_users(url, 3, prefix="minted")
    assert len(user_ids) == 3
    sessions = hb.mint_sessions(url, user_ids, hb.SECRET_KEY)
    assert [s.user_id for s in sessions] == user_ids

    with hb.Server(hb.APP_TARGET, env=hb.app_env(url, tmp_path), workers=1) as server:
        for session in sessions:
            hb.check_session(server.url, session)  # GET /profile -> 200
        forged = hb.Session(sessions[0].user_id, sessions[0].cookie[:-2] + "xx", "")
        with pytest.raises(AssertionError, match="answered 302"):
            hb.check_session(server.url, forged)
        # Minted for another browser: still signed in, but Flask-Login marks it as not fresh
        # and rewrites it on every request (so the user agent is part of what login_user stores).
        elsewhere = hb.mint_sessions(url, user_ids[:1], hb.SECRET_KEY, user_agent="elsewhere")
        with pytest.raises(AssertionError, match="rewrote"):
            hb.check_session(server.url, elsewhere[0])

        # A CSRF-protected form POST per user: accepted with the minted token, refused without.
        posts = [
            hb.form_post("/profile", {"name": f"Renamed {s.user_id}"}, key=s.user_id, session=s)
            for s in sessions
        ]
        no_token = hb.form_post(
            "/profile",
            {"name": "Sneaky", "csrf_token": "nope"},
            key="no-token",
            session=sessions[0],
        )
        stats = hb.run_load(server.url, [*posts, no_token], concurrency=2, ok_statuses=(302,))
        assert stats.statuses == {302: 3, 400: 1}
        assert stats.acknowledged() == {str(i) for i in user_ids}

    names = hb.fetch_column(url, "SELECT name FROM users WHERE email LIKE 'minted-%' ORDER BY id")
    assert names == [f"Renamed {i}" for i in user_ids]
    assert hb.count_rows(url, "SELECT count(*) FROM users WHERE name = 'Sneaky'") == 0
