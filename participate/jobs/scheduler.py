"""The embedded scheduler: run the due jobs at the start of every minute, in this process.

For ``participate demo`` (which starts it as a child process before it serves, so time-based
changes happen on time with no cron and no Redis) and for a single machine without cron
(``participate jobs scheduler``). It only calls `participate.jobs.runner.run_due`: the
claims make it safe beside cron, beat or a second scheduler.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from flask import Flask

from participate.extensions import db


def _seconds_to_next_minute() -> float:
    return 60 - (time.time() % 60) + 0.5


def loop(
    app: Flask,
    *,
    parent: int | None = None,
    echo=print,
    stop_event: threading.Event | None = None,
) -> None:
    """Run the due jobs now and at each minute until stopped (SIGTERM, SIGINT, or
    ``stop_event``) or, with ``parent``, until that process is gone."""
    from participate.jobs.runner import run_due

    _stop = stop_event or threading.Event()

    def stop(*_):
        _stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def orphaned() -> bool:  # the server this scheduler belongs to has stopped
        return parent is not None and os.getppid() != parent

    while not _stop.is_set() and not orphaned():
        with app.app_context():
            try:
                for outcome in run_due():
                    if outcome.status == "failed":
                        echo(f"jobs: {outcome.name} failed ({outcome.error}); retried later")
                    elif outcome.result:
                        echo(f"jobs: {outcome.name}: {outcome.result} changed")
            except Exception as error:  # the database is away: try again next minute
                app.logger.warning("scheduled jobs not run: %s", error)
            finally:
                db.session.remove()
        wake = time.monotonic() + _seconds_to_next_minute()
        while not _stop.is_set() and not orphaned() and time.monotonic() < wake:
            _stop.wait(min(1.0, max(0.0, wake - time.monotonic())))


def start_child() -> subprocess.Popen:
    """Start the scheduler as a child of this process; it stops when this process (or the
    server this process becomes by exec) is gone."""
    command = [sys.executable, "-m", "participate.demo_scheduler", str(os.getpid())]
    return subprocess.Popen(command)  # a fixed command: this interpreter and module  # nosec B603
