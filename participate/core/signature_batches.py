"""The arithmetic of counting a petition's signatures in batches (DESIGN.md §4).

A petition's shown count lives in a counter row that is refreshed in batches: a read
that finds the counter older than `BATCH_SECONDS` counts the signatures added since the
last batch and applies the difference once (`participate.petitions.signature_counter`).
The functions here are that scheme's arithmetic: when a counter is stale, what a batch
adds by constituency, place and hour, which milestones it crosses and at which signature,
and what a recount repairs.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .petitions import DEFAULT_MILESTONES

# A counter older than this is recounted by the next read (the shown count lags by at most
# about this much under a surge).
BATCH_SECONDS = 2.0
# After a signature, a petition whose cached count is this close to its threshold is
# recounted at once, so that reaching the threshold is noticed without waiting for a batch.
NEAR_THRESHOLD_MARGIN = 25

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


def crossed_milestones(
    previous_count: int,
    new_count: int,
    milestones: Iterable[int] = DEFAULT_MILESTONES,
    *,
    threshold: int | None = None,
) -> list[int]:
    """The milestones (and the threshold) passed by going from one count to another.

    A milestone m is crossed when ``previous_count < m <= new_count``; ascending, no
    repeats. A falling count (invalidated signatures) crosses nothing.
    """
    marks = set(milestones)
    if threshold is not None:
        marks.add(threshold)
    return sorted(m for m in marks if previous_count < m <= new_count)


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
