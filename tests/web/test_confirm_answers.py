"""Answering a cluster of the inbox, or a petition, asks for confirmation first (issue 15): an
answer is final. The first post shows what will happen and writes nothing; only the confirmed
post answers. Plain forms without JavaScript (and, for the inbox, an htmx panel in place)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import htmx_headers, login
from tests.factories.upward import adopt, build_world, forward

REASONS = "Accepted: the national GP contract will require advance booking from April."


@pytest.fixture
def world(make):
    return build_world(make)


@pytest.fixture
def cluster(world):
    local = adopt(
        world.manchester_clerk,
        world["health-manchester"],
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead.",
    )
    return forward(world.manchester_clerk, local, ["health-england"])[0].cluster_id


def _answers(db) -> int:
    from participate.upward.models import Answer

    return db.session.scalar(sa.select(sa.func.count()).select_from(Answer))


def test_answering_a_cluster_asks_first_and_acts_only_when_confirmed(
    client, db, login_as, world, cluster
):
    login_as(world.minister)
    url = f"/councils/health-england/inbox/clusters/{cluster}/answer"
    ask = client.post(url, data={"kind": "accept", "reasons": REASONS})
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Send this answer?" in html
    assert "Accepted into national work" in html and "advance booking from April" in html
    assert "1 proposal of this cluster" in html and "cannot be changed or taken back" in html
    form = re.search(rf'<form method="post" action="{url}".*?</form>', html, re.S)
    assert form, html
    assert 'name="kind" value="accept"' in form.group(0)
    assert 'name="confirm" value="yes"' in form.group(0)
    assert f'href="/councils/health-england/inbox/clusters/{cluster}"' in form.group(0)
    assert _answers(db) == 0

    done = client.post(url, data={"kind": "accept", "reasons": REASONS, "confirm": "yes"})
    assert done.status_code == 303
    assert _answers(db) == 1


def test_a_bad_answer_is_refused_before_the_confirmation(client, db, login_as, world, cluster):
    login_as(world.minister)
    url = f"/councils/health-england/inbox/clusters/{cluster}/answer"
    response = client.post(url, data={"kind": "accept", "reasons": "Fine."})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "(at least 10 characters)" in html
    assert "Send this answer?" not in html
    assert _answers(db) == 0


def test_someone_who_may_not_answer_gets_a_refusal_not_a_confirmation(
    client, db, login_as, world, cluster
):
    login_as(world.regional_clerk)
    response = client.post(
        f"/councils/health-england/inbox/clusters/{cluster}/answer",
        data={"kind": "accept", "reasons": REASONS},
    )
    assert response.status_code == 403
    assert "Send this answer?" not in response.get_data(as_text=True)
    assert _answers(db) == 0


def test_with_htmx_the_confirmation_replaces_the_answer_panel(client, db, login_as, world, cluster):
    login_as(world.minister)
    url = f"/councils/health-england/inbox/clusters/{cluster}/answer"
    ask = client.post(url, data={"kind": "decline", "reasons": REASONS}, headers=htmx_headers())
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="answer"') and "Send this answer?" in html
    assert f'data-hx-post="{url}"' in html and 'data-hx-target="#answer"' in html
    assert _answers(db) == 0
    done = client.post(
        url, data={"kind": "decline", "reasons": REASONS, "confirm": "yes"}, headers=htmx_headers()
    )
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and 'id="answer"' in text and "Declined" in text
    assert _answers(db) == 1


# ---------------------------------------------------------------- a petition's answer

RESPONSE = "The council asked for an inspection in January and will report back in March."


@pytest.fixture
def reached(make):
    """A petition at its threshold and its council's clerk (tests/factories/petitions.py)."""
    from types import SimpleNamespace

    from tests.factories import petitions

    councils = make.structure()
    council = councils["health-manchester"]
    petitions.small_rules(council)
    pworld = SimpleNamespace(
        make=make,
        councils=councils,
        council=council,
        clerk=make.clerk(council, "clerk@example.org"),
        author=make.user("author@example.org", "Ada Author"),
    )
    petition, _signers = petitions.reached(pworld)
    return petition, pworld.clerk


def test_answering_a_petition_asks_first_and_acts_only_when_confirmed(client, db, reached):
    petition, clerk = reached
    login(client, clerk)
    url = f"/petitions/{petition.id}/respond"
    data = {"decision": "rejected", "response_text": RESPONSE}
    ask = client.post(url, data=data)
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Publish the council&#39;s response?" in html
    assert "Not adopted" in html and "report back in March" in html
    assert "the petition closes" in html and "cannot be changed" in html
    form = re.search(rf'<form method="post" action="{url}".*?</form>', html, re.S)
    assert form, html
    assert 'name="decision" value="rejected"' in form.group(0)
    assert 'name="confirm" value="yes"' in form.group(0)
    assert f'href="/petitions/{petition.id}"' in form.group(0)
    db.session.refresh(petition)
    assert petition.status == "threshold_reached"

    done = client.post(url, data={**data, "confirm": "yes"})
    assert done.status_code == 303
    db.session.refresh(petition)
    assert petition.status == "closed" and petition.response_decision == "rejected"


def test_a_too_short_petition_answer_is_refused_before_the_confirmation(client, db, reached):
    petition, clerk = reached
    login(client, clerk)
    response = client.post(
        f"/petitions/{petition.id}/respond", data={"decision": "adopted", "response_text": "ok"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "at least 20 characters" in html
    assert "response?" not in html
    db.session.refresh(petition)
    assert petition.status == "threshold_reached"
