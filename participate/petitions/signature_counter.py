"""The live signature counter of each petition: the `PetitionCounter` row and its tallies,
kept in batches, never by a read-modify-write per signature.

A signature is one INSERT into ``signatures``. The count shown is the counter row
(`PetitionCounter`): the number of valid signatures with ``id <= last_signature_id``.
A read that finds the counter older than `BATCH_SECONDS` counts what was added since
(``petition_id = ? AND id > last``, grouped by constituency, place and hour) and applies
it with a guarded UPDATE (``WHERE last_signature_id = old AND epoch = old``): whichever
process wins applies the batch once; the others see the new row.

The batch may only count ids whose transactions have all finished, or a signature that
commits late with a smaller id would be skipped for ever:

- SQLite has one writer at a time, so ids commit in order: max(id) is settled.
- PostgreSQL hands out ids from a sequence and commits in any order, so every signing
  transaction holds a shared advisory lock on its petition until it commits, and the
  batch reads max(id) under the exclusive lock: it waits for the signers in flight
  (a few milliseconds) and no signature with a smaller id can appear afterwards.

A clerk's invalidation and ``participate petitions reconcile`` recount from the
signatures table and bump ``epoch``, so a batch counted before them is not applied
(`participate.petitions.recount`). What a batch crosses (milestones, the threshold) is
recorded by `participate.petitions.milestones`; what pages show is read by
`participate.petitions.shown_counts`; the arithmetic is `participate.core.signature_batches`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from participate.core import petitions as rules
from participate.core import signature_batches
from participate.extensions import db
from participate.petitions.milestones import reach_threshold, record_milestones
from participate.petitions.models import (
    Petition,
    PetitionCounter,
    PetitionTally,
    Signature,
)
from participate.util import utcnow

LOCK_NAMESPACE = 0x5E71


def is_postgres() -> bool:
    # Cached on the app: asking the session for its bind costs more than a signature's INSERT.
    extensions = current_app.extensions
    name = extensions.get("petitions.dialect")
    if name is None:
        name = extensions["petitions.dialect"] = db.engine.dialect.name
    return name == "postgresql"


def hour_key(column):
    """SQL for the ``YYYY-MM-DD HH`` bucket of a timestamp column."""
    if is_postgres():
        return sa.func.to_char(column, "YYYY-MM-DD HH24")
    return sa.func.strftime("%Y-%m-%d %H", column)


def lock_for_recount(petition_id: int) -> None:
    """Inside a recounting transaction: wait for signers in flight, hold new ones back.

    Each signature holds the shared form of this lock until it commits (``_LOCK`` in
    signing.py)."""
    if is_postgres():
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:ns, :pid)"),
            {"ns": LOCK_NAMESPACE, "pid": petition_id},
        )


def max_signature_id(executor, petition_id: int) -> int:
    return (
        executor.execute(
            sa.select(sa.func.max(Signature.id)).where(Signature.petition_id == petition_id)
        ).scalar()
        or 0
    )


def settled_max_id(petition_id: int) -> int:
    """The largest signature id below which no signature can still appear."""
    if not is_postgres():
        return max_signature_id(db.session, petition_id)
    # A short transaction of its own, so the exclusive lock is released at once.
    with db.engine.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:ns, :pid)"),
            {"ns": LOCK_NAMESPACE, "pid": petition_id},
        )
        highest = max_signature_id(connection, petition_id)
        connection.commit()
    return highest


# ---------------------------------------------------------------- reading


@dataclass
class CounterState:
    count: int = 0
    last_signature_id: int = 0
    epoch: int = 0
    refreshed_at: datetime | None = None


def counter_state(petition_id: int) -> CounterState | None:
    row = db.session.execute(
        sa.select(
            PetitionCounter.count,
            PetitionCounter.last_signature_id,
            PetitionCounter.epoch,
            PetitionCounter.refreshed_at,
        ).where(PetitionCounter.petition_id == petition_id)
    ).first()
    return CounterState(*row) if row else None


def current(petition_id: int) -> CounterState:
    """The counter as stored (zero before the petition's first batch)."""
    return counter_state(petition_id) or CounterState()


def ensure_counter(petition_id: int) -> None:
    """Create the petition's counter row (inside the caller's transaction) if it is missing."""
    if counter_state(petition_id) is None:
        db.session.add(
            PetitionCounter(
                petition_id=petition_id,
                count=0,
                last_signature_id=0,
                epoch=0,
                refreshed_at=datetime(2000, 1, 1),
            )
        )
        db.session.flush()


def stored_tallies(petition_id: int) -> dict[str, dict[str, int]]:
    tallies: dict[str, dict[str, int]] = {d: {} for d in signature_batches.DIMENSIONS}
    for dimension, key, n in db.session.execute(
        sa.select(PetitionTally.dimension, PetitionTally.key, PetitionTally.count).where(
            PetitionTally.petition_id == petition_id
        )
    ):
        if n:
            tallies[dimension][key] = n
    return tallies


def grouped(petition_id: int, *, after: int, upto: int) -> signature_batches.Batch:
    """Valid signatures with after < id <= upto, grouped by constituency, place and hour."""
    hour = hour_key(Signature.created_at)
    rows = db.session.execute(
        sa.select(Signature.constituency, Signature.place_id, hour, sa.func.count())
        .where(
            Signature.petition_id == petition_id,
            Signature.id > after,
            Signature.id <= upto,
            Signature.invalidated_at.is_(None),
        )
        .group_by(Signature.constituency, Signature.place_id, hour)
    ).all()
    return signature_batches.summarise_batch(
        signature_batches.BatchRow(c, p, h, n) for c, p, h, n in rows
    )


def _add_tallies(petition_id: int, by: dict[str, dict[str, int]]) -> None:
    rows = [
        {"petition_id": petition_id, "dimension": d, "key": k, "count": n}
        for d, counts in by.items()
        for k, n in counts.items()
        if n
    ]
    if not rows:
        return
    if is_postgres():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(PetitionTally)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["petition_id", "dimension", "key"],
            set_={"count": PetitionTally.count + statement.excluded.count},
        ),
        rows,
    )


def set_tallies(petition_id: int, by: dict[str, dict[str, int]]) -> None:
    db.session.execute(sa.delete(PetitionTally).where(PetitionTally.petition_id == petition_id))
    _add_tallies(petition_id, by)


# ---------------------------------------------------------------- the batch refresh


def refresh(petition_id: int, *, force: bool = False, now: datetime | None = None) -> CounterState:
    """Count the signatures added since the last batch, if the counter is stale (or ``force``).

    Returns the counter as it stands afterwards. At most one process applies a batch;
    the others find the guard changed and read the result. Commits when it writes.
    """
    now = now or utcnow()
    state = counter_state(petition_id)
    if state is None:
        ensure_counter(petition_id)
        db.session.commit()
        state = counter_state(petition_id)
        assert state is not None
    if not force and not signature_batches.is_stale(state.refreshed_at, now):
        return state
    highest = settled_max_id(petition_id)
    if highest <= state.last_signature_id:
        # Nothing new: the stored count is exact now (nothing is written).
        return CounterState(state.count, state.last_signature_id, state.epoch, now)
    batch = grouped(petition_id, after=state.last_signature_id, upto=highest)
    meta = db.session.execute(
        sa.select(Petition.threshold, Petition.status).where(Petition.id == petition_id)
    ).one()
    applied = db.session.execute(
        sa.update(PetitionCounter)
        .where(
            PetitionCounter.petition_id == petition_id,
            PetitionCounter.last_signature_id == state.last_signature_id,
            PetitionCounter.epoch == state.epoch,
        )
        .values(
            count=PetitionCounter.count + batch.total,
            last_signature_id=highest,
            refreshed_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if applied != 1:
        db.session.rollback()
        return counter_state(petition_id) or state
    _add_tallies(petition_id, batch.by)
    crossings = signature_batches.milestone_positions(
        state.count, batch.total, rules.DEFAULT_MILESTONES, threshold=meta.threshold
    )
    reached = record_milestones(
        petition_id, meta.threshold, crossings, after=state.last_signature_id, now=now
    )
    if meta.threshold in reached and meta.status == "open":
        reach_threshold(petition_id, reached[meta.threshold], now)
    db.session.commit()
    return CounterState(state.count + batch.total, highest, state.epoch, now)


def catch_up(now: datetime | None = None) -> int:
    """Bring every stale counter with uncounted signatures up to date, whether or not anyone
    reads the petition (the scheduled job; participate.jobs), so milestones and a reached
    threshold are recorded on time. Each batch is applied once, under `refresh`'s guard.
    Returns how many counters moved."""
    now = now or utcnow()
    behind = db.session.scalars(
        sa.select(PetitionCounter.petition_id)
        .where(
            sa.exists().where(
                Signature.petition_id == PetitionCounter.petition_id,
                Signature.id > PetitionCounter.last_signature_id,
            )
        )
        .order_by(PetitionCounter.petition_id)
    ).all()
    moved = 0
    for petition_id in behind:
        before = counter_state(petition_id)
        after = refresh(petition_id, now=now)
        moved += before is not None and after.last_signature_id != before.last_signature_id
    return moved


def check_after_signature(petition_id: int, cached: int, threshold: int | None) -> None:
    """Right after a signature near the threshold: recount now, so the crossing is prompt.

    One cheap count of the signatures past the last batch; the full batch refresh runs
    only when they reach the threshold.
    """
    state = counter_state(petition_id)
    if state is None:
        return
    tail = db.session.scalar(
        sa.select(sa.func.count()).where(
            Signature.petition_id == petition_id,
            Signature.id > state.last_signature_id,
            Signature.invalidated_at.is_(None),
        )
    )
    if threshold is not None and state.count + (tail or 0) >= threshold:
        refresh(petition_id, force=True)
