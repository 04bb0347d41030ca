"""Rounds: health-manchester with a clerk, members and proposals; a round started,
advanced and voted on."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot


@pytest.fixture
def hm(make):
    """health-manchester: a clerk, members in three constituencies and three open proposals
    (plus one in schools-manchester, another council)."""
    from participate.proposals import services as proposals

    councils = make.structure()
    council = councils["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    members = {
        "citizen": make.members(council, {"citizen": 4}),
        "employee": make.members(council, {"employee": 3}),
        "leader": make.members(council, {"leader": 2}),
    }
    titles = [
        "Open the walk-in centre on Saturdays",
        "Text reminders for outpatient appointments",
        "Weekend walk-in centre opening",
    ]
    authors = [members["citizen"][0], members["employee"][0], members["citizen"][1]]
    props = [
        proposals.create_proposal(
            author,
            council,
            title=title,
            body=f"{title}: the case for it, with figures from the last two winters.",
            themes=["access"],
        )
        for author, title in zip(authors, titles, strict=True)
    ]
    other = councils["schools-manchester"]
    outsider = make.user()
    make.member(outsider, other, "citizen")
    foreign = proposals.create_proposal(
        outsider,
        other,
        title="Breakfast clubs in every primary school",
        body="Every primary school in Manchester should run a breakfast club.",
    )
    return {
        "council": council,
        "clerk": clerk,
        "members": members,
        "proposals": props,
        "foreign": foreign,
        "councils": councils,
    }


def schedule(start_days: float = 1, step_days: float = 1):
    from participate.util import utcnow

    now = utcnow().replace(microsecond=0)
    phases = ("briefing", "discussion", "refinement", "voting", "outcome")
    return {p: now + timedelta(days=start_days + i * step_days) for i, p in enumerate(phases)}


def form_schedule(ends) -> dict:
    return {f"{p}_ends_at": e.strftime("%Y-%m-%dT%H:%M") for p, e in ends.items()}


def start_round(hm, *, items=None, title="Winter pressures on urgent care", ends=None):
    from participate.rounds import services

    agenda = items if items is not None else [("proposal", p.id) for p in hm["proposals"]]
    return services.create_round(
        hm["clerk"],
        hm["council"],
        title=title,
        purpose="Decide how the council answers **this winter's** pressures on urgent care.",
        agenda=agenda,
        schedule=ends or schedule(),
    )


def advance_to(hm, round_, phase):
    from participate.core.phases import PHASES
    from participate.rounds.lifecycle import advance_phase

    while PHASES.index(round_.phase) < PHASES.index(phase):
        advance_phase(hm["clerk"], round_)
    return round_


def counts(db):
    from participate.rounds.models import AgendaItem, PhaseChange, Round

    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in (Round, AgendaItem, PhaseChange)
    )


def audit_actions(db, round_id):
    from participate.audit.models import AuditEvent

    return db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.subject_type == "round", AuditEvent.subject_id == round_id)
        .order_by(AuditEvent.seq)
    ).all()


def vote_all(hm, round_, choice="yes", *, skip=()):
    from participate.votes import services as votes

    for item in round_.items:
        if item.motion_id is None:
            continue
        motion = votes.get_motion(item.motion_id)
        for group in hm["members"].values():
            for member in group:
                if member in skip:
                    continue
                if motion.method == "schulze":
                    cast_ballot(member, motion, ranking=list(motion.options))
                elif motion.method == "consent":
                    cast_ballot(member, motion, choice="consent")
                else:
                    cast_ballot(member, motion, choice=choice)
