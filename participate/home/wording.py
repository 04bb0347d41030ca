"""Times in words for the agenda: "in 2 days", "3 weeks ago", "for 4 months", "on 24 Apr 2027".

Plain Python (naive UTC datetimes in, words out), so the wording is tested without an app.
"""

from __future__ import annotations

from datetime import datetime

_DAY = 86400


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def span(seconds: float) -> str:
    """A duration rounded to a unit a person reads at a glance: minutes, hours, days,
    weeks (from 14 days), months (from 10 weeks)."""
    seconds = abs(seconds)
    if seconds < 3600 - 30:
        return _plural(max(1, round(seconds / 60)), "minute")
    if seconds < _DAY - 1800:
        return _plural(round(seconds / 3600), "hour")
    days = round(seconds / _DAY)
    if days < 14:
        return _plural(days, "day")
    if days < 70:
        return _plural(round(days / 7), "week")
    return _plural(round(days / 30.4), "month")


def until(moment: datetime, now: datetime) -> str:
    """'in 2 days' for a moment ahead ('on 24 Apr 2027' beyond ten weeks), '3 days ago'
    for one past."""
    seconds = (moment - now).total_seconds()
    if seconds >= 70 * _DAY:
        return f"on {moment:%-d %b %Y}"
    return f"in {span(seconds)}" if seconds >= 0 else f"{span(seconds)} ago"


def waited(moment: datetime, now: datetime) -> str:
    """'for 13 weeks': how long something has waited since ``moment``."""
    return f"for {span((now - moment).total_seconds())}"


def quoted(title: str) -> str:
    """A title in curly quotes, unless it holds quotes of its own (no quotes in quotes)."""
    return title if any(q in title for q in '“”"') else f"“{title}”"
