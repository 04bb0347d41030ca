"""Closing voting early asks for confirmation first (issue 15): the first post shows what will
happen and changes nothing; only the confirmed post closes. Plain forms, no JavaScript."""

from __future__ import annotations

from tests.factories import votes as factory
from tests.factories.votes import open_motion

hm = factory.hm  # the fixture (tests/factories/votes.py)


def test_closing_asks_first_and_acts_only_when_confirmed(client, db, login_as, hm):
    motion = open_motion(hm)
    login_as(hm["clerk"])
    ask = client.post(f"/motions/{motion.id}/close")
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Close voting now?" in html
    assert "nobody can vote after this" in html and "cannot be undone" in html
    assert f'action="/motions/{motion.id}/close"' in html and 'name="confirm" value="yes"' in html
    assert f'href="/motions/{motion.id}"' in html
    db.session.refresh(motion)
    assert motion.status == "open"

    done = client.post(f"/motions/{motion.id}/close", data={"confirm": "yes"})
    assert done.status_code == 303
    db.session.refresh(motion)
    assert motion.status == "closed"


def test_a_member_gets_a_refusal_not_a_confirmation(client, db, login_as, hm):
    motion = open_motion(hm)
    login_as(hm["members"]["citizen"][0])
    response = client.post(f"/motions/{motion.id}/close")
    assert response.status_code == 403
    db.session.refresh(motion)
    assert motion.status == "open"
