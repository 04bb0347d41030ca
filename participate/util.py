"""Small helpers shared by every feature."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

# The story clock's present while the demo seed tells its story (None: the real present).
_STORY_TIME: ContextVar[list[datetime] | None] = ContextVar("participate_story_time", default=None)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the database is naive UTC."""
    story = _STORY_TIME.get()
    if story is None:
        return datetime.now(UTC).replace(tzinfo=None)
    story[0] += timedelta(microseconds=1)
    return story[0]


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Inside the block, ``utcnow()`` is ``moment``, moving on a microsecond each time it is
    read (so two things done in turn are never at the same time, and on every run the same).

    The demo seed tells its story in the past through the services themselves, so that each
    row, notification and audit event is stamped when the story says it happened as it is
    written (an audit event's time is part of its hash: it cannot be moved afterwards).
    Nothing else sets the clock; outside such a block ``utcnow()`` is the present.
    """
    token = _STORY_TIME.set([moment])
    try:
        yield
    finally:
        _STORY_TIME.reset(token)


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
