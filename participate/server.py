"""The one way participate is served: granian's WSGI server, as ``participate serve`` runs it.

The CLI, the tests' live server and the benchmark harness all build their command here, so
the server the bench measures and the tests drive is the production one.
"""

from __future__ import annotations

import sys
from pathlib import Path


def granian_command(
    target: str = "participate.wsgi:app",
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 2,
    threads: int = 2,
    respawn: bool = True,
    kill_timeout: int | None = 30,
    access_log: bool = False,
    log_level: str | None = None,
) -> list[str]:
    """The granian argv serving the WSGI ``target`` with ``workers`` processes of ``threads``
    blocking threads each (a couple overlap one request's database wait with another's
    Python work)."""
    granian = Path(sys.executable).with_name("granian")
    args = [str(granian) if granian.exists() else "granian", "--interface", "wsgi"]
    args += ["--host", host, "--port", str(port)]
    args += ["--workers", str(workers), "--blocking-threads", str(threads)]
    if respawn:  # without it, one worker dying (a crash, the OOM killer) stops the server
        args.append("--respawn-failed-workers")
    if kill_timeout is not None:  # at shutdown, a worker still busy this long is killed
        args += ["--workers-kill-timeout", str(kill_timeout)]
    if access_log:
        args.append("--access-log")
    if log_level:
        args += ["--log-level", log_level]
    return [*args, target]
