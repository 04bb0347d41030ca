"""Counting petition signatures in batches, and drawing the count over time (DESIGN.md §4).

A petition's shown count lives in a counter row that is refreshed in batches: a read
that finds the counter older than `BATCH_SECONDS` counts the signatures added since the
last batch and applies the difference once. The functions here are the arithmetic of
that scheme (what a batch adds, which milestones it crosses and at which signature),
and the geometry of the chart of signatures over time, drawn on the server as SVG.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .petitions import crossed_milestones

# A counter older than this is recounted by the next read (the shown count lags by at most
# about this much under a surge).
BATCH_SECONDS = 2.0
# After a signature, a petition whose cached count is this close to its threshold is
# recounted at once, so that reaching the threshold is noticed without waiting for a batch.
NEAR_THRESHOLD_MARGIN = 25
# Signatures stop at the deadline; the petition is closed (when short of its threshold) only
# this long after it, so a signature accepted just before the deadline is counted first.
CLOSE_GRACE = timedelta(seconds=5)

DIMENSIONS: tuple[str, ...] = ("constituency", "place", "hour")
HOUR_FORMAT = "%Y-%m-%d %H"


def is_stale(refreshed_at: datetime | None, now: datetime, max_age: float = BATCH_SECONDS) -> bool:
    """Whether a counter refreshed at ``refreshed_at`` should be recounted at ``now``."""
    if refreshed_at is None:
        return True
    return (now - refreshed_at).total_seconds() >= max_age


def near_threshold(
    cached_count: int, threshold: int | None, margin: int = NEAR_THRESHOLD_MARGIN
) -> bool:
    """Whether a cached count is within ``margin`` signatures of the threshold (and below it)."""
    if threshold is None:
        return False
    return cached_count < threshold <= cached_count + margin


def merge_counts(old: Mapping[str, int], delta: Mapping[str, int]) -> dict[str, int]:
    """Add a batch's counts to the stored counts; keys whose count falls to 0 are dropped."""
    merged = dict(old)
    for key, n in delta.items():
        merged[key] = merged.get(key, 0) + n
    return {k: v for k, v in merged.items() if v}


@dataclass(frozen=True)
class BatchRow:
    """One group of a batch: how many valid signatures share a constituency, place and hour."""

    constituency: str
    place_id: int
    hour: str
    n: int


@dataclass
class Batch:
    """What a batch of new signatures adds, by dimension (`DIMENSIONS`)."""

    total: int = 0
    by: dict[str, dict[str, int]] = field(default_factory=lambda: {d: {} for d in DIMENSIONS})


def summarise_batch(rows: Iterable[BatchRow]) -> Batch:
    """Fold GROUP BY (constituency, place, hour) rows into totals per dimension."""
    batch = Batch()
    for row in rows:
        if row.n <= 0:
            continue
        batch.total += row.n
        for dimension, key in (
            ("constituency", row.constituency),
            ("place", str(row.place_id)),
            ("hour", row.hour),
        ):
            counts = batch.by[dimension]
            counts[key] = counts.get(key, 0) + row.n
    return batch


def tally_changes(
    stored: Mapping[str, Mapping[str, int]], true: Mapping[str, Mapping[str, int]]
) -> list[tuple[str, str, int, int]]:
    """(dimension, key, stored, true) for every count that differs: what a reconcile repairs."""
    changes = []
    for dimension in DIMENSIONS:
        have, want = stored.get(dimension, {}), true.get(dimension, {})
        for key in sorted(set(have) | set(want)):
            if have.get(key, 0) != want.get(key, 0):
                changes.append((dimension, key, have.get(key, 0), want.get(key, 0)))
    return changes


def milestone_positions(
    previous_count: int,
    batch_total: int,
    milestones: Iterable[int],
    *,
    threshold: int | None = None,
) -> list[tuple[int, int]]:
    """(milestone, position) for each milestone a batch crosses.

    ``position`` is the 1-based rank, in signing order, of the batch's valid signature
    that reached the milestone: the service looks that signature up to record the exact
    time the milestone (or the threshold) was crossed, however late the batch ran.
    """
    if batch_total <= 0:
        return []
    crossed = crossed_milestones(
        previous_count, previous_count + batch_total, milestones, threshold=threshold
    )
    return [(m, m - previous_count) for m in crossed]


def progress(count: int, threshold: int | None) -> float:
    """The share of the threshold reached, from 0 to 1."""
    if not threshold or threshold <= 0:
        return 0.0
    return max(0.0, min(1.0, count / threshold))


# --- sorting and filtering the list ------------------------------------------

SORTS: Mapping[str, str] = {
    "most_signed": "Most signed",
    "newest": "Newest",
    "closing_soon": "Closing soon",
}
DEFAULT_SORT = "most_signed"


def sort_or_default(value: str | None) -> str:
    """A known sort key, or the default for anything else."""
    return value if value is not None and value in SORTS else DEFAULT_SORT


# --- the chart of signatures over time ---------------------------------------


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
    """``YYYY-MM-DD HH`` (`HOUR_FORMAT`); by slicing, as strptime is slow for thousands of keys."""
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
