"""Two app servers behind nginx, as on two machines, on one PostgreSQL and one Redis.

nginx runs deploy/nginx/ as shipped (deploy/local_nginx.py changes only what one machine
needs: loopback ports, no TLS, its files in a temporary folder) in front of two granian
servers (``LiveServer``, separate processes on distinct ports). The servers trust one
proxy (PARTICIPATE_TRUSTED_PROXIES=1) and count rate limits in Redis db 6.

- A session and its CSRF token made on one server work on the other; signing out on one
  ends the session on both. nginx serves static/ itself.
- A rate limit reached through one server holds on the other; nginx's own per-address
  limit on sign-in answers 429 with its own page past its burst; the app sees each
  client's own address through nginx, never an address the client forged.
- A mixed surge through nginx (several signed-in people, each from their own loopback
  address: petition signatures, ballots, comments, page reads) while one app server is
  killed by its PID: every answered write is in the database once, a write cut off by the
  kill is there at most once, reads never fail, the ballots hold each voter's last choice,
  the petition counters match and ``petitions reconcile`` changes nothing.

PostgreSQL only (TEST_DATABASE_URL): the test makes a database of its own on that server
(``test_multiserver_<pid>``) and drops it afterwards. The last test (both database runs)
checks the production site file itself, TLS server included, with ``nginx -t``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import random
import re
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from requests.adapters import HTTPAdapter

from tests.concurrency.test_ballots_concurrent import _assert_no_half_cast, _ref
from tests.concurrency.test_signatures_concurrent import _web_session
from tests.conftest import PASSWORD, ROOT, Factory, LiveServer, free_port
from tests.conftest import test_config as app_config  # (not named test_*: not collected)
from tests.factories import petitions as shared
from tests.factories.votes import later

pytestmark = pytest.mark.concurrency

REDIS_URL = "redis://127.0.0.1:6379/6"  # this test's Redis database: flushed before and after
LIVE_SECRET = "live-test"  # LiveServer's SECRET_KEY: the test opens the ballots it sealed
SIGNIN_LIMIT = 5  # per address per hour, on the app servers
USERS = 12
LOST = "lost"  # no answer: the connection broke, the outcome is unknown
CUT_OFF = {LOST, 502, 504}  # nginx's 502/504: the app server died with the request in hand
APP_429 = "Too many requests in a short time"  # the app's refusal page
NGINX_429 = "came from your connection"  # nginx's refusal page (limit_req)


def _local_nginx():
    spec = importlib.util.spec_from_file_location("local_nginx", ROOT / "deploy/local_nginx.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


local_nginx = _local_nginx()


# ---------------------------------------------------------------- the stack


def _postgres_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip(
            "PostgreSQL only: app servers on two machines share a database server, not an "
            "SQLite file (run with TEST_DATABASE_URL=postgresql://...)"
        )
    if local_nginx.nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return url


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def _flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # db 6 only
    client.close()


@pytest.fixture(scope="module")
def private_database():
    """A database of this test's own on TEST_DATABASE_URL's server, dropped afterwards."""
    import psycopg

    server = urlsplit(_postgres_server_url())
    name = f"test_multiserver_{os.getpid()}"
    admin = _libpq(server._replace(path="/postgres").geturl())
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        from participate.config import normalise_database_url

        yield normalise_database_url(server._replace(path=f"/{name}").geturl())
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(db) -> SimpleNamespace:
    """A council with two open petitions, an open motion, a proposal, and its members."""
    from participate.proposals import services as proposals
    from participate.votes import services as votes

    make = Factory(db)
    councils = make.structure()
    council = councils["health-manchester"]
    shared.small_rules(council, petition_minimum=10)  # crossed mid-surge
    world = SimpleNamespace(
        make=make,
        councils=councils,
        council=council,
        clerk=make.clerk(council, "clerk@example.org"),
        author=make.user("author@example.org", "Ada Author"),
    )
    make.member(world.author, council, "citizen")
    constituencies = itertools.cycle(["citizen", "employee", "leader", "elected", "partner"])
    users = [make.user(f"surge{i}@example.org", f"Surge {i}") for i in range(USERS)]
    cross = make.user("cross@example.org", "Cross Servers")
    for user in [*users, cross]:
        make.member(user, council, next(constituencies))
    petitions = [
        shared.opened(world).id,
        shared.opened(world, title="Publish the out-of-hours waiting times").id,
    ]
    motion = votes.open_motion(
        world.clerk, council, title="Open the evening hubs", method="binary", closes_at=later()
    )
    proposal = proposals.create_proposal(
        world.author,
        council,
        title="Evening GP appointments",
        body="Practices should share evening hubs so every area has a GP until 8pm.",
        themes="GP access",
    )
    return SimpleNamespace(
        petitions=petitions,
        motion=motion.id,
        proposal=proposal.id,
        users=[(u.id, u.email) for u in users],
        cross=(cross.id, cross.email),
    )


def _public_copy(public: Path, instance: Path) -> Path:
    """nginx's copy of the static files, made as the README says: the set an app server
    built in its instance folder (every file under its name and a fingerprinted one), or
    static/ itself if the app builds none; site.css surely also under its fingerprinted
    name; js/site.js left out (a file nginx lacks is fetched from the app servers)."""
    built = sorted((instance / "static").glob("*/manifest.json"))
    shutil.copytree(built[0].parent if built else ROOT / "static", public / "static")
    for script in (public / "static" / "js").glob("site.*"):
        script.unlink()
    css = public / "static" / "css" / "site.css"
    shutil.copyfile(css, css.with_name(f"site.{_fingerprint(css)}.css"))
    return public


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@pytest.fixture(scope="module")
def stack(private_database, tmp_path_factory):
    """The migrated, seeded database; app servers A and B; nginx in front of both."""
    from flask_migrate import upgrade

    from participate import create_app
    from participate.extensions import db

    tmp = tmp_path_factory.mktemp("multiserver")
    app = create_app(app_config(private_database, tmp, SECRET_KEY_FALLBACKS=[LIVE_SECRET]))
    ctx = app.app_context()
    ctx.push()
    servers: list = []
    nginx = None
    _flush_redis()
    try:
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        world = _seed(db)
        env = {
            "PARTICIPATE_RATELIMIT": "1",
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "PARTICIPATE_TRUSTED_PROXIES": "1",
            "PARTICIPATE_SIGNIN_LIMIT": f"{SIGNIN_LIMIT} per hour",
        }
        for name in ("a", "b"):  # two machines: separate processes, ports and folders
            (tmp / name).mkdir()
            servers.append(
                LiveServer(
                    private_database, tmp / name / "outbox", workers=1, threads=4, extra_env=env
                )
            )
        a, b = servers
        nginx = local_nginx.Nginx(
            tmp / "nginx",
            free_port(),
            [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"],
            static_parent=_public_copy(tmp / "public", tmp / "a"),
        ).start()
        yield SimpleNamespace(app=app, db=db, world=world, a=a, b=b, nginx=nginx)
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            server.stop()
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
        _flush_redis()


# ---------------------------------------------------------------- clients


class _FromAddress(HTTPAdapter):
    """Connections from a loopback address of the client's own (127.0.0.0/8 is all local),
    so nginx sees each simulated person at a different address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def _client(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the form"
    return match.group(1)


def _page_token(html: str) -> str:
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _htmx(token: str, **extra) -> dict:
    return {"HX-Request": "true", "X-CSRFToken": token, **extra}


def _rows(db, sql: str, **params) -> list:
    db.session.expire_all()
    return list(db.session.execute(sa.text(sql), params).scalars())


# ---------------------------------------------------------------- sessions and CSRF


def test_a_session_and_its_csrf_token_work_on_either_app_server(stack):
    a, b, world, db = stack.a, stack.b, stack.world, stack.db
    user_id, email = world.cross
    petition, proposal = world.petitions[1], world.proposal

    # Signed in on A, the page (and its token) from A: the signature goes to B.
    session, token_a = _web_session(a.url, email, petition)
    signed = session.post(
        f"{b.url}/petitions/{petition}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=_htmx(token_a),
        timeout=30,
    )
    assert signed.status_code == 200, signed.text[:500]

    # The page from B, the comment to A; a forged token is refused by either.
    token_b = _page_token(session.get(f"{b.url}/proposals/{proposal}", timeout=30).text)
    commented = session.post(
        f"{a.url}/proposals/{proposal}/comments",
        data={"body": "Posted across servers [cross-ok]", "stance": "for"},
        headers=_htmx(token_b),
        timeout=30,
    )
    assert commented.status_code == 200, commented.text[:500]
    forged = session.post(
        f"{b.url}/proposals/{proposal}/comments",
        data={"body": "Forged token [cross-forged]", "stance": "for"},
        headers=_htmx("forged-token"),
        timeout=30,
    )
    assert forged.status_code == 400

    assert _rows(db, "SELECT user_id FROM signatures WHERE petition_id = :p", p=petition) == [
        user_id
    ]
    bodies = _rows(db, "SELECT body FROM proposal_comments WHERE proposal_id = :p", p=proposal)
    assert [body for body in bodies if "[cross-" in body] == ["Posted across servers [cross-ok]"]

    # Signing out on B ends the session on A too, for a copy of the cookie as well.
    copied = requests.Session()
    copied.cookies.update(session.cookies)
    assert session.get(f"{a.url}/me", allow_redirects=False, timeout=30).status_code == 200
    out = session.post(f"{b.url}/logout", data={"csrf_token": token_a}, allow_redirects=False)
    assert out.status_code == 302
    for client in (session, copied):
        me = client.get(f"{a.url}/me", allow_redirects=False, timeout=30)
        assert me.status_code == 302 and "/login" in me.headers["Location"]


def test_nginx_serves_static_itself_and_the_app_servers_what_it_lacks(stack):
    nginx = stack.nginx
    css = ROOT / "static" / "css" / "site.css"
    plain = requests.get(f"{nginx.url}/static/css/site.css", timeout=30)
    assert plain.status_code == 200 and plain.content == css.read_bytes()
    # A plain name may change with a release: a minute, then revalidated.
    assert plain.headers["Cache-Control"] == "max-age=60" and plain.headers["ETag"]
    assert "Content-Security-Policy" not in plain.headers  # nginx's answer, not the app's
    again = requests.get(
        f"{nginx.url}/static/css/site.css",
        headers={"If-None-Match": plain.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304
    # A fingerprinted name never changes content: a year, immutable.
    hashed = requests.get(f"{nginx.url}/static/css/site.{_fingerprint(css)}.css", timeout=30)
    assert hashed.status_code == 200 and hashed.content == css.read_bytes()
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The stylesheet a page names (fingerprinted when the app fingerprints) is nginx's too.
    page = requests.get(f"{nginx.url}/login", timeout=30).text
    [href] = re.findall(r'href="(/static/css/site[^"]*\.css)"', page)
    linked = requests.get(f"{nginx.url}{href}", timeout=30)
    assert linked.status_code == 200 and linked.content == css.read_bytes()
    # A file nginx's copy lacks comes from an app server; one nobody has is a 404.
    script = requests.get(f"{nginx.url}/static/js/site.js", timeout=30)
    assert script.status_code == 200
    assert script.content == (ROOT / "static" / "js" / "site.js").read_bytes()
    assert requests.get(f"{nginx.url}/static/nothing.css", timeout=30).status_code == 404
    log = nginx.access_log.read_text().splitlines()
    assert [line for line in log if '"/static/js/site.js" "200" "127.0.0.1:' in line]
    assert not [line for line in log if '"/static/css/' in line]  # served by nginx itself


# ---------------------------------------------------------------- rate limits


def _bad_sign_in(session: requests.Session, url: str, token: str, **headers) -> requests.Response:
    return session.post(
        f"{url}/login",
        data={"email": "nobody@example.org", "password": "not the password", "csrf_token": token},
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )


def test_rate_limits_are_shared_by_the_app_servers_and_nginx_limits_each_address(stack):
    a, b, nginx = stack.a, stack.b, stack.nginx

    # Straight to the app servers, as nginx would send it (one trusted proxy): the
    # sign-in limit reached on A holds on B, and on A again.
    session = requests.Session()
    token = _form_token(session.get(f"{a.url}/login", timeout=30).text)
    forwarded = {"X-Forwarded-For": "198.51.100.7"}
    statuses = [
        _bad_sign_in(session, a.url, token, **forwarded).status_code for _ in range(SIGNIN_LIMIT)
    ]
    assert statuses == [400] * SIGNIN_LIMIT  # wrong password, counted
    for server in (b, a):
        refused = _bad_sign_in(session, server.url, token, **forwarded)
        assert refused.status_code == 429 and APP_429 in refused.text, refused.text[:300]
        assert int(refused.headers["Retry-After"]) > 0
    # Another address still has its own budget.
    assert (
        _bad_sign_in(session, b.url, token, **{"X-Forwarded-For": "198.51.100.8"}).status_code
        == 400
    )

    # Through nginx from one address: the app's limit (counted on both servers) first,
    # then nginx's own per-address limit (participate_signin: burst 20) past its burst.
    client = _client("127.0.0.250")
    token = _form_token(client.get(f"{nginx.url}/login", timeout=30).text)
    answers = [_bad_sign_in(client, nginx.url, token) for _ in range(60)]
    statuses = [r.status_code for r in answers]
    assert statuses[:SIGNIN_LIMIT] == [400] * SIGNIN_LIMIT, statuses
    app_refusals = [r for r in answers if r.status_code == 429 and APP_429 in r.text]
    nginx_refusals = [r for r in answers if r.status_code == 429 and NGINX_429 in r.text]
    assert app_refusals and nginx_refusals, statuses
    assert len(app_refusals) + len(nginx_refusals) == len(answers) - SIGNIN_LIMIT
    assert all(r.headers.get("Retry-After") for r in nginx_refusals)
    # The app's refusals came from both servers: one count, shared in Redis.
    log = nginx.access_log.read_text().splitlines()
    refused_by = {
        line.rsplit('"', 2)[-2]
        for line in log
        if line.startswith('"127.0.0.250" "POST" "/login" "429"') and not line.endswith('"-"')
    }
    assert refused_by == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}, refused_by


# ---------------------------------------------------------------- the surge


def _plan(world, rng: random.Random) -> list[tuple]:
    steps: list[tuple] = [("sign", p) for p in world.petitions]
    steps += [("vote", rng.choice(("yes", "no", "abstain"))) for _ in range(4)]
    steps += [("comment", k) for k in range(3)]
    steps += [
        ("read", path)
        for path in (
            f"/petitions/{world.petitions[0]}",
            f"/motions/{world.motion}",
            f"/proposals/{world.proposal}",
            "/councils/health-manchester",
            "/me",
            f"/petitions/{world.petitions[1]}",
        )
    ]
    rng.shuffle(steps)
    return steps


def test_a_mixed_surge_with_an_app_server_killed_loses_and_duplicates_nothing(stack):
    from participate.petitions import signature_counter
    from participate.votes.models import Motion
    from participate.votes.results import opened_ballots

    a, b, nginx, world, db, app = stack.a, stack.b, stack.nginx, stack.world, stack.db, stack.app
    rng = random.Random(16)
    # What the other tests left (the cross-server signer and comment), counted apart.
    signed_before = {
        p: set(_rows(db, "SELECT user_id FROM signatures WHERE petition_id = :p", p=p))
        for p in world.petitions
    }
    comments_before = len(
        _rows(db, "SELECT id FROM proposal_comments WHERE proposal_id = :p", p=world.proposal)
    )
    plans = {uid: _plan(world, rng) for uid, _email in world.users}
    addresses = {uid: f"127.0.0.{10 + i}" for i, (uid, _e) in enumerate(world.users)}
    total = sum(len(steps) for steps in plans.values())
    # (uid, step number, kind, detail) -> every outcome of that step (retries included)
    histories: dict[tuple, list] = {}
    markers: dict[str, list] = {}
    after_kill: list[tuple] = []
    lock = threading.Lock()
    answered = threading.Semaphore(0)
    killed = threading.Event()

    def request(client, method, path, **kw):
        try:
            response = client.request(method, f"{nginx.url}{path}", timeout=60, **kw)
        except requests.RequestException:
            return LOST, None
        return response.status_code, response

    def person(uid: int, email: str) -> None:
        # Each person connects from their own address and forges X-Forwarded-For: the
        # app must see the address nginx saw, never the forged one.
        client = _client(addresses[uid])
        client.headers["X-Forwarded-For"] = f"203.0.113.{uid % 250}"
        for _attempt in range(5):  # signed in again if the answer was cut off by the kill
            token = _form_token(client.get(f"{nginx.url}/login", timeout=60).text)
            status, signed_in = request(
                client,
                "POST",
                "/login",
                data={"email": email, "password": PASSWORD, "csrf_token": token},
                allow_redirects=False,
            )
            if status not in CUT_OFF:
                break
        assert status == 302, (status, signed_in.text[:300] if signed_in else None)
        token = _page_token(client.get(f"{nginx.url}/me", timeout=60).text)
        for n, (kind, detail) in enumerate(plans[uid]):
            key = (uid, n, kind, detail)
            history = histories.setdefault(key, [])
            while True:
                if kind == "sign":
                    status, _r = request(
                        client,
                        "POST",
                        f"/petitions/{detail}/sign",
                        data={"declaration": "live", "place": "manchester"},
                        headers=_htmx(token),
                    )
                    done = status in (200, 409)
                elif kind == "vote":
                    status, _r = request(
                        client,
                        "POST",
                        f"/motions/{world.motion}/ballot",
                        data={"choice": detail},
                        headers=_htmx(token),
                    )
                    done = status == 200
                elif kind == "comment":  # not idempotent: sent once, whatever happens
                    marker = f"[surge-{uid}-{detail}]"
                    status, _r = request(
                        client,
                        "POST",
                        f"/proposals/{world.proposal}/comments",
                        data={
                            "body": f"Comment {detail} from person {uid} {marker}",
                            "stance": "neutral",
                        },
                        headers=_htmx(token),
                    )
                    with lock:
                        markers[marker] = [status]
                    done = True
                else:
                    status, _r = request(client, "GET", detail, allow_redirects=False)
                    done = status == 200
                history.append(status)
                # A cut-off request (or the database busy for a moment) is sent again.
                if done or status not in (*CUT_OFF, 503):
                    break
                time.sleep(0.05)
            with lock:
                if killed.is_set():
                    after_kill.append((key, history[-1]))
            answered.release()

    def kill_b_a_quarter_in():
        for _ in range(total // 4):
            answered.acquire()
        stack.b.stop(crash=True)  # SIGKILL, by PID: its main process and its worker
        killed.set()

    killer = threading.Thread(target=kill_b_a_quarter_in, daemon=True)
    killer.start()
    with ThreadPoolExecutor(len(world.users)) as pool:
        for future in [pool.submit(person, uid, email) for uid, email in world.users]:
            future.result()
    killer.join(60)
    assert killed.is_set() and b.proc.poll() is not None, "server B was not killed mid-surge"

    # Every step ended with its answer; nothing but a cut-off answered 5xx.
    outcomes = [o for h in histories.values() for o in h]
    print(  # for the record (pytest -s): how the kill met the surge
        f"surge: {total} steps, {len(outcomes)} requests, "
        f"{sum(o in CUT_OFF for o in outcomes)} cut off, {len(after_kill)} steps after the kill"
    )
    assert set(outcomes) <= {200, 409, 503, *CUT_OFF}, sorted(set(map(str, outcomes)))
    for (uid, _n, kind, _d), history in histories.items():
        if kind != "comment":
            assert history[-1] in ((200, 409) if kind == "sign" else (200,)), (uid, history)
        if history[-1] == 409:  # already signed: only after a request that was cut off
            assert set(history[:-1]) & CUT_OFF, (uid, history)
    # Both servers served the surge; after the kill, A alone went on taking writes.
    log = nginx.access_log.read_text()
    assert f"127.0.0.1:{a.port}" in log and f"127.0.0.1:{b.port}" in log
    assert any(status == 200 and key[2] != "read" for key, status in after_kill), after_kill

    # Signatures: each person once on each petition.
    people = {uid for uid, _e in world.users}
    for petition in world.petitions:
        rows = _rows(db, "SELECT user_id FROM signatures WHERE petition_id = :p", p=petition)
        expected = people | signed_before[petition]
        assert len(rows) == len(set(rows)) and set(rows) == expected, petition

    # Ballots: one per voter, holding the last choice each sent (every cast was answered).
    _assert_no_half_cast(db, world.motion, people)
    motion = db.session.get(Motion, world.motion)
    stored = {ballot.ref: ballot.choice for ballot in opened_ballots(motion)}
    for uid, steps in plans.items():
        last = [detail for kind, detail in steps if kind == "vote"][-1]
        assert stored[_ref(world.motion, uid)] == last, uid

    # Comments: an answered one is there once; one cut off by the kill at most once; a
    # refused one not at all.
    bodies = _rows(
        db, "SELECT body FROM proposal_comments WHERE proposal_id = :p", p=world.proposal
    )
    found = {m: sum(1 for body in bodies if body.endswith(m)) for m in markers}
    assert len(markers) == USERS * 3
    for marker, (status,) in markers.items():
        if status == 200:
            assert found[marker] == 1, (marker, status)
        elif status in CUT_OFF:
            assert found[marker] <= 1, (marker, status)
        else:
            assert found[marker] == 0, (marker, status)
    assert len(bodies) == sum(found.values()) + comments_before

    # The app saw each person's own address (nginx's X-Forwarded-For), never a forged one.
    import redis

    keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).keys("*")]
    for address in addresses.values():
        assert any(f"/{address}/" in key for key in keys), address
    assert not [key for key in keys if "203.0.113." in key]

    # Counters caught up as a page view does; then reconcile finds nothing to change.
    def counter_state():
        db.session.expire_all()
        stored = db.session.execute(
            sa.text(
                "SELECT petition_id, count, last_signature_id, epoch FROM petition_counters "
                "ORDER BY petition_id"
            )
        )
        tallies = db.session.execute(
            sa.text(
                "SELECT petition_id, dimension, key, count FROM petition_tallies "
                "ORDER BY petition_id, dimension, key"
            )
        )
        return [tuple(row) for row in stored], [tuple(row) for row in tallies]

    for petition in world.petitions:
        signature_counter.refresh(petition, force=True)
        db.session.commit()
    before = counter_state()
    counts = {petition: count for petition, count, _last, _epoch in before[0]}
    assert counts == {p: len(people | signed_before[p]) for p in world.petitions}, before
    for petition, count in counts.items():  # each dimension counts every signature
        for dimension in ("constituency", "place", "hour"):
            assert sum(n for p, d, _k, n in before[1] if (p, d) == (petition, dimension)) == count
    result = app.test_cli_runner().invoke(args=["petitions", "reconcile"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("checked 2 petitions: no drift"), result.output
    assert counter_state() == before
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


# ---------------------------------------------------------------- the production site


def test_the_production_site_as_shipped_passes_nginx_t(tmp_path):
    """deploy/nginx/participate.conf with its TLS server and the two includes, as installed
    under /etc/nginx, only the certificate paths pointing at a throwaway certificate."""
    import shutil
    import subprocess

    nginx, openssl = local_nginx.nginx_binary(), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("needs nginx and openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"]
        + ["-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    deploy = ROOT / "deploy" / "nginx"
    site = (deploy / "participate.conf").read_text()
    site = site.replace("/etc/ssl/certs/participate.example.gov.uk.pem", str(cert))
    site = site.replace("/etc/ssl/private/participate.example.gov.uk.key", str(key))
    site = site.replace("include snippets/", f"include {deploy}/")
    (tmp_path / "site.conf").write_text(site)
    temp = "".join(
        f"    {n}_temp_path {tmp_path}/{n};\n" for n in ("proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n"
        f"    include /etc/nginx/mime.types;\n    client_body_temp_path {tmp_path}/body;\n{temp}"
        f"    include {deploy}/participate-limits.conf;\n    include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        + ["-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
