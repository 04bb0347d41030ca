"""Shared fixtures.

The database is created once per run through the migrations (never create_all), on SQLite by
default or on ``TEST_DATABASE_URL`` (PostgreSQL). Each test that uses ``db`` starts from empty
tables, in one of two ways:

- most tests run inside one outer transaction on one connection that is rolled back at the
  end (SQLAlchemy's "joining a session into an external transaction"): the session joins it
  with ``join_transaction_mode="create_savepoint"``, so the code's own ``commit()`` and
  ``rollback()`` release and roll back a SAVEPOINT, and ``db.engine.connect()`` / ``begin()``
  work in a SAVEPOINT of the same connection, seeing what the test wrote;
- tests whose rows another connection, process or app must see (live server, browser,
  concurrency, migrations, dumps, a second app, sessions in threads; see
  ``_needs_real_commits``, or mark a test ``@pytest.mark.commits``) commit for real and the
  rows are deleted after the test.

The demo data set (``participate seed``) is seeded once per run into a database of its own:
tests that need it take ``demo`` (rolled back) or ``demo_copy`` (a fresh copy that commits), see
tests/factories/demo.py.

Passwords are hashed with cheaper scrypt parameters in the test process (``_fast_scrypt``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from participate.server import granian_command

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from participate.config import normalise_database_url

        return normalise_database_url(url)
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "commits: the test's rows must really commit (deleted afterwards, not rolled back)",
    )


# scrypt as werkzeug sets it by default (N=2**15) costs ~0.2 s a hash and a check on this
# machine, and tests make and sign in thousands of accounts. In the test process the same
# method runs with N=2**7 (0.3 ms; the smallest OpenSSL's memory floor lets werkzeug ask for);
# a hash records its parameters, so checks (in a live server too) follow it. The live server
# itself hashes as in production.
TEST_PASSWORD_METHOD = "scrypt:128:8:1"


@pytest.fixture(scope="session", autouse=True)
def _fast_scrypt():
    from participate.accounts import models, services

    patched = [m for m in (models, services) if hasattr(m, "PASSWORD_METHOD")]
    saved = {m: m.PASSWORD_METHOD for m in patched}
    for module in patched:
        module.PASSWORD_METHOD = TEST_PASSWORD_METHOD
    models._stand_in_hash.cache_clear()
    yield
    for module, method in saved.items():
        module.PASSWORD_METHOD = method
    models._stand_in_hash.cache_clear()


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("participate")


@pytest.fixture(scope="session")
def database_url(tmp_root) -> str:
    url = _database_url(tmp_root)
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    return url


def test_config(database_url: str, tmp_root: Path, **overrides) -> dict:
    """TestConfig as a dict with this run's database, outbox and instance folder."""
    from participate.config import TestConfig

    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_OUTBOX=str(tmp_root / "outbox"),
        INSTANCE_PATH=str(tmp_root),
        SERVER_NAME="localhost",
        **overrides,
    )
    return config


@pytest.fixture(scope="session")
def app(database_url, tmp_root):
    from flask_migrate import upgrade

    from participate import create_app

    app = create_app(test_config(database_url, tmp_root))
    with app.app_context():
        # Flask-SQLAlchemy binds its engine in init_app: the URL must be in the config given to create_app.
        engine_url = app.extensions["sqlalchemy"].engine.url.render_as_string(hide_password=False)
        assert engine_url == database_url, (engine_url, database_url)
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
    return app


def _clean(db):
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


# What must commit for real (the rows deleted after the test) instead of being rolled back:
# tests whose rows another connection, process or app must see.
REAL_COMMIT_MARKERS = ("browser", "concurrency", "commits")
REAL_COMMIT_FIXTURES = frozenset({"live_server", "redis_app", "browser", "context", "page"})
REAL_COMMIT_MODULES = frozenset(
    {
        "tests/test_migrations.py",  # DDL, alembic's own connections
        "tests/test_cli.py",  # the CLI runs in an app and transactions of its own
        "tests/web/test_ballot_secrecy.py",  # sqlite3 / pg_dump read the database file
        "tests/web/test_votes_integrity.py",  # fresh databases, DDL, raw connections
    }
)
# Single tests whose threads each open a session and a connection of their own.
REAL_COMMIT_TESTS = frozenset(
    {
        "tests/test_digests.py::test_two_runs_at_once_send_each_digest_and_reminder_once",
        "tests/jobs/test_jobs.py::test_the_demo_scheduler_applies_a_due_phase_end_without_a_page_read",
    }
)


def _needs_real_commits(request) -> bool:
    node = request.node
    if any(node.get_closest_marker(name) for name in REAL_COMMIT_MARKERS):
        return True
    if REAL_COMMIT_FIXTURES.intersection(request.fixturenames):
        return True
    path = Path(str(node.path)).resolve().relative_to(ROOT).as_posix()
    if f"{path}::{getattr(node, 'originalname', node.name)}" in REAL_COMMIT_TESTS:
        return True
    return path in REAL_COMMIT_MODULES or path.startswith(("tests/browser/", "tests/concurrency/"))


class _Branch:
    """What ``db.engine.connect()`` gives during a rolled-back test: the test's connection,
    with this branch's work in a SAVEPOINT of its own (``commit()`` releases it; ``rollback()``,
    or closing without a commit, undoes it), as a short transaction of its own would."""

    def __init__(self, connection):
        self._connection = connection
        self._savepoint = None

    def _autobegin(self):
        if self._savepoint is None or not self._savepoint.is_active:
            self._savepoint = self._connection.begin_nested()

    def execute(self, *args, **kwargs):
        self._autobegin()
        return self._connection.execute(*args, **kwargs)

    def exec_driver_sql(self, *args, **kwargs):
        self._autobegin()
        return self._connection.exec_driver_sql(*args, **kwargs)

    def scalar(self, *args, **kwargs):
        self._autobegin()
        return self._connection.scalar(*args, **kwargs)

    def scalars(self, *args, **kwargs):
        self._autobegin()
        return self._connection.scalars(*args, **kwargs)

    def begin(self):
        self._autobegin()
        return _BranchTransaction(self)

    def in_transaction(self) -> bool:
        return self._savepoint is not None and self._savepoint.is_active

    def commit(self):
        if self.in_transaction():
            self._savepoint.commit()
        self._savepoint = None

    def rollback(self):
        if self.in_transaction():
            self._savepoint.rollback()
        self._savepoint = None

    def close(self):
        self.rollback()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getattr__(self, name):
        return getattr(self._connection, name)


class _BranchTransaction:
    def __init__(self, branch: _Branch):
        self._branch = branch

    @property
    def is_active(self) -> bool:
        return self._branch.in_transaction()

    def commit(self):
        self._branch.commit()

    def rollback(self):
        self._branch.rollback()

    def close(self):
        self._branch.rollback()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self._branch.commit()
        else:
            self._branch.rollback()


def _joined_session_class(base):
    class JoinedSession(base):
        """Flask-SQLAlchemy's session, bound to the test's connection whatever the table."""

        def __init__(self, *args, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                raise RuntimeError(
                    "a session opened in another thread during a rolled-back test: sessions "
                    "in threads need their own connections; mark the test @pytest.mark.commits"
                )
            super().__init__(*args, **kwargs)

        def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
            return bind if bind is not None else self.bind

    return JoinedSession


@contextlib.contextmanager
def _rolled_back(_db):
    """Everything the test and the app do goes to one connection in one outer transaction,
    rolled back at the end."""
    engine = _db.engine
    connection = engine.connect()
    driver = connection.connection.driver_connection
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # pysqlite begins transactions late and on its own, so a SAVEPOINT could start (and
        # its RELEASE end) the real transaction: the driver stays out of it; BEGIN is ours.
        driver.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    factory = _db.session.session_factory
    saved_class, saved_kw = factory.class_, dict(factory.kw)
    _db.session.remove()
    factory.class_ = _joined_session_class(saved_class)
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    engine.connect = lambda: _Branch(connection)  # db.engine.connect() and db.engine.begin()
    try:
        yield
    finally:
        try:
            _db.session.remove()
        finally:
            del engine.connect
            factory.class_, factory.kw = saved_class, saved_kw
            if outer.is_active:
                outer.rollback()
            else:
                connection.rollback()
            if sqlite:
                driver.isolation_level = ""
            connection.close()


@pytest.fixture
def db(app, request):
    from participate.extensions import db as _db

    ctx = app.app_context()
    ctx.push()
    try:
        if _needs_real_commits(request):
            try:
                yield _db
            finally:
                _db.session.remove()
                _clean(_db)
        else:
            with _rolled_back(_db):
                yield _db
    finally:
        ctx.pop()


@pytest.fixture
def client(app, db):
    return app.test_client()


# ------------------------------------------------------------------ the demo world (participate seed)


@pytest.fixture(scope="session")
def demo_world(database_url, tmp_root):
    """The demo data set, seeded once per run into a database of its own (tests/factories/demo.py)."""
    from tests.factories.demo import dispose, drop_database, seed_demo_world

    world = seed_demo_world(database_url, tmp_root)
    yield world
    dispose(world.app)
    drop_database(world.url)


@pytest.fixture
def demo(demo_world):
    """The demo world's app, client and ``db`` (its context pushed), rolled back after the test."""
    from participate.extensions import db as _db
    from tests.factories.demo import Demo

    app = demo_world.app
    ctx = app.app_context()
    ctx.push()
    try:
        with _rolled_back(_db):
            yield Demo(app, _db, app.test_client(), dict(demo_world.summary), demo_world.url)
    finally:
        ctx.pop()


@pytest.fixture
def demo_copy(demo_world, tmp_path):
    """A fresh copy of the demo world whose rows commit for real (another app or process reads
    them); its app, client and ``db`` (context pushed). The copy is removed after the test."""
    with demo_world.copy(tmp_path) as world:
        yield world


@pytest.fixture
def outbox(app):
    path = Path(app.config["MAIL_OUTBOX"])
    for old in path.glob("*.eml"):
        old.unlink()
    return path


# ------------------------------------------------------------------ factories


class Factory:
    """Builds committed rows for tests: people, the small Manchester structure, memberships."""

    def __init__(self, db):
        self.db = db
        self._n = 0

    def user(
        self,
        email: str | None = None,
        name: str | None = None,
        *,
        confirmed: bool = True,
        admin: bool = False,
        password: str = PASSWORD,
    ):
        from participate.accounts.models import User
        from participate.util import utcnow

        self._n += 1
        user = User(
            email=email or f"person{self._n}@example.org",
            name=name or f"Person {self._n}",
            is_admin=admin,
            email_confirmed_at=utcnow() if confirmed else None,
        )
        user.set_password(password)
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def structure(self):
        """England > North West > Manchester, Salford; health councils at each level; forums; links."""
        from participate.councils.services import council_by_slug
        from participate.councils.structure import import_structure

        import_structure(
            {
                "services": [
                    {"slug": "health", "name": "Health and care"},
                    {"slug": "schools", "name": "Schools"},
                ],
                "places": [
                    {
                        "slug": "england",
                        "name": "England",
                        "level": "nation",
                        "population": 56_000_000,
                    },
                    {
                        "slug": "north-west",
                        "name": "North West",
                        "level": "region",
                        "parent": "england",
                        "population": 7_400_000,
                    },
                    {
                        "slug": "manchester",
                        "name": "Manchester",
                        "level": "local",
                        "parent": "north-west",
                        "population": 568_996,
                    },
                    {
                        "slug": "salford",
                        "name": "Salford",
                        "level": "local",
                        "parent": "north-west",
                        "population": 270_800,
                    },
                ],
                "councils": [
                    {"slug": "health-england", "service": "health", "place": "england"},
                    {"slug": "health-north-west", "service": "health", "place": "north-west"},
                    {"slug": "health-manchester", "service": "health", "place": "manchester"},
                    {"slug": "health-salford", "service": "health", "place": "salford"},
                    {"slug": "schools-manchester", "service": "schools", "place": "manchester"},
                    {"slug": "forum-manchester", "place": "manchester"},
                ],
                "links": [
                    {"from": "health-north-west", "to": "health-england", "kind": "reports_to"},
                    {"from": "health-manchester", "to": "health-north-west", "kind": "reports_to"},
                    {"from": "health-salford", "to": "health-north-west", "kind": "reports_to"},
                    {"from": "health-manchester", "to": "forum-manchester", "kind": "ringmaster"},
                    {"from": "schools-manchester", "to": "forum-manchester", "kind": "ringmaster"},
                ],
            }
        )
        return {
            slug: council_by_slug(slug)
            for slug in (
                "health-england",
                "health-north-west",
                "health-manchester",
                "health-salford",
                "schools-manchester",
                "forum-manchester",
            )
        }

    def member(
        self,
        user,
        council,
        constituency: str = "citizen",
        *,
        role: str = "member",
        status: str = "active",
    ):
        from participate.councils.models import Membership

        membership = Membership(
            user_id=user.id,
            council_id=council.id,
            constituency=constituency,
            role=role,
            status=status,
        )
        self.db.session.add(membership)
        self.db.session.commit()
        return membership

    def clerk(self, council, email: str | None = None):
        user = self.user(email)
        self.member(user, council, "employee", role="clerk")
        return user

    def members(self, council, counts: dict[str, int]):
        """Many active members at once, e.g. {"citizen": 5, "employee": 3}; returns the users."""
        users = []
        for constituency, n in counts.items():
            for _ in range(n):
                user = self.user()
                self.member(user, council, constituency)
                users.append(user)
        return users


@pytest.fixture
def make(db):
    return Factory(db)


def login(client, user_or_email, password: str = PASSWORD):
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client):
    def _login(user, password: str = PASSWORD):
        client.post("/logout")
        return login(client, user, password)

    return _login


def api_token(user) -> dict:
    from participate.accounts.services import create_token

    return {"Authorization": f"Bearer {create_token(user)}"}


def htmx_headers() -> dict:
    return {"HX-Request": "true"}


# ------------------------------------------------------------------ live server (browser, concurrency)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_secret_key() -> str:
    from participate.config import TestConfig

    return TestConfig.SECRET_KEY


class LiveServer:
    """granian (WSGI) serving participate on a free port, as ``participate serve`` runs it:
    ``workers`` processes forked by one main process, ``threads`` WSGI threads in each.
    A worker that dies is replaced (``--respawn-failed-workers``), so a test may kill one."""

    def __init__(
        self,
        database_url: str,
        outbox: Path,
        workers: int = 2,
        threads: int = 2,
        extra_env: dict | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PARTICIPATE_MAIL_OUTBOX": str(outbox),
            "PARTICIPATE_RATELIMIT": "0",
            "SECRET_KEY": "live-test",
            # Ballots a test casts in its own process are sealed under the tests' key: the
            # server opens them through Flask's key rotation, as after a key change.
            "SECRET_KEY_FALLBACKS": _test_secret_key(),
            "PARTICIPATE_INSTANCE": str(outbox.parent),
            "PARTICIPATE_BASE_URL": f"http://127.0.0.1:{self.port}",
            # An open round page learns of a new phase within 2 s (10 s in production), so a
            # journey waiting for it waits less.
            "PARTICIPATE_ROUND_POLL_SECONDS": "2",
            **(extra_env or {}),
        }
        # A worker still busy 5 s after the stop signal is killed: stop() stays bounded.
        self.command = granian_command(
            port=self.port, workers=workers, threads=threads, kill_timeout=5, log_level="warning"
        )
        self.env = env
        self._start()

    def _start(self):
        self.proc = subprocess.Popen(self.command, env=self.env, cwd=str(ROOT))
        # Its workers import the app: seconds here, but near 30 s on a loaded machine.
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the live server exited at start") from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the live server did not start in 90 s")

    def workers(self) -> list[int]:
        """PIDs of the worker processes: the children of granian's main process (from /proc)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def stop(self, *, crash: bool = False):
        """SIGTERM to the main process, which stops its workers and exits. If it has not
        within 15 s, SIGKILL it and the workers it leaves behind (by their PIDs). With
        ``crash``, SIGKILL them all at once (a power cut, the OOM killer)."""
        if self.proc.poll() is not None:
            return
        workers = self.workers() if Path("/proc").exists() else []
        if crash:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            crash = True
        for pid in workers if crash else []:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in workers:  # gone (or a zombie): the port is free for the next server
            _wait_gone(pid)

    def restart(self, *, crash: bool = False):
        """Stop the whole server (gracefully, or ``crash``) and start it again on the same port."""
        self.stop(crash=crash)
        self._start()


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.02)


@pytest.fixture(scope="session")
def live_server(app, database_url, tmp_root):
    server = LiveServer(database_url, tmp_root / "outbox")
    yield server
    server.stop()


def last_mail(outbox: Path) -> tuple[str, str, str]:
    """(to, subject, body) of the newest message the log mail backend wrote."""
    from email import message_from_bytes
    from email.policy import default

    messages = sorted(Path(outbox).glob("*.eml"))
    assert messages, "no mail was written to the outbox"
    message = message_from_bytes(messages[-1].read_bytes(), policy=default)
    return message["To"], message["Subject"], message.get_content()
