"""The embedded scheduler as a child process of ``participate demo``
(`participate.jobs.scheduler.start_child` runs ``python -m participate.demo_scheduler
<parent pid>``): an app of its own, and `participate.jobs.scheduler.loop` until the parent
is gone."""

from __future__ import annotations

import sys

from participate import create_app
from participate.jobs.scheduler import loop


def main() -> None:
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else None
    app = create_app()

    def echo(line: str) -> None:
        print(line, flush=True)

    loop(app, parent=parent, echo=echo)


if __name__ == "__main__":
    main()
