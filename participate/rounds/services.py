"""Round use cases: reading rounds (applying their schedule first) and creating one.

The rest of a round's life is in the module named for it: the phase machine in `lifecycle`,
the agenda's changes in `agenda`, the evidence pack and questions in `briefing` (read with
`evidence`), the voting method and the outcome in `decisions` (the motions in `voting`,
a decision's effects in `outcomes`), the record in `minutes` and `participation`. Callers
import each function from the module that defines it. Every use case takes the acting
user and owns its transaction; nothing partial is written on a refusal.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import phases
from participate.core.rules import CLERKS, RuleViolation, role_refusal
from participate.councils.access import refusal, role_in, text_field
from participate.councils.models import Council
from participate.errors import DomainError, commit_or_conflict
from participate.extensions import db
from participate.markup import render_markdown
from participate.rounds.agenda import add_item, parse_agenda
from participate.rounds.items import (
    load_round,
    notify_members,
)
from participate.rounds.lifecycle import sync_round
from participate.rounds.models import AgendaItem, Round
from participate.util import utcnow

TITLE_LIMIT = 200
PURPOSE_LIMIT = 20_000


# ---------------------------------------------------------------- reading


def get_round(round_id) -> Round:
    """The round, moved on first if a planned end has passed (no scheduler needed)."""
    return sync_round(load_round(round_id))


def rounds_of(council: Council) -> list[Round]:
    """The council's rounds, newest first, each moved on by its schedule if due."""
    rounds = list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.council_id == council.id)
            .order_by(Round.created_at.desc(), Round.id.desc())
        )
    )
    for round_ in rounds:
        if not round_.is_closed:
            sync_round(round_)
    return rounds


def rounds_by_phase(council: Council) -> dict[str, list[Round]]:
    grouped: dict[str, list[Round]] = {phase: [] for phase in phases.PHASES}
    for round_ in rounds_of(council):
        grouped[round_.phase].append(round_)
    return grouped


def petitions_to_answer(council: Council) -> list:
    """Petitions past their threshold that the council must answer and that are not on the
    agenda of a round yet (the candidates for a new agenda)."""
    from participate.petitions.reading import must_answer

    taken = set(
        db.session.scalars(
            sa.select(AgendaItem.petition_id)
            .join(Round, Round.id == AgendaItem.round_id)
            .where(
                Round.council_id == council.id,
                Round.phase != phases.FINAL_PHASE,
                AgendaItem.petition_id.is_not(None),
            )
        )
    )
    return [p for p in must_answer(council) if p.id not in taken]


# ---------------------------------------------------------------- creating


def _schedule(planned_ends, now: datetime, *, from_phase: str = phases.FIRST_PHASE):
    try:
        return phases.validate_schedule(planned_ends or {}, now, from_phase=from_phase)
    except RuleViolation as violation:
        phase = violation.details.get("phase")
        field = f"{phase}_ends_at" if phase in phases.SCHEDULED_PHASES else "schedule"
        raise DomainError(violation.message, code=violation.code, field=field) from None


def create_round(
    actor,
    council: Council,
    *,
    title,
    purpose,
    agenda,
    schedule: dict[str, datetime],
) -> Round:
    """A clerk starts a round in briefing with an agenda (in order) and a planned end for
    each phase. Proposals on the agenda become ``on_agenda``; the members are told.

    ``agenda``: ``[("proposal", id) | ("petition", id), ...]`` (or ``{"proposal": id}``).
    """
    role = role_in(actor, council)
    if role != "clerk":
        raise refusal(role_refusal(role, CLERKS, "run deliberation rounds"))
    title = text_field(title, field="title", label="round's title", limit=TITLE_LIMIT, minimum=5)
    purpose = text_field(
        purpose,
        field="purpose",
        label="purpose",
        limit=PURPOSE_LIMIT,
        hint="Say what the round is to decide and why now.",
    )
    now = utcnow()
    ends = _schedule(schedule, now)
    parsed = parse_agenda(agenda)
    try:
        round_ = Round(
            council_id=council.id,
            title=title,
            purpose=purpose,
            purpose_html=render_markdown(purpose),
            phase=phases.FIRST_PHASE,
            version=1,
            phase_started_at=now,
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
            **{f"{phase}_ends_at": end for phase, end in ends.items()},
        )
        db.session.add(round_)
        db.session.flush()
        for position, (kind, subject_id) in enumerate(parsed, start=1):
            add_item(actor, round_, kind, subject_id, position)
        record_event(
            "round.created",
            actor=actor,
            council=council,
            subject=round_,
            data={
                "title": title,
                "agenda": [f"{kind}:{sid}" for kind, sid in parsed],
                "schedule": {p: e.isoformat() for p, e in ends.items()},
            },
        )
        notify_members(
            round_,
            "round_created",
            f"{council.name} opened the round “{title}”: the briefing runs until "
            f"{ends['briefing']:%-d %b %Y, %H:%M} UTC. Read the evidence and ask your questions.",
            skip=actor,
        )
    except Exception:
        db.session.rollback()
        raise
    commit_or_conflict(
        "An item of this agenda was taken by another round at the same moment. Reload and "
        "choose again."
    )
    return round_
