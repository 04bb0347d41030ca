"""Moving a round on asks for confirmation first (issue 15): the first post shows what will
happen with Confirm and Cancel, and changes nothing; only the confirmed post acts. Works as
plain forms, without JavaScript."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import rounds as factory
from tests.factories.rounds import advance_to, start_round

hm = factory.hm  # the fixture (tests/factories/rounds.py)


def test_advancing_asks_first_and_acts_only_when_confirmed(client, db, login_as, hm):
    from participate.rounds.models import PhaseChange

    round_ = start_round(hm)
    login_as(hm["clerk"])
    ask = client.post(f"/rounds/{round_.id}/advance", data={"from_phase": "briefing"})
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Move to discussion?" in html
    assert "moves from briefing to discussion" in html and "never goes back" in html
    form = re.search(
        rf'<form method="post" action="/rounds/{round_.id}/advance".*?</form>', html, re.S
    )
    assert form, html
    assert 'name="from_phase" value="briefing"' in form.group(0)
    assert 'name="confirm" value="yes"' in form.group(0)
    assert f'href="/rounds/{round_.id}"' in form.group(0) and "Cancel" in form.group(0)
    db.session.refresh(round_)
    assert round_.phase == "briefing"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PhaseChange)) == 0

    done = client.post(
        f"/rounds/{round_.id}/advance", data={"from_phase": "briefing", "confirm": "yes"}
    )
    assert done.status_code == 302
    db.session.refresh(round_)
    assert round_.phase == "discussion"


def test_a_member_gets_no_confirmation_page_but_a_refusal(client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["members"]["citizen"][0])
    response = client.post(f"/rounds/{round_.id}/advance", data={"from_phase": "briefing"})
    assert response.status_code == 403
    assert "Move to discussion?" not in response.get_data(as_text=True)
    db.session.refresh(round_)
    assert round_.phase == "briefing"


def test_recording_a_decision_asks_first(client, db, login_as, hm):
    from tests.factories.rounds import advance_to

    round_ = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    advance_to(hm, round_, "outcome")
    item = round_.items[0]
    login_as(hm["clerk"])
    url = f"/rounds/{round_.id}/items/{item.id}/outcome"
    data = {"decision": "deferred", "reasons": "Nobody voted: take it to the spring round."}
    ask = client.post(url, data=data)
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Record this decision?" in html
    assert "Decisions are final" in html and "take it to the spring round" in html
    assert 'name="decision" value="deferred"' in html and 'name="confirm" value="yes"' in html
    db.session.refresh(item)
    assert item.decision is None
    done = client.post(url, data={**data, "confirm": "yes"})
    assert done.status_code == 302
    db.session.refresh(item)
    assert item.decision == "deferred"


def test_a_decision_that_would_be_refused_is_refused_before_the_confirmation(
    client, db, login_as, hm
):
    round_ = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    advance_to(hm, round_, "outcome")
    item = round_.items[0]
    login_as(hm["clerk"])
    url = f"/rounds/{round_.id}/items/{item.id}/outcome"
    # Too short: the clerk hears it now, not after confirming a decision that cannot be taken.
    response = client.post(url, data={"decision": "deferred", "reasons": "Later."})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Record this decision?" not in html
    assert "The reasons for the decision are too short" in html
    db.session.refresh(item)
    assert item.decision is None
