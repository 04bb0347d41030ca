"""What pages and the API show of a petition's counts: read from the batch counter.

Reading refreshes the counter when it is stale (participate.petitions.counters.refresh),
then reads the stored tallies. The chart of signatures over time is computed from the
hourly tallies only when the counter has moved (cached per process, keyed by the
counter's state), so a page view during a surge costs a few indexed reads.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from participate.core import petition_counts as pc
from participate.councils.models import CONSTITUENCIES, Place
from participate.extensions import db
from participate.petitions import counters
from participate.petitions.models import (
    Petition,
    PetitionCounter,
    PetitionMilestone,
    PetitionTally,
    Signature,
)
from participate.util import utcnow


@dataclass
class Counts:
    total: int
    threshold: int | None
    by_constituency: dict[str, int]
    by_place: list[tuple[Place, int]]
    milestones: list[PetitionMilestone]
    refreshed_at: datetime | None
    last_signature_id: int = 0
    epoch: int = 0

    @property
    def progress(self) -> float:
        return pc.progress(self.total, self.threshold)


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


def counts_for(petition: Petition, *, refresh_now: bool = True) -> Counts:
    """The petition's counts for a page or the API, refreshing the batch when stale."""
    state = None
    if petition.is_published and refresh_now:
        state = counters.refresh(petition.id)
    if state is None:
        state = counters.current(petition.id)
    tallies = _small_tallies(petition.id)
    place_counts = tallies["place"]
    places = (
        {
            p.id: p
            for p in db.session.scalars(
                sa.select(Place).where(Place.id.in_([int(k) for k in place_counts]))
            )
        }
        if place_counts
        else {}
    )
    by_place = sorted(
        ((places[int(k)], n) for k, n in place_counts.items() if int(k) in places),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    milestones = list(
        db.session.scalars(
            sa.select(PetitionMilestone)
            .where(PetitionMilestone.petition_id == petition.id)
            .order_by(PetitionMilestone.milestone)
        )
    )
    return Counts(
        total=state.count,
        threshold=petition.threshold,
        by_constituency={c: tallies["constituency"].get(c, 0) for c in CONSTITUENCIES},
        by_place=by_place,
        milestones=milestones,
        refreshed_at=state.refreshed_at,
        last_signature_id=state.last_signature_id,
        epoch=state.epoch,
    )


_CHARTS: OrderedDict[tuple, pc.Chart] = OrderedDict()
_CHARTS_KEPT = 256


def chart_for(petition: Petition, counts: Counts, now: datetime | None = None) -> pc.Chart | None:
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
        chart = pc.chart(
            hourly_tallies(petition.id), petition.opened_at, end, threshold=petition.threshold
        )
        _CHARTS[key] = chart
        while len(_CHARTS) > _CHARTS_KEPT:
            _CHARTS.popitem(last=False)
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
        if pc.is_stale(refreshed_at, now):
            counters.refresh(petition_id, now=now)
