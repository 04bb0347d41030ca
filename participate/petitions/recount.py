"""Full recounts: rebuild a petition's counter, tallies and milestones from the signatures
table. A clerk's invalidation recounts at once (and moves the counter's epoch on, so a
batch counted before it is not applied); ``participate petitions reconcile`` and the
nightly job recount every published petition and repair any drift, with an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import petitions as rules
from participate.core import signature_batches
from participate.extensions import db
from participate.petitions.milestones import reach_threshold, record_milestones
from participate.petitions.models import (
    Petition,
    PetitionCounter,
    PetitionMilestone,
    Signature,
)
from participate.petitions.signature_counter import (
    counter_state,
    ensure_counter,
    grouped,
    lock_for_recount,
    max_signature_id,
    set_tallies,
    stored_tallies,
)
from participate.util import utcnow


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
    state = counter_state(petition_id)
    assert state is not None
    stored = stored_tallies(petition_id)
    covered = grouped(petition_id, after=0, upto=state.last_signature_id)
    highest = max_signature_id(db.session, petition_id)
    newer = grouped(petition_id, after=state.last_signature_id, upto=max(highest, 0))
    true_by = {
        d: signature_batches.merge_counts(covered.by[d], newer.by[d])
        for d in signature_batches.DIMENSIONS
    }
    total = covered.total + newer.total
    result = Recount(
        petition_id=petition_id,
        title=petition.title,
        before=state.count,
        after=total,
        drift=state.count - covered.total,
        caught_up=newer.total,
        tally_changes=signature_batches.tally_changes(stored, covered.by),
    )
    known = set(
        db.session.scalars(
            sa.select(PetitionMilestone.milestone).where(
                PetitionMilestone.petition_id == petition_id
            )
        )
    )
    marks = signature_batches.crossed_milestones(
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
        set_tallies(petition_id, true_by)
    # Milestones: every mark at or below the true count that has no record yet.
    reached = record_milestones(petition_id, petition.threshold, missing, after=0, now=now)
    result.milestones_recorded = sorted(reached)
    if petition.threshold in reached and petition.status == "open":
        result.threshold_reached = reach_threshold(petition_id, reached[petition.threshold], now)
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
