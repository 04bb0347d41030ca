"""Signature counts kept in batches, never by a read-modify-write per signature.

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
signatures table and bump ``epoch``, so a batch counted before them is not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from participate.audit.services import record_event
from participate.core import petition_counts as pc
from participate.core import petitions as rules
from participate.extensions import db
from participate.notifications.models import Notification
from participate.notifications.services import notify
from participate.petitions.models import (
    Petition,
    PetitionCounter,
    PetitionMilestone,
    PetitionTally,
    Signature,
)
from participate.util import utcnow

# First key of the two-int advisory locks that serialise counting against signing (PostgreSQL).
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


def _max_id(executor, petition_id: int) -> int:
    return (
        executor.execute(
            sa.select(sa.func.max(Signature.id)).where(Signature.petition_id == petition_id)
        ).scalar()
        or 0
    )


def settled_max_id(petition_id: int) -> int:
    """The largest signature id below which no signature can still appear."""
    if not is_postgres():
        return _max_id(db.session, petition_id)
    # A short transaction of its own, so the exclusive lock is released at once.
    with db.engine.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:ns, :pid)"),
            {"ns": LOCK_NAMESPACE, "pid": petition_id},
        )
        highest = _max_id(connection, petition_id)
        connection.commit()
    return highest


# ---------------------------------------------------------------- reading


@dataclass
class CounterState:
    count: int = 0
    last_signature_id: int = 0
    epoch: int = 0
    refreshed_at: datetime | None = None


def _counter(petition_id: int) -> CounterState | None:
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
    return _counter(petition_id) or CounterState()


def ensure_counter(petition_id: int) -> None:
    """Create the petition's counter row (inside the caller's transaction) if it is missing."""
    if _counter(petition_id) is None:
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
    tallies: dict[str, dict[str, int]] = {d: {} for d in pc.DIMENSIONS}
    for dimension, key, n in db.session.execute(
        sa.select(PetitionTally.dimension, PetitionTally.key, PetitionTally.count).where(
            PetitionTally.petition_id == petition_id
        )
    ):
        if n:
            tallies[dimension][key] = n
    return tallies


def _grouped(petition_id: int, *, after: int, upto: int) -> pc.Batch:
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
    return pc.summarise_batch(pc.BatchRow(c, p, h, n) for c, p, h, n in rows)


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


def _set_tallies(petition_id: int, by: dict[str, dict[str, int]]) -> None:
    db.session.execute(sa.delete(PetitionTally).where(PetitionTally.petition_id == petition_id))
    _add_tallies(petition_id, by)


# ---------------------------------------------------------------- milestones and the threshold


def _nth_valid(petition_id: int, position: int, *, after: int = 0) -> tuple[int, datetime] | None:
    """The ``position``-th (1-based) valid signature after id ``after``, in signing order."""
    row = db.session.execute(
        sa.select(Signature.id, Signature.created_at)
        .where(
            Signature.petition_id == petition_id,
            Signature.id > after,
            Signature.invalidated_at.is_(None),
        )
        .order_by(Signature.id)
        .offset(position - 1)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def _record_milestones(
    petition_id: int,
    threshold: int | None,
    crossings: list[tuple[int, int]],
    *,
    after: int,
    now: datetime,
) -> dict[int, datetime]:
    """Record each (milestone, position) not yet recorded; return milestone -> time reached."""
    if not crossings:
        return {}
    known = set(
        db.session.scalars(
            sa.select(PetitionMilestone.milestone).where(
                PetitionMilestone.petition_id == petition_id
            )
        )
    )
    reached: dict[int, datetime] = {}
    for milestone, position in crossings:
        found = _nth_valid(petition_id, position, after=after)
        if found is None:  # pragma: no cover - the batch counted it
            continue
        signature_id, at = found
        reached[milestone] = at
        if milestone in known:
            continue
        db.session.add(
            PetitionMilestone(
                petition_id=petition_id,
                milestone=milestone,
                is_threshold=milestone == threshold,
                reached_at=at,
                signature_id=signature_id,
                recorded_at=now,
            )
        )
    db.session.flush()
    return reached


def _reach_threshold(petition_id: int, at: datetime, now: datetime) -> bool:
    """open -> threshold_reached (system): record the time, set the response deadline, tell people."""
    from participate.councils.services import clerks_of, settings_of

    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.status != "open":
        return False
    rules.check_transition(petition.status, "threshold_reached", rules.SYSTEM)
    council = petition.council
    days = int(settings_of(council).get("petition_response_days") or rules.DEFAULT_RESPONSE_DAYS)
    due = rules.response_deadline(at, days)
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition_id, Petition.status == "open")
        .values(status="threshold_reached", threshold_reached_at=at, response_due_at=due)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        return False
    db.session.refresh(petition)
    record_event(
        "petition.threshold_reached",
        council=council,
        subject=petition,
        data={"threshold": petition.threshold, "reached_at": at, "response_due_at": due},
    )
    link = f"/petitions/{petition_id}"
    clerk_ids = [m.user_id for m in clerks_of(council)]
    told = set(clerk_ids) | {petition.author_id}
    notify(
        clerk_ids,
        "petition_threshold",
        f"The petition “{petition.title}” reached its threshold of {petition.threshold:,} "
        f"signatures. {council.name} must answer it by {due:%-d %B %Y}.",
        link,
        email=True,
    )
    notify(
        [petition.author_id],
        "petition_threshold",
        f"Your petition “{petition.title}” reached its threshold: {council.name} must answer "
        f"it by {due:%-d %B %Y}.",
        link,
        email=True,
    )
    notify_signers(
        petition_id,
        "petition_threshold",
        f"The petition “{petition.title}” you signed reached its threshold: {council.name} "
        f"must answer it by {due:%-d %B %Y}.",
        link,
        exclude=told,
        now=now,
    )
    return True


def notify_signers(
    petition_id: int, kind: str, text: str, link: str, *, exclude=(), now: datetime | None = None
) -> None:
    """One notification per valid signer, written by one INSERT ... SELECT (no N+1)."""
    select = sa.select(
        Signature.user_id,
        sa.literal(kind),
        sa.literal(text),
        sa.literal(link),
        sa.literal(now or utcnow(), sa.DateTime),
    ).where(Signature.petition_id == petition_id, Signature.invalidated_at.is_(None))
    excluded = sorted(set(exclude))
    if excluded:
        select = select.where(Signature.user_id.not_in(excluded))
    db.session.execute(
        sa.insert(Notification).from_select(
            ["user_id", "kind", "text", "link", "created_at"], select
        )
    )


# ---------------------------------------------------------------- the batch refresh


def refresh(petition_id: int, *, force: bool = False, now: datetime | None = None) -> CounterState:
    """Count the signatures added since the last batch, if the counter is stale (or ``force``).

    Returns the counter as it stands afterwards. At most one process applies a batch;
    the others find the guard changed and read the result. Commits when it writes.
    """
    now = now or utcnow()
    state = _counter(petition_id)
    if state is None:
        ensure_counter(petition_id)
        db.session.commit()
        state = _counter(petition_id)
        assert state is not None
    if not force and not pc.is_stale(state.refreshed_at, now):
        return state
    highest = settled_max_id(petition_id)
    if highest <= state.last_signature_id:
        # Nothing new: the stored count is exact now (nothing is written).
        return CounterState(state.count, state.last_signature_id, state.epoch, now)
    batch = _grouped(petition_id, after=state.last_signature_id, upto=highest)
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
        return _counter(petition_id) or state
    _add_tallies(petition_id, batch.by)
    crossings = pc.milestone_positions(
        state.count, batch.total, rules.DEFAULT_MILESTONES, threshold=meta.threshold
    )
    reached = _record_milestones(
        petition_id, meta.threshold, crossings, after=state.last_signature_id, now=now
    )
    if meta.threshold in reached and meta.status == "open":
        _reach_threshold(petition_id, reached[meta.threshold], now)
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
        before = _counter(petition_id)
        after = refresh(petition_id, now=now)
        moved += before is not None and after.last_signature_id != before.last_signature_id
    return moved


def check_after_signature(petition_id: int, cached: int, threshold: int | None) -> None:
    """Right after a signature near the threshold: recount now, so the crossing is prompt.

    One cheap count of the signatures past the last batch; the full batch refresh runs
    only when they reach the threshold.
    """
    state = _counter(petition_id)
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


# ---------------------------------------------------------------- full recounts


@dataclass
class Recount:
    petition_id: int
    title: str
    before: int
    after: int
    drift: int  # stored count minus the true count of what the counter claimed to cover
    caught_up: int  # signatures the counter had not reached yet
    tally_changes: list[tuple[str, str, int, int]] = field(default_factory=list)
    milestones_recorded: list[int] = field(default_factory=list)
    threshold_reached: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.drift
            or self.tally_changes
            or self.caught_up
            or self.milestones_recorded
            or self.threshold_reached
        )


def recount(petition_id: int, *, now: datetime | None = None, invalidated: bool = False) -> Recount:
    """Rebuild the counter, tallies and milestones from the signatures table (caller commits).

    Runs under the recount lock, so no signature is in flight while it counts. With nothing
    to repair it writes nothing, unless ``invalidated``: then the epoch always moves on, so a
    batch counted before the invalidation (with those signatures still valid) is not applied.
    """
    now = now or utcnow()
    lock_for_recount(petition_id)
    ensure_counter(petition_id)
    petition = db.session.execute(
        sa.select(Petition.title, Petition.threshold, Petition.status).where(
            Petition.id == petition_id
        )
    ).one()
    state = _counter(petition_id)
    assert state is not None
    stored = stored_tallies(petition_id)
    covered = _grouped(petition_id, after=0, upto=state.last_signature_id)
    highest = _max_id(db.session, petition_id)
    newer = _grouped(petition_id, after=state.last_signature_id, upto=max(highest, 0))
    true_by = {d: pc.merge_counts(covered.by[d], newer.by[d]) for d in pc.DIMENSIONS}
    total = covered.total + newer.total
    result = Recount(
        petition_id=petition_id,
        title=petition.title,
        before=state.count,
        after=total,
        drift=state.count - covered.total,
        caught_up=newer.total,
        tally_changes=pc.tally_changes(stored, covered.by),
    )
    known = set(
        db.session.scalars(
            sa.select(PetitionMilestone.milestone).where(
                PetitionMilestone.petition_id == petition_id
            )
        )
    )
    marks = rules.crossed_milestones(
        0, total, rules.DEFAULT_MILESTONES, threshold=petition.threshold
    )
    missing = [(m, m) for m in marks if m not in known]
    if not (invalidated or result.drift or result.tally_changes or result.caught_up or missing):
        return result  # nothing to repair: the counter row stays exactly as it is
    db.session.execute(
        sa.update(PetitionCounter)
        .where(PetitionCounter.petition_id == petition_id)
        .values(
            count=total,
            last_signature_id=max(highest, state.last_signature_id),
            epoch=PetitionCounter.epoch + 1,
            refreshed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if invalidated or result.tally_changes or newer.total:
        _set_tallies(petition_id, true_by)
    # Milestones: every mark at or below the true count that has no record yet.
    reached = _record_milestones(petition_id, petition.threshold, missing, after=0, now=now)
    result.milestones_recorded = sorted(reached)
    if petition.threshold in reached and petition.status == "open":
        result.threshold_reached = _reach_threshold(petition_id, reached[petition.threshold], now)
    return result


def reconcile(petition_ids: list[int] | None = None) -> list[Recount]:
    """Recount every published petition (or those given) and repair drift; one commit each."""
    query = sa.select(Petition.id).order_by(Petition.id)
    if petition_ids:
        query = query.where(Petition.id.in_(petition_ids))
    else:
        query = query.where(
            sa.or_(
                Petition.opened_at.is_not(None),
                sa.exists().where(Signature.petition_id == Petition.id),
            )
        )
    results = []
    for petition_id in db.session.scalars(query).all():
        result = recount(petition_id)
        if result.drift or result.tally_changes:
            petition = db.session.get(Petition, petition_id)
            record_event(
                "petition.counts_repaired",
                council=petition.council_id if petition else None,
                subject=petition,
                data={
                    "before": result.before,
                    "after": result.after,
                    "drift": result.drift,
                    "tallies": [list(c) for c in result.tally_changes],
                },
            )
        db.session.commit()
        results.append(result)
    return results
