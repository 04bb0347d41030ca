"""The story clock the demo seed tells its story on (participate.util.clock_at): inside the
block ``utcnow()`` is the story's moment, moving on a microsecond at each reading; outside it,
and after it, the present."""

from __future__ import annotations

from datetime import datetime, timedelta

from participate.util import clock_at, utcnow


def test_inside_the_block_the_clock_reads_the_story_time_and_moves_on():
    moment = datetime(2026, 3, 1, 9, 30)
    with clock_at(moment):
        first, second = utcnow(), utcnow()
        with clock_at(moment - timedelta(days=2)):
            assert utcnow() < moment - timedelta(days=1)
        third = utcnow()
    assert moment < first < second < third < moment + timedelta(seconds=1)


def test_outside_the_block_the_clock_is_the_present():
    before = utcnow()
    with clock_at(datetime(2020, 1, 1)):
        pass
    assert utcnow() >= before > datetime(2025, 1, 1)
