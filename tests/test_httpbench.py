"""The HTTP benchmark harness itself (bench/httpbench.py): exact accounting and real sessions.

No timing is asserted here: only that every prepared write is sent once and accounted for,
that the server (granian) is ready in every worker before a measurement starts, that the
bare baseline writes to PostgreSQL too, that an entry passes on ratios (never on a rate),
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


def test_the_server_waits_for_every_worker_and_counts_their_cpu(tmp_path):
    url = hb.sqlite_url(tmp_path / "bare.sqlite3")
    bare_app.init_db(url)
    with hb.Server(hb.BARE_TARGET, env={"DATABASE_URL": url}, workers=2) as server:
        workers = server.worker_pids()
        assert len(workers) == 2  # both imported the app before start() returned
        assert set(workers) <= set(server.pids()) and server.proc.pid in server.pids()
        stats = hb.run_load(server.url, hb.bare_requests(300), concurrency=4, server=server)
        assert stats.statuses == {201: 300}
        assert stats.server_cpu_s is not None and stats.server_cpu_s > 0
        assert server.describe()["server"] == "granian"
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_two_servers_never_share_a_port(tmp_path):
    # granian listens with SO_REUSEPORT: a second server on a port would start fine and take
    # part of the first one's connections. free_port hands a port out once; a server that
    # finds another listener on its port refuses to start.
    url = hb.sqlite_url(tmp_path / "bare.sqlite3")
    bare_app.init_db(url)
    env = {"DATABASE_URL": url}
    first, second = hb.Server(hb.BARE_TARGET, env=env), hb.Server(hb.BARE_TARGET, env=env)
    assert first.port != second.port
    intruder = hb.Server(hb.BARE_TARGET, env=env, workers=1, port=first.port)
    with pytest.raises(RuntimeError, match="another process listens on port"):
        with hb.serving(first, intruder):
            pass


def test_the_bare_app_writes_to_postgresql_like_the_app(tmp_path):
    reason = hb.postgres_unreachable()
    if reason:
        pytest.skip(reason)
    with (
        hb.fresh_postgres_db(tmp=tmp_path) as url,
        hb.bare_target(tmp_path, 120, database_url=url) as bare,
    ):
        assert bare.server.env["DATABASE_URL"] == url
        stats = bare.run(concurrency=4)
        assert stats.statuses == {201: 120}
        assert bare.check_writes() == (0, 0)
        duplicate = hb.run_load(bare.server.url, hb.bare_requests(1), ok_statuses=(201,))
        assert duplicate.statuses == {409: 1}
        assert hb.count_rows(url, "SELECT count(*) FROM signatures") == 0  # participate init ran


class _Stub:
    def describe(self) -> dict:
        return {"server": "stub"}


def _target(name: str, rates: list[float], p99_ms: float = 5.0) -> hb.Target:
    """A Target whose runs wrote ``rate`` rows a second for a second each, all acknowledged."""
    target = hb.Target(name, _Stub(), [], ok_statuses=(200,), row_keys=lambda: keys)
    keys: list[str] = []
    for run, rate in enumerate(rates):
        n = int(rate)
        results = [
            hb.Result(f"{run}-{i}", 200, i / rate, i / rate + p99_ms / 1000, i) for i in range(n)
        ]
        keys += [r.key for r in results]
        target.runs.append(
            hb.Stats(
                engine="stub", concurrency=1, ok_statuses=(200,), results=results, client_cpu_s=0
            )
        )
    return target


def test_write_entry_passes_on_ratios_never_on_a_rate():
    bare = _target("bare", [3000, 3000, 3000])
    slow = _target("app", [100, 100, 100])  # a slow machine: only the ratios count
    entry = hb.write_entry("w", slow, _target("bare", [300, 300, 300]), _target("tb", [40] * 3))
    assert entry["pass"] is True
    assert entry["ratio"] == pytest.approx(1 / 3, rel=0.05)
    assert entry["ratio_textbook"] == pytest.approx(2.5, rel=0.05)
    assert entry["target"] == 0.3 and entry["goal"] == 0.5 and entry["goal_textbook"] == 3
    fast = _target("app", [1200, 1200, 1200])
    assert hb.write_entry("w", fast, bare, _target("tb", [400] * 3))["pass"] is True
    assert hb.write_entry("w", fast, bare, _target("tb", [700] * 3))["pass"] is False
    assert (
        hb.write_entry("w", _target("app", [600] * 3), bare, _target("tb", [100] * 3))["pass"]
        is False
    )  # 0.2 x bare
    late = _target("app", [1200] * 3, p99_ms=150)
    assert hb.write_entry("w", late, bare, _target("tb", [400] * 3))["pass"] is False
    fast.row_keys = lambda: []  # acknowledged, never written
    lost = hb.write_entry("w", fast, bare, _target("tb", [400] * 3))
    assert lost["lost"] == 3600 and lost["pass"] is False


def test_a_skipped_entry_is_neither_a_pass_nor_a_failure():
    e = hb.skipped_entry("x_postgres", "skipped: PostgreSQL unreachable (refused)")
    assert e["pass"] is None and e["skipped"].startswith("skipped: PostgreSQL unreachable")
    for key in ("name", "value", "unit", "target", "baseline", "ratio", "lost", "duplicated"):
        assert key in e


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
