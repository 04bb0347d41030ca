"""httpbench: the shared harness for HTTP write workloads (DESIGN.md §8).

Measures writes per second sustained over HTTP (signed-in, CSRF, rate limits on, the
production server, granian, with 2 workers), as ratios against baselines measured in the
same run (no absolute rate is a target: machines differ by 2x and more), plus p99 latency
and exact lost / duplicated accounting, on a 2-core machine where the load generator (and,
on the shared development machine, other people's jobs) share the CPUs with the server.

A write workload (``bench/wl_<name>.py``, run from bench/run.py, which puts bench/ on
sys.path)::

    import httpbench as hb

    def run(quick: bool) -> list[dict]:
        rounds, seconds = (1, 1.5) if quick else (3, 5.0)
        n = hb.users_needed(rounds, seconds)
        with hb.workdir() as tmp, hb.rate_limit_storage(tmp) as storage, \
                hb.app_database("sqlite", tmp) as url:   # or "postgresql"
            ...create two petitions and members with the app's services, in
               create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": hb.SECRET_KEY})...
            user_ids = hb.create_users(url, n)               # ~25,000 users/s
            sessions = hb.mint_sessions(url, user_ids, hb.SECRET_KEY)   # ~10,000/s
            def reqs(path):
                return [hb.form_post(path, {}, key=s.user_id, session=s, htmx=True)
                        for s in sessions]
            env = hb.app_env(url, tmp, RATELIMIT_STORAGE_URI=storage)
            with hb.Server(hb.APP_TARGET, env=env) as server, \
                    hb.Server(hb.TEXTBOOK_TARGET, env=env) as tb_server, \
                    hb.bare_target(tmp, n) as bare:          # database_url=url on PostgreSQL
                hb.check_session(server.url, sessions[0])     # signed in, session unchanged
                app = hb.Target("signing", server, reqs(f"/petitions/{pid}/sign"),
                                ok_statuses=(200,), row_keys=...)
                textbook = hb.Target("textbook", tb_server,
                                     reqs(f"/textbook/petitions/{pid2}/sign"), ...)
                for t in (app, bare, textbook):
                    t.warmup()
                hb.interleave([app, bare, textbook], rounds=rounds, duration_s=seconds)
            return [hb.write_entry("petition_signing_http", app, bare, textbook)]

API
---
``Server(target, env=None, workers=WORKERS, threads=THREADS, port=None, ...)``
    Context manager: starts ``granian --interface wsgi`` (next to ``sys.executable``) on a
    free port in 5400-5499 with ``workers`` processes of ``threads`` blocking threads
    each (the options of ``participate serve``), waits until every worker has imported
    the app (granian loads bench/serve_target.py, which imports the target, hands granian
    that very object and leaves a ``ready-<pid>`` file) and one GET is answered; stops it
    on exit (SIGTERM, then SIGKILL for whatever is left); ``serving(*servers)`` starts
    several at once and stops them all. ``.url``, ``.port``,
    ``.cpu_seconds()`` (the main process and its workers, from /proc), ``.log()``,
    ``.describe()``. Targets: ``APP_TARGET`` (participate.wsgi:app), ``BARE_TARGET``
    (bench/bare_app.py) and ``TEXTBOOK_TARGET`` (bench/textbook_app.py: participate plus
    textbook views of the same writes); bench/ and the repository are on PYTHONPATH, the
    working directory is the repository. Several servers can run at once.
``app_env(database_url, tmp, secret_key=SECRET_KEY, **extra)``
    Environment for participate under granian: DATABASE_URL, SECRET_KEY,
    PARTICIPATE_RATELIMIT=0 (give "1" to keep the limits on), instance and outbox folders
    under ``tmp``, BASE_URL.
``app_database(kind, tmp)`` (context manager -> database URL), ``DATABASES``
    A new migrated database: "sqlite" (``fresh_sqlite_db``) or "postgresql"
    (``fresh_postgres_db``). ``postgres_unreachable()`` says why PostgreSQL cannot be used
    (None when it can); a workload then returns ``skipped_entry(name, reason)``.
``fresh_sqlite_db(path, seed_scale=None) -> database_url``
    Deletes ``path`` (and its -wal/-shm) and copies there an empty database migrated once
    per process (or runs ``participate init`` and ``participate seed --scale N``).
``fresh_postgres_db(server_url=POSTGRES_URL)`` (context manager -> database URL)
    ``CREATE DATABASE bench_<pid>_<n>`` on the server (``BENCH_POSTGRES_URL``, default
    postgresql+psycopg://postgres@127.0.0.1:5432/test), ``participate init`` on it, and
    ``DROP DATABASE ... WITH (FORCE)`` on exit.
``create_users(database_url, n, prefix="bench", password=...) -> list[int]``
    One bulk ``INSERT`` of n confirmed users sharing one precomputed scrypt hash (36,000
    users in 1.6 s; ``User.set_password`` alone would take ~50 ms per user).
``users_needed(rounds, duration_s, max_rate=3000, warmup=200) -> int``
    How many distinct writers a measurement can use up, with 20 % to spare.
``mint_sessions(database_url, user_ids, secret_key, user_agent=USER_AGENT) -> list[Session]``
    Signed-in sessions without the (deliberately slow) password sign-in: the cookie holds
    what ``login_user`` leaves in the session (``_user_id`` = ``User.get_id()`` =
    "id:session key", the key's row inserted in user_sessions as a sign-in does, ``_fresh`` True, ``_id`` = Flask-Login's identifier of
    127.0.0.1 + ``USER_AGENT``, ``csrf_token`` = Flask-WTF's raw token), signed with the
    app's own ``session_interface.get_signing_serializer(app)``; ``Session.csrf_token`` is
    the matching signed form token (Flask-WTF's ``URLSafeTimedSerializer(secret,
    salt="wtf-csrf-token")``). The first one is checked with the app's own code (the
    session loads, ``validate_csrf`` accepts the token). 36,000 sessions in 3.9 s.
``check_session(base_url, session, path="/profile")``
    Raises unless the live server answers 200 and does not rewrite the session cookie.
``form_post(path, fields, key=, session=None, htmx=False)``, ``json_post(...)``, ``PreparedRequest``
    One prepared request = one write identified by ``key`` (e.g. the user id). With a
    session, ``form_post`` adds the ``csrf_token`` field and the cookie (and, with
    ``htmx``, ``HX-Request`` and ``X-CSRFToken``). Every request carries ``USER_AGENT``.
``run_load(base_url, requests, concurrency=CONCURRENCY, duration_s=None, *, ok_statuses=(201,),
server=None, engine="auto") -> Stats``
    Sends each prepared request at most once (all of them when ``duration_s`` is None,
    else until the time is up) over ``concurrency`` keep-alive connections, each sending
    its next request when the previous answer arrives (closed loop); records status and
    latency of every request.
``Stats``
    ``sent``, ``statuses`` {code: n}, ``ok`` (answers in ``ok_statuses``), ``conflict``
    (409), ``client_errors`` (other 4xx), ``server_errors`` (5xx), ``errors``
    (connection lost before an answer: outcome unknown), ``unanswered`` (in flight when
    a timed run stopped), ``throughput`` (ok answers/s over the sustained window: the
    run less its first and last 10 %), ``overall_throughput``, ``min_1s`` (slowest whole
    second of the window), ``p50_ms``/``p95_ms``/``p99_ms`` (answers in the window),
    ``p99_all_ms``, ``max_ms``, ``client_cpu_s`` (load generator), ``server_cpu_s`` (when
    given ``server=``), ``other_cpu_share`` (share of the machine used meanwhile by
    everything else, the database server included: above ~0.2 on SQLite the absolute
    figures are depressed), ``acknowledged()`` (keys answered ok), ``results`` (per
    request), ``summary()`` (a dict).
``Target(name, server, requests, ok_statuses=(201,), row_keys=None)``
    A server and a pool of prepared writes spent over several runs, each write at most
    once: ``.run(duration_s, concurrency, limit=)``, ``.warmup(n)`` (counted in the
    lost check only), ``.throughput`` (median of runs), ``.acknowledged()``,
    ``.statuses()``, ``.check_writes()`` -> (lost, duplicated) from ``row_keys()``,
    ``.summary()``.
``interleave(targets, rounds=3, duration_s=3.0, concurrency=CONCURRENCY)``
    Runs the targets alternately (A B C, C B A, ...) so that they share the machine's
    conditions; a median of paired ratios is far steadier than a ratio of two separate
    runs when other jobs come and go.
``bare_target(tmp, n, database_url=None, workers=WORKERS, threads=THREADS)`` (context manager -> Target)
    bench/bare_app.py (one INSERT per form POST into a UNIQUE-keyed table ``writes``:
    a new SQLite WAL file in ``tmp`` with participate's pragmas, or ``database_url``'s
    PostgreSQL database) served with the same settings, ``n`` distinct keys.
``rate_limit_storage(tmp)`` (context manager -> RATELIMIT_STORAGE_URI)
    A private redis-server (no persistence) on a unix socket in ``tmp`` when installed
    (``redis+unix://...``), else ``memory://``; stopped on exit.
``count_rows(database_url, sql, **params) -> int``, ``fetch_column(database_url, sql, **params)``,
``check_writes(acknowledged_keys, row_keys) -> (lost, duplicated)``
    lost = acknowledged keys without a row (a 302 to /login counted as ok shows up
    here); duplicated = rows beyond one per key.
``entry(name, value, unit, target, baseline, ratio, lost, duplicated, passed, **extra)``
    One bench/run.py result dict. ``write_entry(name, app, bare, textbook=None,
    min_ratio=0.3, goal_ratio=0.5, min_ratio_textbook=2, goal_ratio_textbook=3,
    p99_limit_ms=100)`` builds the §8 entry: value, baseline and textbook = median
    throughputs; ratio and ratio_textbook = medians of the rounds' paired ratios
    (``paired_ratio``); target = min_ratio; pass = both ratios, p99, 0 lost, 0
    duplicated, no 5xx and no lost connection; the goals are reported only, and so are
    ``server_cpu_us_per_write`` and the same ratios by CPU per write (``cpu_ratio``,
    ``cpu_ratio_textbook``), steadier on a busy machine.

Choices, measured on the 2-core development machine (other people's jobs used 30-50 %
of it meanwhile, so CPU time per request is the steadier figure)
---------------------------------------------------------------------------------------
* Load generator: ``wrk`` (apt package ``wrk``; ``make bench`` installs it) with the Lua
  script ``WRK_SCRIPT``: each wrk thread owns ONE keep-alive connection and walks its
  own file of prepared raw requests once, timing each with CLOCK_MONOTONIC (LuaJIT
  ffi); the status and timings of every request are written at the end. One connection
  per thread keeps request() and response() strictly alternating, which is what makes
  the per-request accounting (so the lost check) exact. Cost: 25-45 µs of CPU per
  request (about a seventh of the bare app's 250-300 µs of server CPU under granian).
  The fallback, ``engine="python"`` (a selectors loop over raw keep-alive sockets in
  forked processes, used when wrk is missing), measured 50-95 µs per request plus CPU
  that its rusage does not show (fork, exit).
* Server: granian, as ``participate serve`` runs it (WSGI interface, 2 workers, 2
  blocking threads each: ``THREADS``). For the bare app 1, 2 and 4 threads gave the same
  throughput within noise (3,700-4,700 writes/s on SQLite); gunicorn's gthread worker
  served the same app at 1,100-1,500 with 650-850 µs of server CPU per write.
* Concurrency 8 connections: 4 and 16 gave the same bare throughput within noise (p99
  4-6 ms at 4, 11-24 ms at 8, 13-15 ms at 16); 8 keeps both workers' threads busy for an
  app whose requests take milliseconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import math
import os
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from participate.server import granian_command

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent

PORTS = range(5400, 5500)
SECRET_KEY = "httpbench-secret-key-not-for-production"
USER_AGENT = "httpbench/1"
APP_TARGET = "participate.wsgi:app"
BARE_TARGET = "bare_app:app"
TEXTBOOK_TARGET = "textbook_app:app"
# The PostgreSQL server the write workloads also run on (a fresh database each run).
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

WORKERS = 2
THREADS = 2  # as `participate serve` runs by default
CONCURRENCY = 8
TRIM = 0.1  # share of the run dropped at each end to get the sustained window

ERROR = -1  # the connection failed before an answer: outcome unknown
UNANSWERED = -2  # still in flight when a timed run stopped


# The wrk script: each wrk thread has ONE connection, so request() and response() alternate
# and every answer belongs to the request handed out just before it. Thread t walks
# <dir>/req-<t>.bin ("<length>\n<raw request>" records) once and, in done(), the main
# Lua state writes <dir>/res-<t>.txt: "<index> <status> <sent_us> <done_us>" per request.
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } httpbench_timespec;
int clock_gettime(int clk_id, httpbench_timespec *tp);
]]
local ts = ffi.new("httpbench_timespec")
local function now_us()  -- CLOCK_MONOTONIC, as Python's time.monotonic()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads, next_tid = {}, 0
-- sent when a thread has nothing left but wrk insists on a request (after a lost connection)
local IDLE = "GET /httpbench-idle HTTP/1.1\r\nHost: localhost\r\n\r\n"

function setup(thread)
  thread:set("tid", next_tid)
  threads[#threads + 1] = thread
  next_tid = next_tid + 1
end

function init(args)
  local last = 0  -- args[0] is the URL; the folder is the last argument
  while args[last + 1] ~= nil do last = last + 1 end
  dir = args[last]
  local f = assert(io.open(dir .. "/req-" .. tid .. ".bin", "rb"))
  local data = f:read("*a")
  f:close()
  reqs = {}
  local pos = 1
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    reqs[#reqs + 1] = string.sub(data, nl + 1, nl + len)
    pos = nl + 1 + len
  end
  n, cur, pending = #reqs, 0, false
  verifying = (tid == 0)  -- wrk calls request() once on its first thread to check the script
  status, sent, done_at = {}, {}, {}
end

local function finish()
  local f = io.open(dir .. "/done-" .. tid, "w")
  f:close()
  wrk.thread:stop()
end

function request()
  if verifying then
    verifying = false
    return reqs[1] or IDLE
  end
  if pending then  -- the connection was lost before an answer
    status[cur] = -1
    pending = false
  end
  cur = cur + 1
  if cur > n then
    finish()
    return IDLE
  end
  pending = true
  sent[cur] = now_us()
  return reqs[cur]
end

function response(code, headers, body)
  if not pending then return end
  done_at[cur] = now_us()
  status[cur] = code
  pending = false
  if cur >= n then finish() end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local t, d = thread:get("tid"), thread:get("dir")
    local st, se, da = thread:get("status"), thread:get("sent"), thread:get("done_at")
    local count = math.min(thread:get("cur"), thread:get("n"))
    local lines = {}
    for i = 1, count do
      if se[i] ~= nil then
        lines[#lines + 1] = string.format("%d %d %d %d\n", i, st[i] or -2, se[i], da[i] or -1)
      end
    end
    local f = assert(io.open(d .. "/res-" .. t .. ".txt", "w"))
    f:write(table.concat(lines))
    f:close()
  end
end
"""


# ---------------------------------------------------------------------------------------------
# Server


# Ports handed out by free_port and not yet released by this process: granian listens with
# SO_REUSEPORT, so a second granian on the same port would start fine and silently share the
# connections with the first (a test bind only fails once the first one listens).
_RESERVED: set[int] = set()


def free_port(ports: Iterable[int] = PORTS) -> int:
    """A port nothing listens on, not handed out before in this process (until released)."""
    candidates = list(ports)
    start = os.getpid() % len(candidates)
    for port in candidates[start:] + candidates[:start]:
        if port in _RESERVED:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _RESERVED.add(port)
        return port
    raise RuntimeError(f"no free port in {candidates[0]}-{candidates[-1]}")


def _listening_sockets(port: int) -> set[str]:
    """The inodes of the TCP sockets listening on ``port`` (any address), from /proc/net."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                found.add(fields[9])
    return found


def _open_sockets(pids: Iterable[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(fd.path)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    return inodes


class Server:
    """granian (WSGI) serving ``target`` on a free port in 5400-5499 (a context manager).

    The same server and options as ``participate serve``: ``--interface wsgi``, ``workers``
    processes, each running the app on ``threads`` blocking threads.
    """

    def __init__(
        self,
        target: str,
        env: dict[str, str] | None = None,
        *,
        workers: int = WORKERS,
        threads: int = THREADS,
        port: int | None = None,
        cwd: Path | str | None = None,
        pythonpath: Path | str | None = None,
        ready_path: str = "/",
        start_timeout: float = 60.0,
        extra_args: Sequence[str] = (),
    ):
        if ready_path == "/" and target == BARE_TARGET:
            ready_path = "/ready"
        self.target = target
        self.env = {**os.environ, **(env or {})}
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cwd = str(cwd or ROOT)
        # bench/ (serve_target.py, bare_app.py, textbook_app.py) and the repository root.
        paths = [str(pythonpath)] if pythonpath else []
        paths += [str(HERE), str(ROOT), self.env.get("PYTHONPATH", "")]
        self.pythonpath = os.pathsep.join(p for p in paths if p)
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self._log = None

    def describe(self) -> dict:
        return {"server": "granian", "workers": self.workers, "threads": self.threads}

    def start(self) -> Server:
        """Launch the server and wait until it is ready (``serving`` starts several at once)."""
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="httpbench-server-")
        folder = Path(self._dir.name)
        # The production server's command (participate/server.py), on this port.
        command = granian_command(
            "serve_target:app",
            port=self.port,
            workers=self.workers,
            threads=self.threads,
            respawn=False,
            kill_timeout=None,
            log_level="warning",
        )
        args = [*command[:-1], *self.extra_args, command[-1]]
        env = {
            **self.env,
            "PYTHONPATH": self.pythonpath,
            "HTTPBENCH_TARGET": self.target,
            "HTTPBENCH_READY_DIR": str(folder),
        }
        self._log = open(folder / "server.log", "w+b")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            args, env=env, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self) -> None:
        assert self._dir is not None, "launch() first"
        try:
            self._wait_ready(Path(self._dir.name))
            strangers = _listening_sockets(self.port) - _open_sockets(self.pids())
            if strangers:
                raise RuntimeError(
                    f"another process listens on port {self.port} too (SO_REUSEPORT): "
                    "it would answer part of the requests"
                )
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, folder: Path) -> None:
        """Every worker has imported the app (its ready-<pid> file) and a GET is answered."""
        assert self.proc is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"granian exited at start:\n{self.log()}")
            if len(self.worker_pids()) >= self.workers:
                status = _probe(self.port, self.ready_path)
                if status is not None:
                    if status >= 500:
                        raise RuntimeError(
                            f"GET {self.ready_path} answered {status} at start:\n{self.log()}"
                        )
                    return
            time.sleep(0.05)
        raise RuntimeError(f"granian did not start in {self.start_timeout:.0f} s:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        """The live workers that have loaded the app."""
        if self._dir is None:
            return []
        pids = [int(p.name.split("-")[1]) for p in Path(self._dir.name).glob("ready-*")]
        return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]

    def pids(self) -> list[int]:
        """The main process and every live process under it (the workers)."""
        if self.proc is None:
            return []
        return [self.proc.pid, *_descendants(self.proc.pid)]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the main process and its live workers."""
        return sum(_proc_cpu(pid) for pid in self.pids())

    def log(self) -> str:
        if self._dir is None:
            return ""
        try:
            return (Path(self._dir.name) / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            children = _descendants(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)  # granian stops its workers, then exits
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            for pid in children:  # a worker left behind by a main process that was killed
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
        _RESERVED.discard(self.port)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def serving(*servers: Server) -> Iterator[tuple[Server, ...]]:
    """Start several servers at once (their workers import the apps side by side), wait
    until every one is ready, and stop them all on exit."""
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def _descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (children, their children...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))  # ppid
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _probe(port: int, path: str) -> int | None:
    """Status of one GET, or None when nothing answers yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {USER_AGENT}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            head = sock.recv(64)
        return int(head[9:12]) if head.startswith(b"HTTP/1.") else None
    except (OSError, ValueError):
        return None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return math.nan, math.nan
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / _TICKS, total / _TICKS


def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def app_env(database_url: str, tmp: Path | str, secret_key: str = SECRET_KEY, **extra) -> dict:
    """Environment for participate under granian in a benchmark (no rate limits unless
    ``PARTICIPATE_RATELIMIT="1"`` is given)."""
    tmp = Path(tmp)
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "PARTICIPATE_RATELIMIT": "0",
        "PARTICIPATE_INSTANCE": str(tmp / "instance"),
        "PARTICIPATE_MAIL_OUTBOX": str(tmp / "outbox"),
        "PARTICIPATE_BASE_URL": "http://127.0.0.1",
        **{k: str(v) for k, v in extra.items()},
    }


@contextlib.contextmanager
def workdir(prefix: str = "httpbench-") -> Iterator[Path]:
    """A temporary folder (on /dev/shm would hide fsync costs, so the default tmp)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


# ---------------------------------------------------------------------------------------------
# Rate-limit storage


@contextlib.contextmanager
def rate_limit_storage(tmp):
    """A private redis-server (no persistence) on a unix socket when installed; else memory://.

    A unix socket, as a Redis on the same host is deployed: each signature's round trip
    costs the server and Redis less than over loopback TCP.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        yield "memory://"
        return
    sock = Path(tmp) / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.settimeout(0.2)
                    probe.connect(str(sock))
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis+unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(10)


# ---------------------------------------------------------------------------------------------
# Databases and users


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def fresh_sqlite_db(path: Path | str, seed_scale: int | None = None) -> str:
    """A new SQLite file migrated like ``participate init`` (and seeded); returns its URL.

    Without seeding, the file is a copy of one database migrated (in this process, by the
    same ``upgrade(revision="heads")`` as ``participate init``) once per benchmark run:
    every workload then starts from the same empty schema without paying for a
    subprocess that imports the app.
    """
    path = Path(path).resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    url = sqlite_url(path)
    if not seed_scale:
        shutil.copyfile(_migrated_template(), path)
        return url
    env = {**os.environ, **app_env(url, path.parent)}
    cli = BIN / "participate"
    for command in ([str(cli), "init"], [str(cli), "seed", "--scale", str(seed_scale)]):
        done = subprocess.run(command, env=env, cwd=str(ROOT), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stdout}{done.stderr}")
    return url


def postgres_unreachable(server_url: str = POSTGRES_URL) -> str | None:
    """Why the PostgreSQL server of ``server_url`` cannot be used, or None when it can."""
    import psycopg

    try:
        psycopg.connect(_libpq_url(server_url), connect_timeout=5).close()
    except psycopg.Error as error:
        return f"PostgreSQL unreachable ({str(error).strip().splitlines()[0]})"
    return None


def _libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@contextlib.contextmanager
def fresh_postgres_db(server_url: str = POSTGRES_URL, *, tmp: Path | str | None = None):
    """A new database on the server of ``server_url``, migrated by ``participate init``;
    yields its URL and drops it on exit (whoever is still connected)."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"bench_{os.getpid()}_{next(_DATABASES)}"
    url = parts._replace(path=f"/{name}").geturl()
    admin = _libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with contextlib.ExitStack() as stack:
            folder = Path(tmp) if tmp else stack.enter_context(workdir("httpbench-pg-"))
            env = {**os.environ, **app_env(url, folder)}
            cli = BIN / "participate"
            done = subprocess.run(
                [str(cli), "init"], env=env, cwd=str(ROOT), capture_output=True, text=True
            )
            if done.returncode:
                raise RuntimeError(f"participate init failed:\n{done.stdout}{done.stderr}")
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_DATABASES = itertools.count(1)


DATABASES = ("sqlite", "postgresql")  # what the write workloads run on, in this order


@contextlib.contextmanager
def app_database(kind: str, tmp: Path | str) -> Iterator[str]:
    """A new, migrated, empty database for participate: ``kind`` "sqlite" (a file in
    ``tmp``) or "postgresql" (a fresh database on POSTGRES_URL's server, dropped on exit)."""
    if kind == "sqlite":
        yield fresh_sqlite_db(Path(tmp) / "app.sqlite3")
    elif kind == "postgresql":
        with fresh_postgres_db(tmp=tmp) as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r}")


@functools.cache
def _migrated_template() -> Path:
    """An empty database at the migrations' heads, made once per process (WAL checkpointed)."""
    import sqlite3

    from flask_migrate import upgrade

    from participate import create_app
    from participate.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="httpbench-template-"))
    template = folder / "template.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(template), "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        db.session.remove()
        db.engine.dispose()
    conn = sqlite3.connect(template)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file to copy
    conn.close()
    return template


def _engine(database_url: str):
    import sqlalchemy as sa

    from participate.config import normalise_database_url

    return sa.create_engine(normalise_database_url(database_url))


def count_rows(database_url: str, sql: str, **params) -> int:
    """The integer result of one ``SELECT count(...)`` (bound parameters as keywords)."""
    import sqlalchemy as sa

    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def fetch_column(database_url: str, sql: str, **params) -> list:
    """The first column of every row of ``sql``."""
    import sqlalchemy as sa

    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params).scalars())
    finally:
        engine.dispose()


def check_writes(acknowledged_keys: Iterable[str], row_keys: Iterable) -> tuple[int, int]:
    """(lost, duplicated): acknowledged keys without a row; rows beyond one per key."""
    rows = Counter(str(key) for key in row_keys)
    lost = sum(1 for key in set(acknowledged_keys) if key not in rows)
    duplicated = sum(n - 1 for n in rows.values() if n > 1)
    return lost, duplicated


def users_needed(
    rounds: int, duration_s: float, max_rate: float = 3000.0, warmup: int = 200
) -> int:
    """Distinct writers (users) a measurement can use up: every round at ``max_rate``."""
    return int(rounds * duration_s * max_rate * 1.2) + warmup


def create_users(
    database_url: str,
    n: int,
    *,
    prefix: str = "bench",
    password: str = "bench-password-1",
    confirmed: bool = True,
    batch: int = 5000,
) -> list[int]:
    """Insert ``n`` users at once (one precomputed password hash); returns their ids."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from participate.accounts.models import User
    from participate.util import utcnow

    now = utcnow()
    password_hash = generate_password_hash(password, method="scrypt")
    table = User.__table__
    rows = [
        {
            "email": f"{prefix}-{i}@bench.example.org",
            "name": f"Bench user {i}",
            "password_hash": password_hash,
            "email_confirmed_at": now if confirmed else None,
            "is_admin": False,
            "bio": "",
            "email_notifications": False,
            "created_at": now,
            "session_version": 1,
        }
        for i in range(n)
    ]
    engine = _engine(database_url)
    try:
        with engine.begin() as conn:
            for start in range(0, n, batch):
                conn.execute(sa.insert(table), rows[start : start + batch])
            ids = conn.execute(
                sa.select(table.c.id)
                .where(table.c.email.like(f"{prefix}-%@bench.example.org"))
                .order_by(table.c.id)
            ).scalars()
            return list(ids)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# Signed-in sessions


@dataclasses.dataclass(frozen=True)
class Session:
    """A signed-in browser session: its cookie and the matching form CSRF token."""

    user_id: int
    cookie: str
    csrf_token: str
    cookie_name: str = "session"

    @property
    def cookie_header(self) -> str:
        return f"{self.cookie_name}={self.cookie}"

    def headers(self, htmx: bool = False) -> dict[str, str]:
        headers = {"Cookie": self.cookie_header}
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.csrf_token})
        return headers


def mint_sessions(
    database_url: str,
    user_ids: Sequence[int],
    secret_key: str,
    *,
    user_agent: str = USER_AGENT,
    remote_addr: str = "127.0.0.1",
) -> list[Session]:
    """Sessions exactly as ``login_user`` leaves them, signed with the app's serializer.

    ``secret_key`` must be the SECRET_KEY of the server the sessions are sent to; requests
    must come from ``remote_addr`` with ``user_agent`` (PreparedRequest sends USER_AGENT)
    so Flask-Login's session protection sees the same identifier as at sign-in.
    """
    import hashlib

    import sqlalchemy as sa
    from flask import session as flask_session
    from flask_wtf.csrf import validate_csrf
    from itsdangerous import URLSafeTimedSerializer

    from participate import create_app
    from participate.accounts.models import User, UserSession
    from participate.config import normalise_database_url
    from participate.extensions import db
    from participate.util import utcnow

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "SECRET_KEY": secret_key}
    )
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None, "the app has no SECRET_KEY"
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    csrf_serializer = URLSafeTimedSerializer(
        app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token"
    )
    environ = {"REMOTE_ADDR": remote_addr}
    with app.test_request_context("/", environ_base=environ, headers={"User-Agent": user_agent}):
        identifier = app.login_manager._session_identifier_generator()
    versions: dict[int, int] = {}
    wanted = list(dict.fromkeys(int(i) for i in user_ids))
    with app.app_context():
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            rows = db.session.execute(
                sa.select(User.id, User.session_version).where(User.id.in_(chunk))
            )
            versions.update({row.id: row.session_version or 1 for row in rows})
        db.session.remove()
    missing = [i for i in wanted if i not in versions]
    if missing:
        raise ValueError(f"no such users: {missing[:10]}{'...' if len(missing) > 10 else ''}")
    # A live session per minted cookie, as start_session makes at sign-in (one row each).
    keys = {user_id: os.urandom(24).hex() for user_id in wanted}
    with app.app_context():
        rows = [
            {
                "id": UserSession.hash(keys[user_id]),
                "user_id": user_id,
                "session_version": versions[user_id],
                "created_at": utcnow(),
            }
            for user_id in wanted
        ]
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(UserSession), rows[start : start + 5000])
        db.session.commit()
        db.session.remove()

    sessions = []
    for user_id in user_ids:
        raw = hashlib.sha1(os.urandom(64)).hexdigest()  # what Flask-WTF puts in the session
        data = {
            "_user_id": f"{user_id}:{keys[int(user_id)]}",  # User.get_id()
            "_fresh": True,
            "_id": identifier,
            csrf_field: raw,
        }
        sessions.append(
            Session(
                user_id=int(user_id),
                cookie=serializer.dumps(data),
                csrf_token=csrf_serializer.dumps(raw),
                cookie_name=cookie_name,
            )
        )

    if sessions:  # the app's own code must accept what we built
        first = sessions[0]
        with app.test_request_context(
            "/",
            method="POST",
            environ_base=environ,
            headers={"User-Agent": user_agent, "Cookie": first.cookie_header},
        ):
            assert flask_session.get("_user_id") == f"{first.user_id}:{keys[first.user_id]}"
            validate_csrf(first.csrf_token)
            assert app.login_manager._session_identifier_generator() == identifier
    return sessions


def check_session(base_url: str, session: Session, path: str = "/profile") -> None:
    """Raise unless the live server treats ``session`` as signed in (GET path -> 200) and
    leaves it as it is (no new session cookie: Flask-Login found the same identifier as
    at sign-in, so nothing in the session changed, as after a real sign-in)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: {USER_AGENT}\r\n"
            f"Cookie: {session.cookie_header}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data[9:12])
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    if status != 200:
        raise AssertionError(f"GET {path} with a minted session answered {status}:\n{head}")
    rewritten = f"set-cookie: {session.cookie_name}=".lower()
    if any(line.lower().startswith(rewritten) for line in head.split("\r\n")):
        raise AssertionError(f"GET {path} rewrote the minted session cookie:\n{head}")


# ---------------------------------------------------------------------------------------------
# Prepared requests


@dataclasses.dataclass(frozen=True)
class PreparedRequest:
    """One write: a raw HTTP/1.1 request identified by ``key`` (e.g. the user id)."""

    key: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def raw(self, host: str) -> bytes:
        lines = [
            f"{self.method} {self.path} HTTP/1.1",
            f"Host: {host}",
            f"User-Agent: {USER_AGENT}",
            "Accept: */*",
        ]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def form_post(
    path: str,
    fields: dict | None = None,
    *,
    key: str,
    session: Session | None = None,
    headers: dict[str, str] | None = None,
    htmx: bool = False,
) -> PreparedRequest:
    """A form POST as the browser sends it (csrf_token field + cookie when signed in)."""
    data = dict(fields or {})
    all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if session is not None:
        data.setdefault("csrf_token", session.csrf_token)
        all_headers.update(session.headers(htmx=htmx))
    all_headers.update(headers or {})
    return PreparedRequest(
        key=str(key),
        method="POST",
        path=path,
        headers=tuple(all_headers.items()),
        body=urlencode(data).encode(),
    )


def json_post(
    path: str, payload, *, key: str, headers: dict[str, str] | None = None
) -> PreparedRequest:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return PreparedRequest(
        key=str(key),
        method="POST",
        path=path,
        headers=tuple(all_headers.items()),
        body=json.dumps(payload).encode(),
    )


# ---------------------------------------------------------------------------------------------
# Load generation and statistics


@dataclasses.dataclass(frozen=True)
class Result:
    key: str
    status: int  # HTTP status, ERROR or UNANSWERED
    sent: float  # CLOCK_MONOTONIC seconds
    done: float | None
    index: int  # position in the list given to run_load


@dataclasses.dataclass
class Stats:
    engine: str
    concurrency: int
    ok_statuses: tuple[int, ...]
    results: list[Result]
    client_cpu_s: float
    server_cpu_s: float | None = None
    trim: float = TRIM
    server: dict | None = None
    machine_busy_s: float | None = None  # whole machine, all cores, during the run
    machine_cpu_s: float | None = None  # cores x wall time during the run

    def __post_init__(self) -> None:
        res = self.results
        self.sent = len(res)
        self.statuses = dict(sorted(Counter(r.status for r in res).items()))
        ok = set(self.ok_statuses)
        self.ok = sum(n for s, n in self.statuses.items() if s in ok)
        self.conflict = self.statuses.get(409, 0) if 409 not in ok else 0
        self.client_errors = sum(
            n for s, n in self.statuses.items() if 400 <= s < 500 and s != 409 and s not in ok
        )
        self.server_errors = sum(n for s, n in self.statuses.items() if s >= 500)
        self.errors = self.statuses.get(ERROR, 0)
        self.unanswered = self.statuses.get(UNANSWERED, 0)
        answered = [r for r in res if r.done is not None]
        self.p50_ms = self.p95_ms = self.p99_ms = self.p99_all_ms = self.max_ms = None
        self.throughput = self.overall_throughput = self.min_1s = 0.0
        self.duration_s = self.window_s = 0.0
        if not answered:
            return
        start = min(r.sent for r in res)
        end = max(r.done for r in answered if r.done is not None)
        span = max(end - start, 1e-9)
        lo, hi = start + self.trim * span, end - self.trim * span
        window = [r for r in answered if lo <= r.done <= hi]  # type: ignore[operator]
        oks = [r for r in window if r.status in ok]
        self.duration_s = span
        self.window_s = hi - lo
        self.overall_throughput = sum(1 for r in answered if r.status in ok) / span
        self.throughput = len(oks) / self.window_s if self.window_s > 0 else 0.0
        seconds = int(self.window_s)
        if seconds >= 1:
            per_second = Counter(int(r.done - lo) for r in oks)  # type: ignore[operator]
            self.min_1s = float(min(per_second.get(i, 0) for i in range(seconds)))
        lat = sorted((r.done - r.sent) * 1000 for r in (window or answered))  # type: ignore[operator]
        everything = sorted((r.done - r.sent) * 1000 for r in answered)  # type: ignore[operator]
        self.p50_ms, self.p95_ms, self.p99_ms = (_pct(lat, p) for p in (50, 95, 99))
        self.p99_all_ms = _pct(everything, 99)
        self.max_ms = everything[-1]

    def acknowledged(self, statuses: Iterable[int] | None = None) -> set[str]:
        wanted = set(statuses or self.ok_statuses)
        return {r.key for r in self.results if r.status in wanted}

    def summary(self) -> dict:
        def r(x, n=1):
            return None if x is None else round(x, n)

        return {
            "engine": self.engine,
            "concurrency": self.concurrency,
            **({"server": self.server} if self.server else {}),
            "sent": self.sent,
            "ok": self.ok,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "conflict": self.conflict,
            "client_errors": self.client_errors,
            "server_errors": self.server_errors,
            "errors": self.errors,
            "unanswered": self.unanswered,
            "throughput": r(self.throughput),
            "overall_throughput": r(self.overall_throughput),
            "min_1s": r(self.min_1s, 0),
            "duration_s": r(self.duration_s, 2),
            "window_s": r(self.window_s, 2),
            "p50_ms": r(self.p50_ms, 2),
            "p95_ms": r(self.p95_ms, 2),
            "p99_ms": r(self.p99_ms, 2),
            "p99_all_ms": r(self.p99_all_ms, 2),
            "max_ms": r(self.max_ms, 2),
            "client_cpu_s": r(self.client_cpu_s, 2),
            "client_cpu_us_per_request": r(
                self.client_cpu_s / self.sent * 1e6 if self.sent else None
            ),
            "server_cpu_s": r(self.server_cpu_s, 2),
            "server_cpu_us_per_request": r(
                self.server_cpu_s / self.sent * 1e6 if self.sent and self.server_cpu_s else None
            ),
            # CPU used meanwhile by everything else on the machine (other people's jobs):
            # when it is large, the figures above are depressed and should be re-run.
            "other_cpu_share": r(self.other_cpu_share, 2),
        }

    @property
    def other_cpu_share(self) -> float | None:
        if not self.machine_cpu_s or self.machine_busy_s is None or self.server_cpu_s is None:
            return None
        other = self.machine_busy_s - self.server_cpu_s - self.client_cpu_s
        return max(0.0, other) / self.machine_cpu_s


def _pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return math.nan
    index = max(0, math.ceil(p / 100 * len(sorted_values)) - 1)
    return sorted_values[index]


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    base_url: str,
    requests: Sequence[PreparedRequest],
    concurrency: int = CONCURRENCY,
    duration_s: float | None = None,
    *,
    engine: str = "auto",
    ok_statuses: Iterable[int] = (201,),
    server: Server | None = None,
    processes: int = 2,
) -> Stats:
    """Send each request at most once over ``concurrency`` keep-alive connections.

    ``duration_s`` None: send them all. Otherwise stop after that many seconds (the
    list must be long enough; requests not yet sent are simply not in the Stats).
    ``engine``: "wrk", "python" or "auto" (wrk when installed).
    """
    if engine == "auto":
        engine = "wrk" if have_wrk() else "python"
    if engine not in ("wrk", "python"):
        raise ValueError(f"unknown engine {engine!r}")
    if not requests:
        raise ValueError("no requests to send")
    concurrency = max(1, min(concurrency, len(requests)))
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raws = [r.raw(parts.netloc) for r in requests]
    slices = [list(range(i, len(raws), concurrency)) for i in range(concurrency)]
    server_cpu = server.cpu_seconds() if server else None
    machine = machine_cpu()
    with tempfile.TemporaryDirectory(prefix="httpbench-load-") as name:
        folder = Path(name)
        if engine == "wrk":
            outcomes, cpu = _run_wrk(base_url, raws, slices, duration_s, folder)
        else:
            outcomes, cpu = _run_python(host, port, raws, slices, duration_s, folder, processes)
    if server is not None and server_cpu is not None:
        server_cpu = server.cpu_seconds() - server_cpu
    busy, total = (b - a for a, b in zip(machine, machine_cpu(), strict=True))
    results = [
        Result(requests[i].key, status, sent, done, i)
        for i, (status, sent, done) in outcomes.items()
    ]
    results.sort(key=lambda r: r.sent)
    return Stats(
        engine=engine,
        concurrency=concurrency,
        ok_statuses=tuple(ok_statuses),
        results=results,
        client_cpu_s=cpu,
        server_cpu_s=server_cpu,
        server=server.describe() if server else None,
        machine_busy_s=busy,
        machine_cpu_s=total,
    )


Outcomes = dict[int, tuple[int, float, float | None]]


def _write_slices(folder: Path, raws: list[bytes], slices: list[list[int]]) -> None:
    for tid, indexes in enumerate(slices):
        with open(folder / f"req-{tid}.bin", "wb") as f:
            for i in indexes:
                f.write(b"%d\n" % len(raws[i]))
                f.write(raws[i])


def _run_wrk(
    base_url: str,
    raws: list[bytes],
    slices: list[list[int]],
    duration_s: float | None,
    folder: Path,
) -> tuple[Outcomes, float]:
    _write_slices(folder, raws, slices)
    threads = len(slices)
    command = [
        shutil.which("wrk") or "wrk",
        "-t",
        str(threads),
        "-c",
        str(threads),
        "-d",
        "86400s",  # stopped by SIGINT: at duration_s, or when every thread is done
        "--timeout",
        "10s",
        "-s",
        "httpbench.lua",
        base_url.rstrip("/") + "/",
        "--",
        str(folder),
    ]
    (folder / "httpbench.lua").write_text(WRK_SCRIPT)
    command[command.index("-s") + 1] = str(folder / "httpbench.lua")
    with open(folder / "wrk.out", "w+b") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + duration_s if duration_s else math.inf
        signalled = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # rusage: wrk's CPU time
            if pid:
                proc.returncode = returncode = os.waitstatus_to_exitcode(status)
                break
            now = time.monotonic()
            finished = len(list(folder.glob("done-*"))) >= threads
            if (finished or now >= deadline) and now - signalled > 1.0:
                proc.send_signal(signal.SIGINT)  # wrk stops its threads and runs done()
                signalled = now
            if signalled and now - signalled > 30:
                proc.kill()
            time.sleep(0.01)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if returncode != 0:
        raise RuntimeError(f"wrk failed ({returncode}):\n{text[-3000:]}")
    outcomes: Outcomes = {}
    for tid, indexes in enumerate(slices):
        path = folder / f"res-{tid}.txt"
        if not path.exists():
            raise RuntimeError(f"wrk wrote no results for thread {tid}:\n{text[-3000:]}")
        for line in path.read_text().splitlines():
            idx, status, sent, done = (int(x) for x in line.split())
            outcomes[indexes[idx - 1]] = (status, sent / 1e6, done / 1e6 if done >= 0 else None)
    return outcomes, usage.ru_utime + usage.ru_stime


def _run_python(
    host: str,
    port: int,
    raws: list[bytes],
    slices: list[list[int]],
    duration_s: float | None,
    folder: Path,
    processes: int,
) -> tuple[Outcomes, float]:
    import multiprocessing

    processes = max(1, min(processes, len(slices)))
    groups = [slices[p::processes] for p in range(processes)]
    ctx = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.2
    stop_at = start_at + duration_s if duration_s else math.inf
    procs = []
    for p, group in enumerate(groups):
        work = [[(i, raws[i]) for i in indexes] for indexes in group]
        proc = ctx.Process(
            target=_py_client,
            args=(host, port, work, start_at, stop_at, str(folder / f"py-{p}.txt")),
            daemon=True,
        )
        proc.start()
        procs.append(proc)
    for proc in procs:
        proc.join()
    outcomes: Outcomes = {}
    cpu = 0.0
    for p, proc in enumerate(procs):
        path = folder / f"py-{p}.txt"
        if proc.exitcode != 0 or not path.exists():
            raise RuntimeError(f"python load process {p} failed (exit {proc.exitcode})")
        lines = path.read_text().splitlines()
        cpu += float(lines[0])
        for line in lines[1:]:
            i, status, sent, done = line.split()
            outcomes[int(i)] = (int(status), float(sent), None if done == "-" else float(done))
    return outcomes, cpu


class _Conn:
    __slots__ = ("work", "pos", "sock", "buf", "sent", "need", "close_after")

    def __init__(self, work):
        self.work = work
        self.pos = 0
        self.sock: socket.socket | None = None
        self.buf = b""
        self.sent = 0.0
        self.need = -1  # total bytes of the current answer once its head is parsed
        self.close_after = False


def _py_client(host, port, work_lists, start_at, stop_at, out_path) -> None:
    """A closed-loop client: one keep-alive socket per work list, one request in flight each."""
    import resource

    sel = selectors.DefaultSelector()
    records: list[str] = []
    monotonic = time.monotonic

    def connect(conn: _Conn) -> None:
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock = sock
        sel.register(sock, selectors.EVENT_READ, conn)

    def drop(conn: _Conn) -> None:
        if conn.sock is not None:
            sel.unregister(conn.sock)
            conn.sock.close()
            conn.sock = None

    def send_next(conn: _Conn) -> None:
        if conn.pos >= len(conn.work) or monotonic() >= stop_at:
            drop(conn)
            return
        if conn.sock is None:
            connect(conn)
        conn.buf, conn.need, conn.close_after = b"", -1, False
        conn.sent = monotonic()
        try:
            conn.sock.sendall(conn.work[conn.pos][1])  # type: ignore[union-attr]
        except OSError:  # the server closed the connection: outcome unknown
            drop(conn)
            record(conn, ERROR, None)
            send_next(conn)

    def record(conn: _Conn, status: int, done: float | None) -> None:
        index = conn.work[conn.pos][0]
        records.append(f"{index} {status} {conn.sent!r} {'-' if done is None else repr(done)}")
        conn.pos += 1

    while monotonic() < start_at:
        time.sleep(0.005)
    conns = [_Conn(w) for w in work_lists if w]
    for conn in conns:
        send_next(conn)
    while sel.get_map():
        for skey, _ in sel.select(timeout=1.0):
            conn = skey.data
            try:
                data = conn.sock.recv(65536)
            except OSError:
                data = b""
            if not data:  # closed before (the rest of) an answer: outcome unknown
                drop(conn)
                record(conn, ERROR, None)
                send_next(conn)
                continue
            conn.buf += data
            if conn.need < 0:
                head_end = conn.buf.find(b"\r\n\r\n")
                if head_end < 0:
                    continue
                head = conn.buf[:head_end].lower()
                length = 0
                at = head.find(b"\r\ncontent-length:")
                if at >= 0:
                    end = head.find(b"\r\n", at + 2)
                    length = int(head[at + 17 : end if end >= 0 else len(head)])
                elif b"transfer-encoding: chunked" in head:
                    length = -1
                conn.close_after = b"\r\nconnection: close" in head
                conn.need = head_end + 4 + length if length >= 0 else -2
            if conn.need == -2:  # chunked: wait for the last chunk
                if not conn.buf.endswith(b"0\r\n\r\n"):
                    continue
            elif len(conn.buf) < conn.need:
                continue
            record(conn, int(conn.buf[9:12]), monotonic())
            if conn.close_after:
                drop(conn)
            send_next(conn)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(out_path, "w") as f:
        f.write(f"{usage.ru_utime + usage.ru_stime}\n")
        f.write("\n".join(records) + ("\n" if records else ""))


# ---------------------------------------------------------------------------------------------
# The bare baseline and bench entries


def _bare_app():
    import importlib.util

    spec = importlib.util.spec_from_file_location("httpbench_bare_app", HERE / "bare_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bare_requests(n: int, prefix: str = "k", duplicates: int = 0) -> list[PreparedRequest]:
    """n form POSTs to the bare app with distinct keys, the last ``duplicates`` repeating keys."""
    distinct = n - duplicates
    keys = [f"{prefix}{i}" for i in range(distinct)] + [f"{prefix}{i}" for i in range(duplicates)]
    return [form_post("/write", {"key": key}, key=key) for key in keys]


class Target:
    """A server plus a pool of prepared writes, measured over one or more runs.

    Each ``run`` sends requests from the pool that no earlier run sent, so a pool of
    distinct writes is spent exactly once however many runs there are. ``row_keys``
    (a callable returning the key of every row written) enables ``check_writes``.
    """

    def __init__(
        self,
        name: str,
        server: Server,
        requests: Sequence[PreparedRequest],
        *,
        ok_statuses: Iterable[int] = (201,),
        row_keys=None,
    ):
        self.name = name
        self.server = server
        self.pool = list(requests)
        self.ok_statuses = tuple(ok_statuses)
        self.row_keys = row_keys
        self.runs: list[Stats] = []
        self.warmups: list[Stats] = []

    def run(
        self,
        duration_s: float | None = None,
        concurrency: int = CONCURRENCY,
        engine: str = "auto",
        limit: int | None = None,
    ) -> Stats:
        batch = self.pool[:limit] if limit else self.pool
        if not batch:
            raise RuntimeError(f"{self.name}: every prepared request was already sent")
        stats = run_load(
            self.server.url,
            batch,
            concurrency=concurrency,
            duration_s=duration_s,
            engine=engine,
            ok_statuses=self.ok_statuses,
            server=self.server,
        )
        sent = {r.index for r in stats.results}
        self.pool = [r for i, r in enumerate(batch) if i not in sent] + self.pool[len(batch) :]
        self.runs.append(stats)
        return stats

    def warmup(self, n: int = 200, concurrency: int = CONCURRENCY, engine: str = "auto") -> Stats:
        """Send ``n`` writes that count for the lost/duplicated check but not in the figures
        (the first requests of each worker fill import, SQL compilation and template caches)."""
        stats = self.run(concurrency=concurrency, engine=engine, limit=n)
        self.warmups.append(self.runs.pop())
        return stats

    # Figures over all runs (medians: each run is a short sample of a noisy shared machine)
    def median(self, attribute: str) -> float:
        values = [getattr(s, attribute) for s in self.runs]
        return statistics.median(v for v in values if v is not None)

    @property
    def throughput(self) -> float:
        return self.median("throughput")

    def acknowledged(self) -> set[str]:
        return set().union(*(s.acknowledged() for s in self.warmups + self.runs))

    def statuses(self) -> dict[int, int]:
        total: Counter = Counter()
        for s in self.warmups + self.runs:
            total.update(s.statuses)
        return dict(sorted(total.items()))

    def check_writes(self) -> tuple[int, int]:
        if self.row_keys is None:
            raise RuntimeError(f"{self.name}: no row_keys given")
        return check_writes(self.acknowledged(), self.row_keys())

    def summary(self) -> dict:
        runs = [s.summary() for s in self.runs]
        keys = ("throughput", "p50_ms", "p95_ms", "p99_ms", "other_cpu_share")
        keys += ("client_cpu_us_per_request", "server_cpu_us_per_request")
        return {
            "engine": runs[0]["engine"] if runs else None,
            "concurrency": runs[0]["concurrency"] if runs else None,
            "server": self.server.describe(),
            "runs": len(runs),
            "statuses": {str(k): v for k, v in self.statuses().items()},
            **{
                k: round(statistics.median(r[k] for r in runs if r[k] is not None), 2)
                for k in keys
                if any(r[k] is not None for r in runs)
            },
            "throughput_runs": [r["throughput"] for r in runs],
            "p99_ms_max": max((r["p99_ms"] for r in runs if r["p99_ms"] is not None), default=None),
        }


def interleave(
    targets: Sequence[Target],
    rounds: int = 3,
    duration_s: float = 3.0,
    concurrency: int = CONCURRENCY,
    engine: str = "auto",
) -> list[float]:
    """Run every target ``rounds`` times, alternating (A B C, C B A, A B C...), so that they
    share the machine's conditions; returns, per round, targets[0]'s throughput over
    targets[1]'s. Other people's jobs on a shared 2-core machine move a single figure by a
    factor 2; a median of paired ratios (``paired_ratio``) moves far less."""
    ratios = []
    for r in range(rounds):
        order = list(targets) if r % 2 == 0 else list(reversed(targets))
        for target in order:
            target.run(duration_s=duration_s, concurrency=concurrency, engine=engine)
        if len(targets) >= 2:
            a, b = targets[0].runs[-1].throughput, targets[1].runs[-1].throughput
            ratios.append(a / b if b else math.nan)
    return ratios


@contextlib.contextmanager
def bare_target(
    tmp: Path | str,
    n: int,
    *,
    database_url: str | None = None,
    workers: int = WORKERS,
    threads: int = THREADS,
) -> Iterator[Target]:
    """The bare insert-per-request app (bench/bare_app.py) served like the app under test,
    with ``n`` prepared writes of distinct keys. It writes to ``database_url`` (a table
    ``writes`` it creates: give it the app's PostgreSQL database to compare like with like)
    or, by default, to a new SQLite file in ``tmp``."""
    bare_app = _bare_app()
    url = database_url
    if url is None:
        db_path = Path(tmp) / "bare.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{db_path}{suffix}").unlink()
        url = sqlite_url(db_path)
    bare_app.init_db(url)
    with Server(BARE_TARGET, env={"DATABASE_URL": url}, workers=workers, threads=threads) as server:
        yield Target(
            "bare",
            server,
            bare_requests(n),
            row_keys=lambda: fetch_column(url, "SELECT key FROM writes"),
        )


def entry(
    name: str,
    value,
    unit: str,
    target,
    baseline,
    ratio,
    lost: int | None,
    duplicated: int | None,
    passed: bool,
    **extra,
) -> dict:
    """One result for bench/run.py (keys: name ... pass, then ``extra``)."""
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "target": target,
        "baseline": baseline,
        "ratio": ratio,
        "lost": lost,
        "duplicated": duplicated,
        "pass": bool(passed),
        **extra,
    }


def paired_ratio(a: Target, b: Target) -> float:
    """The median of a's throughput over b's, round by round when both ran the same number
    of rounds (interleaved: each pair shared the machine's conditions), else of medians."""
    if len(a.runs) == len(b.runs) and all(y.throughput for y in b.runs):
        pairs = zip(a.runs, b.runs, strict=True)
        return statistics.median(x.throughput / y.throughput for x, y in pairs)
    return a.throughput / b.throughput if b.throughput else math.nan


def write_entry(
    name: str,
    app: Target,
    bare: Target,
    textbook: Target | None = None,
    *,
    min_ratio: float = 0.3,
    goal_ratio: float = 0.5,
    min_ratio_textbook: float = 2.0,
    goal_ratio_textbook: float = 3.0,
    p99_limit_ms: float = 100.0,
    unit: str = "writes/s",
    **extra,
) -> dict:
    """The DESIGN.md §8 entry for a write workload: ``value`` and ``baseline`` are the
    median throughputs of the app and of the bare app, ``ratio`` the median of their paired
    ratios; with a textbook view, ``textbook`` and ``ratio_textbook`` likewise. No absolute
    rate is a target: pass = ratio >= min_ratio, ratio_textbook >= min_ratio_textbook,
    median p99 < p99_limit_ms, 0 lost, 0 duplicated, no 5xx and no lost connection (the
    app's; each baseline's own lost/duplicated are reported beside it). The goals are
    reported, not required."""
    value = app.throughput
    ratio = paired_ratio(app, bare)
    lost, duplicated = app.check_writes()
    base_lost, base_duplicated = bare.check_writes()
    summary = app.summary()
    failures = sum(s.server_errors + s.errors for s in app.warmups + app.runs)
    p99 = summary.get("p99_ms")
    passed = (
        ratio >= min_ratio
        and p99 is not None
        and p99 < p99_limit_ms
        and lost == 0
        and duplicated == 0
        and failures == 0
    )
    # Server CPU per write (the web server's processes only, not the database server's):
    # steadier than throughput when other jobs share the machine; reported, not a target.
    cpu = {"app": _cpu_per_write(app), "bare": _cpu_per_write(bare)}
    fields: dict = {}
    if textbook is not None:
        ratio_textbook = paired_ratio(app, textbook)
        tb_lost, tb_duplicated = textbook.check_writes()
        passed = passed and ratio_textbook >= min_ratio_textbook
        cpu["textbook"] = _cpu_per_write(textbook)
        fields = {
            "textbook": round(textbook.throughput, 1),
            "ratio_textbook": round(ratio_textbook, 3),
            "target_textbook": min_ratio_textbook,
            "goal_textbook": goal_ratio_textbook,
        }
    fields["server_cpu_us_per_write"] = cpu
    if cpu["app"]:
        fields["cpu_ratio"] = round(cpu["bare"] / cpu["app"], 3) if cpu["bare"] else None
        if cpu.get("textbook"):
            fields["cpu_ratio_textbook"] = round(cpu["textbook"] / cpu["app"], 3)
    result = entry(
        name,
        round(value, 1),
        unit,
        min_ratio,
        round(bare.throughput, 1),
        round(ratio, 3),
        lost,
        duplicated,
        passed,
        goal=goal_ratio,
        **fields,
        p99_ms=p99,
        p99_limit_ms=p99_limit_ms,
        server_errors=failures,
        app=summary,
        bare={**bare.summary(), "lost": base_lost, "duplicated": base_duplicated},
        **extra,
    )
    if textbook is not None:
        result["textbook_detail"] = {
            **textbook.summary(),
            "lost": tb_lost,
            "duplicated": tb_duplicated,
        }
    return result


def _cpu_per_write(target: Target) -> float | None:
    """The web server's CPU µs per request sent, over the measured runs."""
    sent = sum(s.sent for s in target.runs)
    cpu = [s.server_cpu_s for s in target.runs if s.server_cpu_s is not None]
    if not sent or len(cpu) != len(target.runs):
        return None
    return round(sum(cpu) / sent * 1e6, 1)


def per_database(name: str, unit: str, measure, quick: bool) -> list[dict]:
    """``measure(quick, database, entry_name)`` on each of DATABASES: ``name`` on SQLite,
    ``name_postgres`` on PostgreSQL (a skipped entry when it is unreachable)."""
    results = []
    for database in DATABASES:
        entry_name = name if database == "sqlite" else f"{name}_postgres"
        reason = postgres_unreachable() if database == "postgresql" else None
        if reason:
            results.append(skipped_entry(entry_name, f"skipped: {reason}", unit=unit))
        else:
            results.append(measure(quick, database, entry_name))
    return results


def skipped_entry(name: str, reason: str, **extra) -> dict:
    """The entry of a measurement that could not run here (pass: null, not a failure)."""
    return {
        **entry(name, None, None, None, None, None, None, None, False),
        "pass": None,
        "skipped": reason,
        **extra,
    }
