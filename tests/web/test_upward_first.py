"""What matters first on the upward pages (issue 15): the answer from above leads the
proposal it answers, the forward preview counts supporters out of the members it will store,
and an open consultation's header never says "closed"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.upward import adopt, build_world, close_consultation, forward

REASONS = "Accepted: the national GP contract will require advance booking from April."


@pytest.fixture
def world(make):
    return build_world(make)


@pytest.fixture
def answered(world):
    """Manchester's adopted proposal, forwarded straight to England and answered there."""
    from participate.upward.answers import answer_cluster

    local = adopt(
        world.manchester_clerk,
        world["health-manchester"],
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead.",
        themes=["gp-access"],
        supporters=world.members["health-manchester"][:2],
    )
    sent = forward(world.manchester_clerk, local, ["health-england"])[0]
    answer_cluster(
        world.minister, world["health-england"], sent.cluster_id, kind="accept", reasons=REASONS
    )
    return local


def test_the_answer_from_above_leads_the_proposal_page(client, answered):
    html = client.get(f"/proposals/{answered.id}").get_data(as_text=True)
    lead = html.index('class="notice upward-answer')
    # before the proposal's own text and before the side column
    assert lead < html.index('class="proposal-body') < html.index('class="proposal-aside')
    notice = html[lead : html.index("</section>", lead)]
    assert "Accepted into national work" in notice and "advance booking from April" in notice
    assert "Health and care council, England" in notice or "England" in notice
    # the reasons are given once, not again in the side column
    assert html.count("advance booking from April") == 1


def test_no_answer_no_notice(client, world):
    local = adopt(
        world.manchester_clerk,
        world["health-manchester"],
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead.",
    )
    forward(world.manchester_clerk, local, ["health-england"])
    html = client.get(f"/proposals/{local.id}").get_data(as_text=True)
    assert "upward-answer" not in html and "waiting for an answer" in html


def test_the_forward_preview_counts_supporters_out_of_the_members(client, login_as, world):
    local = adopt(
        world.manchester_clerk,
        world["health-manchester"],
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead.",
        supporters=world.members["health-manchester"][:2],  # two citizens
    )
    login_as(world.manchester_clerk)
    html = client.get(f"/proposals/{local.id}/forward").get_data(as_text=True)
    assert "of 0" not in html
    assert "Citizens: <strong>2</strong> of 3" in html  # the fixture's three citizens
    # the same counts the forward stores and the receiving council sees
    sent = forward(world.manchester_clerk, local, ["health-england"])[0]
    assert sent.supports["citizen"] == 2 and sent.members["citizen"] == 3


def test_an_open_consultation_is_not_called_closed(client, world):
    from participate.upward import consultations
    from participate.util import utcnow

    made = consultations.publish_consultation(
        world.minister,
        world["health-england"],
        title="Same-day access standard for urgent GP appointments",
        body="Every practice offers a same-day assessment to any patient with an urgent need.",
        closes_at=utcnow() + timedelta(days=30),
    )
    html = client.get(f"/consultations/{made.id}").get_data(as_text=True)
    header = html[html.index('<header class="page-header') :].split("</header>")[0]
    assert "Open" in header and "answers until" in header
    assert "closed" not in header.lower()
    close_consultation(made)
    html = client.get(f"/consultations/{made.id}").get_data(as_text=True)
    header = html[html.index('<header class="page-header') :].split("</header>")[0]
    assert "Closed" in header and "answers until" not in header
