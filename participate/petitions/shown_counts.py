"""The counts as pages and the API show them (totals, by constituency and place, milestones,
the chart), read from the live counter; named apart from `signature_counter`, which keeps
that counter, and `core.signature_batches`, its arithmetic.

Reading refreshes the counter when it is stale (`signature_counter.refresh`),
then reads the stored tallies. The tallies by constituency and place, the places' names and
the milestones, and the chart of signatures over time, change only with the counter's state
(a batch moves ``last_signature_id``; a recount or an invalidation moves ``epoch``), so each
process keeps them per counter state: during a surge a page view reads the counter row and,
once per batch, the rest. A kept copy is read again after a minute at most, so that a place
renamed by a structure import shows its new name on a petition that no longer moves.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from participate.core import signature_batches, signature_chart
from participate.councils.models import CONSTITUENCIES, Place
from participate.extensions import db
from participate.petitions import signature_counter
from participate.petitions.models import (
    Petition,
    PetitionCounter,
    PetitionMilestone,
    PetitionTally,
    Signature,
)
from participate.util import utcnow


@dataclass(frozen=True)
class PlaceRef:
    """A place as the counts show it."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Milestone:
    """When the count first reached ``milestone`` (or the threshold)."""

    milestone: int
    is_threshold: bool
    reached_at: datetime


@dataclass
class Counts:
    total: int
    threshold: int | None
    by_constituency: dict[str, int]
    by_place: list[tuple[PlaceRef, int]]
    milestones: list[Milestone]
    refreshed_at: datetime | None
    last_signature_id: int = 0
    epoch: int = 0

    @property
    def progress(self) -> float:
        return signature_batches.progress(self.total, self.threshold)


@dataclass(frozen=True)
class _Stored:
    """What the tables hold for one counter state: tallies, places and milestones."""

    by_constituency: dict[str, int]
    by_place: list[tuple[PlaceRef, int]]
    milestones: list[Milestone]


def _small_tallies(petition_id: int) -> dict[str, dict[str, int]]:
    """Counts by constituency and by place (the hourly ones are only read for the chart)."""
    tallies: dict[str, dict[str, int]] = {"constituency": {}, "place": {}}
    for dimension, key, n in db.session.execute(
        sa.select(PetitionTally.dimension, PetitionTally.key, PetitionTally.count).where(
            PetitionTally.petition_id == petition_id,
            PetitionTally.dimension.in_(("constituency", "place")),
        )
    ):
        if n:
            tallies[dimension][key] = n
    return tallies


def hourly_tallies(petition_id: int) -> dict[str, int]:
    return {
        key: n
        for key, n in db.session.execute(
            sa.select(PetitionTally.key, PetitionTally.count).where(
                PetitionTally.petition_id == petition_id, PetitionTally.dimension == "hour"
            )
        )
        if n
    }


def _read_stored(petition_id: int) -> _Stored:
    tallies = _small_tallies(petition_id)
    place_counts = tallies["place"]
    places = (
        {
            row.id: PlaceRef(row.id, row.slug, row.name)
            for row in db.session.execute(
                sa.select(Place.id, Place.slug, Place.name).where(
                    Place.id.in_([int(k) for k in place_counts])
                )
            )
        }
        if place_counts
        else {}
    )
    by_place = sorted(
        ((places[int(k)], n) for k, n in place_counts.items() if int(k) in places),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    milestones = [
        Milestone(m.milestone, m.is_threshold, m.reached_at)
        for m in db.session.execute(
            sa.select(
                PetitionMilestone.milestone,
                PetitionMilestone.is_threshold,
                PetitionMilestone.reached_at,
            )
            .where(PetitionMilestone.petition_id == petition_id)
            .order_by(PetitionMilestone.milestone)
        )
    ]
    return _Stored(
        by_constituency={c: tallies["constituency"].get(c, 0) for c in CONSTITUENCIES},
        by_place=by_place,
        milestones=milestones,
    )


_KEPT = 256  # counter states kept per process, in each of the caches below


def _keep(cache: OrderedDict, key: tuple, value) -> None:
    """Add ``value`` to a per-process cache, dropping its oldest entries past ``_KEPT``."""
    cache[key] = value
    while len(cache) > _KEPT:
        cache.popitem(last=False)


_STORED: OrderedDict[tuple, tuple[float, _Stored]] = OrderedDict()
_STORED_SECONDS = 60.0


def counts_for(petition: Petition, *, refresh_now: bool = True) -> Counts:
    """The petition's counts for a page or the API, refreshing the batch when stale."""
    state = None
    if petition.is_published and refresh_now:
        state = signature_counter.refresh(petition.id)
    if state is None:
        state = signature_counter.current(petition.id)
    # Everything below changes only with the counter's state. ``opened_at`` tells apart a
    # petition that took the id of a deleted one (SQLite reuses the highest ids).
    key = (petition.id, petition.opened_at, state.last_signature_id, state.epoch)
    now = time.monotonic()
    kept = _STORED.get(key) if petition.opened_at is not None else None
    if kept is not None and now - kept[0] < _STORED_SECONDS:
        stored = kept[1]
    else:
        stored = _read_stored(petition.id)
        if petition.opened_at is not None:
            _keep(_STORED, key, (now, stored))
    return Counts(
        total=state.count,
        threshold=petition.threshold,
        by_constituency=dict(stored.by_constituency),
        by_place=list(stored.by_place),
        milestones=list(stored.milestones),
        refreshed_at=state.refreshed_at,
        last_signature_id=state.last_signature_id,
        epoch=state.epoch,
    )


_CHARTS: OrderedDict[tuple, signature_chart.Chart] = OrderedDict()


def chart_for(
    petition: Petition, counts: Counts, now: datetime | None = None
) -> signature_chart.Chart | None:
    """The chart of signatures over time (None before publication), cached per counter state."""
    if petition.opened_at is None:
        return None
    now = now or utcnow()
    end = petition.closed_at or min(now, petition.signing_deadline or now)
    key = (
        petition.id,
        counts.last_signature_id,
        counts.epoch,
        petition.threshold,
        petition.opened_at,
        end.replace(minute=0, second=0, microsecond=0),
    )
    chart = _CHARTS.get(key)
    if chart is None:
        chart = signature_chart.chart(
            hourly_tallies(petition.id), petition.opened_at, end, threshold=petition.threshold
        )
        _keep(_CHARTS, key, chart)
    else:
        _CHARTS.move_to_end(key)
    return chart


def refresh_listed(petition_ids: list[int], now: datetime | None = None) -> None:
    """Before a list shows counts: refresh the stale counters that have new signatures.

    One query finds which petitions have signatures past their counter; only those refresh.
    """
    if not petition_ids:
        return
    now = now or utcnow()
    newest = (
        sa.select(Signature.petition_id, sa.func.max(Signature.id).label("top"))
        .where(Signature.petition_id.in_(petition_ids))
        .group_by(Signature.petition_id)
        .subquery()
    )
    behind = db.session.execute(
        sa.select(PetitionCounter.petition_id, PetitionCounter.refreshed_at)
        .join(newest, newest.c.petition_id == PetitionCounter.petition_id)
        .where(newest.c.top > PetitionCounter.last_signature_id)
    ).all()
    for petition_id, refreshed_at in behind:
        if signature_batches.is_stale(refreshed_at, now):
            signature_counter.refresh(petition_id, now=now)
