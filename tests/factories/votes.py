"""Votes: health-manchester with a clerk and members; motions opened on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa


@pytest.fixture
def hm(make):
    return make_hm(make)


def make_hm(make):
    """health-manchester with a clerk and members in three constituencies."""
    councils = make.structure()
    council = councils["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    members = {
        "citizen": make.members(council, {"citizen": 4}),
        "employee": make.members(council, {"employee": 3}),
        "leader": make.members(council, {"leader": 2}),
    }
    return {"council": council, "clerk": clerk, "members": members, "councils": councils}


def later(days: int = 7):
    from participate.util import utcnow

    return (utcnow() + timedelta(days=days)).replace(microsecond=0)


def open_motion(hm, method="binary", **kw):
    from participate.votes import services

    options = kw.pop("options", ["Alpha", "Beta", "Gamma"] if method == "schulze" else None)
    return services.open_motion(
        hm["clerk"],
        hm["council"],
        title=kw.pop("title", f"A {method} motion"),
        method=method,
        options=options,
        closes_at=kw.pop("closes_at", later()),
        **kw,
    )


def counts(db, motion_id):
    from participate.votes.models import Ballot, MotionParticipation

    ballots = db.session.scalar(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.motion_id == motion_id)
    )
    participation = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MotionParticipation)
        .where(MotionParticipation.motion_id == motion_id)
    )
    return ballots, participation


def audit_actions(db, motion_id):
    from participate.audit.models import AuditEvent

    return db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.subject_type == "motion", AuditEvent.subject_id == motion_id)
        .order_by(AuditEvent.seq)
    ).all()
