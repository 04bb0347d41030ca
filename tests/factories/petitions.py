"""Petitions: a council with small rules, its clerk and an author, and builders for a
petition at each stage (draft, in moderation, open, threshold reached)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from participate.votes.closing import close_voting

SMALL_RULES = {"petition_minimum": 3, "petition_rate": 0, "petition_sponsors": 2}


def small_rules(council, **overrides):
    from participate.councils.services import new_constitution_version

    new_constitution_version(
        None, council, settings={**SMALL_RULES, **overrides}, reason="small rules for tests"
    )


@pytest.fixture
def world(make):
    councils = make.structure()
    council = councils["health-manchester"]
    small_rules(council)
    return SimpleNamespace(
        make=make,
        councils=councils,
        council=council,
        clerk=make.clerk(council, "clerk@example.org"),
        author=make.user("author@example.org", "Ada Author"),
    )


def draft(world, kind="early_scrutiny", council=None, settings=None, title=None):
    from participate.petitions import drafting

    return drafting.start_petition(
        world.author,
        council or world.council,
        kind=kind,
        title=title or "Inspect the out-of-hours GP service",
        change_text="Ask for an early inspection of the out-of-hours GP service.",
        reason_text="People waited over four hours on many Saturdays this year.",
        proposed_settings=settings,
    )


def in_moderation(world, **kw):
    from participate.petitions import sponsoring

    petition = draft(world, **kw)
    sponsoring.invite_sponsors(world.author, petition)
    while petition.status == "collecting_sponsors":
        sponsoring.sponsor_petition(world.make.user(), petition)
    return petition


def opened(world, **kw):
    from participate.petitions import moderating

    petition = in_moderation(world, **kw)
    moderating.publish(world.clerk, petition)
    return petition


# What a signer names when they declare (nothing is assumed for them): a local place of
# the council's area, and for an employee the service.
DECLARED = {
    "live": {"declaration": "live", "place": "manchester"},
    "work": {"declaration": "work", "place": "manchester", "service": "health"},
    "member": {"declaration": "member"},
}


def sign_many(world, petition, n, declaration="live", **user_kw):
    from participate.petitions.signing import sign_petition

    users = []
    for _ in range(n):
        user = world.make.user(**user_kw)
        sign_petition(user, petition.id, **DECLARED[declaration])
        users.append(user)
    return users


def reached(world, **kw):
    """An open petition signed up to its threshold (3): the threshold is reached at once."""
    petition = opened(world, **kw)
    signers = sign_many(world, petition, 3)
    from participate.extensions import db

    db.session.refresh(petition)
    assert petition.status == "threshold_reached"
    return petition, signers


def count_rows(db, model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def events(db, action: str) -> list:
    from participate.audit.models import AuditEvent

    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response.get_data(as_text=True)


def _passed_motion(world, db, *, passed=True):
    from participate.votes import services as votes
    from participate.votes.ballots import cast_ballot

    voters = []
    for constituency in ("citizen", "employee"):
        for _ in range(3):
            user = world.make.user()
            world.make.member(user, world.council, constituency)
            voters.append(user)
    motion = votes.open_motion(
        world.clerk,
        world.council,
        title="Adopt the petition",
        method="binary",
        closes_at=None,
        kind="governance",
    )
    for user in voters:
        cast_ballot(user, motion, choice="yes" if passed else "no")
    close_voting(world.clerk, motion)
    return motion
