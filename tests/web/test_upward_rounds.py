"""The upward flows through the rounds feature: a consultation on a round's agenda submits the
council's position with the motion's tally when the outcome is recorded; a proposal adopted in
a round is forwarded with that round's motion tally."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from tests.factories.upward import STATEMENT, build_world, forward


@pytest.fixture
def world(make):
    return build_world(make)


@pytest.fixture
def consultation(world):
    from participate.upward import consultations
    from participate.util import utcnow

    return consultations.publish_consultation(
        world.minister,
        world["health-england"],
        title="Same-day access standard for urgent GP appointments",
        body="Every practice offers a same-day assessment to any patient with an urgent need.",
        closes_at=utcnow() + timedelta(days=30),
    )


def _schedule():
    from participate.util import utcnow

    now = utcnow().replace(microsecond=0)
    phases = ("briefing", "discussion", "refinement", "voting", "outcome")
    return {p: now + timedelta(days=1 + i) for i, p in enumerate(phases)}


def _round(world, agenda):
    from participate.rounds import services

    return services.create_round(
        world.manchester_clerk,
        world["health-manchester"],
        title="Spring round",
        purpose="The council decides its answers to the national consultation.",
        agenda=agenda,
        schedule=_schedule(),
    )


def _vote_and_decide(world, round_, decision, reasons, choice="yes"):
    from participate.rounds.decisions import record_outcome
    from participate.rounds.lifecycle import advance_phase

    while round_.phase != "voting":
        advance_phase(world.manchester_clerk, round_)
    item = round_.items[0]
    for user in world.members["health-manchester"][:4]:
        cast_ballot(user, item.motion_id, choice=choice)
    advance_phase(world.manchester_clerk, round_)
    record_outcome(world.manchester_clerk, round_, item, decision=decision, reasons=reasons)
    return item


def test_a_consultation_decided_in_a_round_submits_the_position_with_its_tally(
    world, consultation, db
):
    from participate.upward.models import Position

    round_ = _round(world, [("consultation", consultation.id)])
    item = round_.items[0]
    assert item.kind == "consultation" and item.subject_url == f"/consultations/{consultation.id}"
    _vote_and_decide(
        world, round_, "adopted", "Amend: include community pharmacies in the same-day standard."
    )
    position = db.session.scalar(sa.select(Position))
    assert position.council_id == world["health-manchester"].id
    assert position.stance == "amend" and "community pharmacies" in position.text
    assert position.decided_by == f"round:{round_.id}"
    assert position.motion_id == item.motion_id
    assert position.tally["constituencies"]["citizen"]["voted"] == 3
    assert position.weight is not None and position.weight > 0


def test_a_rejected_consultation_item_is_an_opposition(world, consultation, db):
    from participate.upward.models import Position

    round_ = _round(world, [("consultation", consultation.id)])
    _vote_and_decide(
        world, round_, "rejected", "The council opposes it without more GP capacity.", choice="no"
    )
    assert db.session.scalar(sa.select(Position.stance)) == "oppose"


def test_only_a_consultation_sent_to_the_council_goes_on_its_agenda(world, consultation):
    from participate.errors import DomainError
    from participate.rounds import services

    with pytest.raises(DomainError) as refused:
        services.create_round(
            world.forum_clerk,
            world["forum-manchester"],
            title="Forum round",
            purpose="The forum discusses the national consultation.",
            agenda=[("consultation", consultation.id)],
            schedule=_schedule(),
        )
    assert "was not sent to" in refused.value.message


def test_the_round_page_offers_the_consultation_to_the_clerk(
    client, login_as, world, consultation, db
):
    from participate.proposals import services as proposals

    placeholder = proposals.create_proposal(
        world.manchester_clerk,
        world["health-manchester"],
        title="Walk-in clinic on Saturdays",
        body="Open the walk-in clinic on Saturday mornings.",
    )
    round_ = _round(world, [("proposal", placeholder.id)])
    login_as(world.manchester_clerk)
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f"consultation-{consultation.id}" in page
    response = client.post(
        f"/rounds/{round_.id}/agenda", data={"subject": f"consultation-{consultation.id}"}
    )
    assert response.status_code in (302, 303)
    db.session.refresh(round_)
    assert [i.kind for i in round_.items] == ["proposal", "consultation"]
    # once on an agenda it is not offered again
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f'value="consultation-{consultation.id}"' not in page


def test_a_proposal_adopted_in_a_round_is_forwarded_with_the_rounds_tally(world, db):
    from participate.proposals import services as proposals

    proposal = proposals.create_proposal(
        world.manchester_clerk,
        world["health-manchester"],
        title="Book GP appointments days ahead",
        body="Let patients book GP appointments days ahead.",
    )
    round_ = _round(world, [("proposal", proposal.id)])
    item = _vote_and_decide(world, round_, "adopted", "Adopted: the members voted for it.")
    db.session.refresh(proposal)
    assert proposal.status == "adopted"
    made = forward(world.manchester_clerk, proposal, ["health-north-west"], STATEMENT)[0]
    assert made.motion_id == item.motion_id
    assert made.tally["passed"] is True
