"""The chart of a petition's signatures over time, drawn on the server as SVG: the hourly
tallies regrouped into hours, days or weeks, and the geometry of the cumulative line.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Geometry of a cumulative line chart in a ``width`` × ``height`` viewBox."""

    width: int
    height: int
    points: str  # SVG polyline points "x,y x,y ..."
    area: str  # SVG path of the area under the line
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    threshold_y: float | None
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    series: tuple[tuple[str, int, int], ...]  # (label, added, cumulative) per step
    step: str  # "hour" | "day" | "week"
    total: int


def _parse_hour(key: str) -> datetime:
    """``YYYY-MM-DD HH`` (`signature_batches.HOUR_FORMAT`); by slicing, as strptime is slow for thousands of keys."""
    return datetime(int(key[0:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]))


def choose_step(span: timedelta) -> str:
    """Hourly steps for a short petition, daily up to ~four months, weekly beyond."""
    if span <= timedelta(days=3):
        return "hour"
    if span <= timedelta(days=120):
        return "day"
    return "week"


def _floor(moment: datetime, step: str) -> datetime:
    hour = moment.replace(minute=0, second=0, microsecond=0)
    if step == "hour":
        return hour
    day = hour.replace(hour=0)
    if step == "day":
        return day
    return day - timedelta(days=day.weekday())


_STEP_DELTA = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def _label(moment: datetime, step: str) -> str:
    if step == "hour":
        return moment.strftime("%-d %b %H:00")
    if step == "day":
        return moment.strftime("%-d %b")
    return "w/c " + moment.strftime("%-d %b")


def cumulative_series(
    hourly: Mapping[str, int], start: datetime, end: datetime
) -> tuple[str, list[tuple[datetime, int, int]]]:
    """Regroup hourly counts (keys ``YYYY-MM-DD HH``) into steps from ``start`` to ``end``.

    Returns the step name and (step start, added in the step, running total) for every
    step, including empty ones, so the line is drawn to scale in time.
    """
    if end < start:
        end = start
    step = choose_step(end - start)
    delta = _STEP_DELTA[step]
    added: dict[datetime, int] = {}
    for key, n in hourly.items():
        moment = _floor(_parse_hour(key), step)
        added[moment] = added.get(moment, 0) + n
    first = _floor(min([start, *added]) if added else start, step)
    last = _floor(max([end, *added]) if added else end, step)
    series: list[tuple[datetime, int, int]] = []
    total = 0
    moment = first
    # A petition lasts months, not years: at most a few hundred steps.
    while moment <= last and len(series) < 2000:
        n = added.get(moment, 0)
        total += n
        series.append((moment, n, total))
        moment += delta
    return step, series


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * exponent >= value:
            return int(math.ceil(factor * exponent))
    return int(10 * exponent)  # pragma: no cover


def chart(
    hourly: Mapping[str, int],
    start: datetime,
    end: datetime,
    *,
    threshold: int | None = None,
    width: int = 640,
    height: int = 240,
) -> Chart:
    """The cumulative count over time as SVG geometry, scaled to show the threshold too."""
    step, series = cumulative_series(hourly, start, end)
    total = series[-1][2] if series else 0
    left, top, right, bottom = 56.0, 12.0, width - 12.0, height - 32.0
    top_value = nice_ceiling(max(total, threshold or 0, 1) * 1.05)
    n = len(series)

    def x_at(i: int) -> float:
        return left if n <= 1 else left + (right - left) * i / (n - 1)

    def y_at(value: float) -> float:
        return bottom - (bottom - top) * value / top_value

    coords = [(x_at(i), y_at(cum)) for i, (_m, _a, cum) in enumerate(series)]
    if len(coords) == 1:
        coords.append((right, coords[0][1]))
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    area = (
        f"M{coords[0][0]:.1f},{bottom:.1f} "
        + " ".join(f"L{x:.1f},{y:.1f}" for x, y in coords)
        + f" L{coords[-1][0]:.1f},{bottom:.1f} Z"
    )
    y_ticks = tuple(
        Tick(round(y_at(top_value * i / 4), 1), f"{round(top_value * i / 4):,}") for i in range(5)
    )
    wanted = min(6, n)
    x_ticks = tuple(
        Tick(round(x_at(i), 1), _label(series[i][0], step))
        for i in sorted({round(j * (n - 1) / max(wanted - 1, 1)) for j in range(wanted)})
    )
    threshold_y = round(y_at(threshold), 1) if threshold else None
    return Chart(
        width=width,
        height=height,
        points=points,
        area=area,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        threshold_y=threshold_y,
        plot=(left, top, right, bottom),
        series=tuple((_label(m, step), a, c) for m, a, c in series),
        step=step,
        total=total,
    )
