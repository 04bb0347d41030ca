"""What matters first on a proposal's page (issue 15): the author is not offered to support
their own proposal, "Propose an amendment" is offered once, and a comment's stance is the
person's choice (no stance chosen for them, a clear message when none is given)."""

from __future__ import annotations

import sqlalchemy as sa

from participate.proposals.models import Comment
from tests.conftest import api_token, htmx_headers
from tests.factories import proposals as factory
from tests.factories.proposals import count, page_of

world = factory.world  # the fixture (tests/factories/proposals.py)
proposal = factory.proposal  # the fixture (tests/factories/proposals.py)

SUPPORT_BUTTON = "Support this proposal</button>"


def test_the_author_is_not_offered_to_support_their_own_proposal(client, login_as, world, proposal):
    login_as(world.author)
    html = page_of(client, proposal.id)
    assert SUPPORT_BUTTON not in html
    assert "You proposed this" in html
    login_as(world.member)
    assert SUPPORT_BUTTON in page_of(client, proposal.id)


def test_propose_an_amendment_is_offered_once(client, login_as, world, proposal):
    login_as(world.member)
    html = page_of(client, proposal.id)
    assert html.count(">Propose an amendment</a>") == 1


def test_no_stance_is_chosen_for_the_person(client, login_as, world, proposal):
    login_as(world.member)
    html = page_of(client, proposal.id)
    form = html[html.index('class="comment-form"') :].split("</form>")[0]
    assert 'name="stance"' in form and "checked" not in form
    assert 'name="stance" value="for" required' in form


def test_a_comment_without_a_stance_is_refused_with_a_clear_message(
    client, db, login_as, world, proposal
):
    login_as(world.member)
    url = f"/proposals/{proposal.id}/comments"
    plain = client.post(url, data={"body": "Who staffs it?"})
    assert plain.status_code == 400
    html = plain.get_data(as_text=True)
    assert "Choose a stance: for, against, neutral or question." in html
    form = html[html.index('class="comment-form"') :].split("</form>")[0]
    assert "Who staffs it?" in form and "checked" not in form  # kept, and still no stance
    fragment = client.post(url, data={"body": "Who staffs it?"}, headers=htmx_headers())
    assert fragment.status_code == 400
    assert "Choose a stance" in fragment.get_data(as_text=True)
    assert count(db, Comment) == 0


def test_the_api_requires_a_stance_too(client, db, world, proposal):
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/comments",
        json={"body": "Who staffs it?"},
        headers=api_token(world.member),
    )
    assert response.status_code == 400
    assert "stance" in response.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
