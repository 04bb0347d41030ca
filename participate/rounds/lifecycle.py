"""Moving a round through its phases: by a clerk's hand, or by its schedule.

A phase whose planned end has passed advances by itself the next time the round is read
or written (`sync_round`, called by every service that loads a round): no scheduler.

Each step is one guarded UPDATE::

    UPDATE rounds SET phase = :to, version = version + 1 ...
     WHERE id = :id AND phase = :from AND version = :version

taken as the first write of the transaction, so on PostgreSQL the second of two
concurrent steps waits for the first's row lock and then matches no row, and on SQLite
it waits for the database write lock and then matches no row. The phase log's unique
(round_id, to_phase) backs it up. The loser gets ``phase_already_current`` (a clerk) or
simply reads the winner's result (a lazy transition). Whatever a step does — open the
motions, close and tally them, defer undecided items, publish the minutes — happens in
the same transaction, so a step happens whole or not at all.

The phase machine calls down into `voting`, `outcomes` and `minutes`, never the other way:
the use cases that apply the schedule before acting (`services`, `agenda`, `briefing`,
`decisions`) are above it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

import participate.rounds.minutes as minutes
import participate.rounds.outcomes as outcomes
import participate.rounds.voting as voting
from participate.audit.services import record_event
from participate.core import phases
from participate.core.rules import RuleViolation
from participate.councils.access import require_round
from participate.errors import Conflict, DomainError
from participate.extensions import db
from participate.rounds.items import items_of, notify_members
from participate.rounds.models import PHASE_PURPOSES, PhaseChange, Round
from participate.util import utcnow

# How many times a lazy transition re-reads the round after losing a race.
_RETRIES = 5


class LostRace(Exception):
    """Another transaction moved the round first; the caller rolls back and re-reads."""


def effective_phase(round_: Round, now=None) -> str:
    """The phase the round is in by its schedule (its stored phase, or a later one)."""
    steps = phases.due_transitions(round_.phase, round_.planned_ends(), now or utcnow())
    return steps[-1] if steps else round_.phase


def sync_round(round_: Round, now=None) -> Round:
    """Apply the transitions the schedule makes due (by ``now``, default the present), in one
    transaction; commits if any."""
    at = now
    for _ in range(_RETRIES):
        now = at or utcnow()
        steps = phases.due_transitions(round_.phase, round_.planned_ends(), now)
        if not steps:
            return round_
        try:
            current = round_.phase
            for target in steps:
                step(round_, current, target, actor=None, now=now)
                current = target
            db.session.commit()
            return round_
        except LostRace:
            db.session.rollback()
            db.session.refresh(round_)
        except DomainError as error:
            # A step that cannot happen by itself (e.g. the constitution's voting rules are
            # unusable, so the motions cannot open) must not make the round unreadable: it
            # stays where it is, and the clerk who advances by hand sees the reason.
            db.session.rollback()
            db.session.refresh(round_)
            current_app.logger.warning(
                "round %s could not move on by its schedule: %s", round_.id, error.message
            )
            return round_
    return round_


def sync_due_rounds(now=None) -> int:
    """Apply every phase end that has passed by ``now``, whether or not anyone reads the round
    (the scheduled job's sweep; participate.jobs). Returns how many rounds moved. Each round
    moves in its own transaction through `sync_round`, so a second sweep at the same time
    moves nothing twice."""
    now = now or utcnow()
    passed = [
        sa.and_(Round.phase == phase, getattr(Round, f"{phase}_ends_at") <= now)
        for phase in phases.SCHEDULED_PHASES
    ]
    moved = 0
    for round_id in db.session.scalars(
        sa.select(Round.id).where(sa.or_(*passed)).order_by(Round.id)
    ).all():
        round_ = db.session.get(Round, round_id)
        if round_ is None:
            continue
        before = round_.phase
        sync_round(round_, now)
        moved += round_.phase != before
    return moved


def advance_phase(actor, round_: Round, *, expected: str | None = None) -> Round:
    """A clerk moves the round to its next phase (by hand, before the planned end).

    ``expected`` is the phase the clerk saw when asking; if the round has moved since
    (another clerk, or its schedule), nothing happens and the refusal says so.
    """
    sync_round(round_)
    current = round_.phase
    if expected is not None and expected != current:
        _refuse_stale(expected, current)
    try:
        target = phases.check_advance(current)
    except RuleViolation as violation:
        raise Conflict(violation.message, code=violation.code) from None
    require_round(round_, "advance_phase", actor)
    if current == "outcome":
        waiting = outcomes.undecided_items(round_)
        if waiting:
            titles = "; ".join(f"{i.position}. {i.title}" for i in waiting[:5])
            raise DomainError(
                f"Record a decision for every agenda item before closing the round: "
                f"{len(waiting)} still {'has' if len(waiting) == 1 else 'have'} none ({titles}).",
                code="outcomes_missing",
                status=409,
            )
    try:
        step(round_, current, target, actor=actor, now=utcnow())
        db.session.commit()
    except LostRace:
        db.session.rollback()
        db.session.refresh(round_)
        _refuse_stale(current, round_.phase)
        raise Conflict(
            "The round changed while you were advancing it. Reload it and try again.",
            code="phase_already_current",
        ) from None
    return round_


def _refuse_stale(expected: str, current: str) -> None:
    """The refusal for a clerk who asked to leave ``expected`` when the round is at ``current``."""
    if expected not in phases.PHASES or expected == phases.FINAL_PHASE:
        raise DomainError(
            f"The round is in the {current} phase; reload it to see what it allows.",
            code="phase_already_current",
            status=409,
        )
    target = phases.next_phase(expected)
    if target == current:
        try:
            phases.check_advance(current, target)
        except RuleViolation as violation:
            raise Conflict(violation.message, code=violation.code) from None
    if phases.PHASES.index(current) > phases.PHASES.index(expected):
        raise Conflict(
            f"The round has already moved on from {expected}: it is now in the {current} "
            "phase (another clerk or its schedule advanced it). Reload the round.",
            code="phase_already_current",
        )
    if expected != current:  # a guard naming a phase not reached yet moves nothing either
        raise Conflict(
            f"The round is in the {current} phase, not {expected}: nothing was changed. "
            f"Reload the round and advance it from {current}.",
            code="phase_not_current",
        )


def step(round_: Round, current: str, target: str, *, actor, now) -> None:
    """One guarded transition ``current`` -> ``target`` and everything it entails."""
    version = round_.version
    moved = db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id, Round.phase == current, Round.version == version)
        .values(
            phase=target,
            version=version + 1,
            phase_started_at=now,
            updated_at=now,
            closed_at=now if target == phases.FINAL_PHASE else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise LostRace()
    for name, value in (
        ("phase", target),
        ("version", version + 1),
        ("phase_started_at", now),
        ("updated_at", now),
        ("closed_at", now if target == phases.FINAL_PHASE else None),
    ):
        set_committed_value(round_, name, value)
    cause = "clerk" if actor is not None else "schedule"
    db.session.add(
        PhaseChange(
            round_id=round_.id,
            from_phase=current,
            to_phase=target,
            cause=cause,
            actor_id=getattr(actor, "id", None),
            at=now,
        )
    )
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise LostRace() from None
    _enter(round_, current, target, actor=actor, now=now)
    record_event(
        "round.phase_changed",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"title": round_.title, "from": current, "to": target, "by": cause},
    )
    notify_members(
        round_,
        "round_phase",
        phase_notice(round_.title, round_.council.name, target, round_.planned_end(target)),
        skip=actor,
    )


_NOW_IN = {
    "briefing": "is now in its briefing",
    "discussion": "is now in discussion",
    "refinement": "is now in refinement",
    "voting": "is now open for voting",
    "outcome": "has finished voting",
    "closed": "is closed",
}


def phase_notice(title: str, council_name: str, target: str, ends) -> str:
    """What members are told when a round moves to ``target``: one or two sentences."""
    when = f" until {ends:%-d %b %Y, %H:%M} UTC" if ends and target != "closed" else ""
    purpose = PHASE_PURPOSES[target]
    if target == "outcome":
        when = f"; the outcome phase runs{when}" if when else ""
    return f"The round “{title}” in {council_name} {_NOW_IN[target]}{when}. {purpose}"


def _enter(round_: Round, current: str, target: str, *, actor, now) -> None:
    """What a phase change does besides the phase itself."""
    if target == "voting":
        voting.open_motions(round_, items_of(round_), actor=actor, now=now)
    elif current == "voting":
        try:
            voting.close_motions(round_, items_of(round_), actor=actor)
        except Conflict:
            # A motion was closed by someone else meanwhile (votes rolled back): start over.
            raise LostRace() from None
    if target == phases.FINAL_PHASE:
        outcomes.defer_undecided(round_, now=now)
        minutes.publish(round_, now=now)
