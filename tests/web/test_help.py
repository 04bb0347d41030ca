"""How this works (issue 15): a short page per role, public, linked from where the question
arises (the vote page near the weights, the petition near its threshold, the inbox)."""

from __future__ import annotations

import pytest

from participate.help.views import ROLES
from tests.factories import votes as factory

hm = factory.hm  # the fixture (tests/factories/votes.py)


def test_the_index_links_every_role(client):
    html = client.get("/help").get_data(as_text=True)
    for role in ROLES:
        assert f'href="/help/{role}"' in html


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_page_explains_the_platform(client, role):
    response = client.get(f"/help/{role}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for anchor in ("council", "weights", "petitions", "flows"):
        assert f'id="{anchor}"' in html
    assert "same weight" in html and "must put it on the agenda" in html
    assert "ringmaster" not in html and "<h3" not in html  # no skipped heading level
    assert f'href="/help/{role}"' not in html  # the others, not itself


def test_an_unknown_role_is_not_found(client):
    assert client.get("/help/dentist").status_code == 404


def test_the_help_is_linked_where_the_question_arises(client, make):
    make.structure()
    inbox = client.get("/councils/health-north-west/inbox").get_data(as_text=True)
    assert 'href="/help/minister#flows"' in inbox


def test_the_vote_rules_link_to_why_votes_are_weighted(client, hm):
    from tests.factories.votes import open_motion

    motion = open_motion(hm)
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'href="/help/citizen#weights"' in page
