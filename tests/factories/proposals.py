"""Proposals: a council with a clerk, members and an outsider; one open proposal."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from participate.proposals import services

BODY = "Practices should share **evening hubs** so every neighbourhood has a GP until 8pm."


@pytest.fixture
def world(make):
    councils = make.structure()
    hm = councils["health-manchester"]
    author = make.user(name="Amina Author")
    make.member(author, hm, "citizen")
    member = make.user(name="Tom Member")
    make.member(member, hm, "employee")
    leader = make.user(name="Grace Leader")
    make.member(leader, hm, "leader")
    clerk = make.clerk(hm)
    account = make.user(name="Olive Account")  # signed in, not a member
    return SimpleNamespace(
        councils=councils,
        council=hm,
        author=author,
        member=member,
        leader=leader,
        clerk=clerk,
        account=account,
    )


@pytest.fixture
def proposal(world):
    return services.create_proposal(
        world.author,
        world.council,
        title="Evening GP appointments",
        body=BODY,
        themes="GP access, waiting times",
    )


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def page_of(client, proposal_id: int) -> str:
    response = client.get(f"/proposals/{proposal_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)
