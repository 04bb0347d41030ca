"""Only the motion that decided a governance petition applies it (issue 13, finding 2).

A clerk used to apply a petition with any passed motion of the council: ``POST
/petitions/5/apply motion_id=1`` with an unrelated motion made a new constitution version.
The deciding motion is the one the council's answer recorded (the petition's agenda item
in the round that answered it); the page shows it instead of asking for a number.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import petitions as shared
from tests.factories.petitions import _passed_motion, page, reached

world = shared.world  # the fixture, shared with test_petitions.py


def _versions(db, council) -> int:
    from participate.councils.models import ConstitutionVersion

    return db.session.scalar(
        sa.select(sa.func.count()).where(ConstitutionVersion.council_id == council.id)
    )


def _decided(world, db, *, passed=True):
    """A constitution-change petition answered by a motion (passed or not), and an
    unrelated motion of the same council that passed."""
    from participate.petitions import answering

    petition, _ = reached(world, kind="constitution_change", settings={"quorum": 0.2})
    unrelated = _passed_motion(world, db)
    deciding = _passed_motion(world, db, passed=passed)
    answering.publish_response(
        world.clerk,
        petition,
        decision="adopted" if passed else "rejected",
        response_text="The council voted on the petition in its governance motion.",
        motion_id=deciding.id,
    )
    return petition, deciding, unrelated


def test_the_service_refuses_an_unrelated_motion_and_applies_the_deciding_one(world, db):
    from participate.errors import DomainError
    from participate.petitions import answering

    petition, deciding, unrelated = _decided(world, db)
    before = _versions(db, world.council)
    with pytest.raises(DomainError) as refused:
        answering.apply_governance_change(world.clerk, petition, motion_id=unrelated.id)
    assert refused.value.code == "not_the_deciding_motion"
    assert "Only the motion that decided this petition applies it" in refused.value.message
    assert f"motion {deciding.id}" in refused.value.message
    assert _versions(db, world.council) == before
    answering.apply_governance_change(world.clerk, petition)
    assert petition.governance_motion_id == deciding.id
    assert _versions(db, world.council) == before + 1


def test_a_petition_no_motion_decided_is_not_applied(world, db):
    from participate.errors import DomainError
    from participate.petitions import answering

    petition, _ = reached(world, kind="constitution_change", settings={"quorum": 0.2})
    unrelated = _passed_motion(world, db)
    for motion_id in (unrelated.id, None):
        with pytest.raises(DomainError) as refused:
            answering.apply_governance_change(world.clerk, petition, motion_id=motion_id)
        assert refused.value.code == "no_deciding_motion"
    # answered at a meeting: no motion decided it either
    answering.publish_response(
        world.clerk, petition, decision="adopted", response_text="Agreed at the council meeting."
    )
    with pytest.raises(DomainError) as refused:
        answering.apply_governance_change(world.clerk, petition, motion_id=unrelated.id)
    assert refused.value.code == "no_deciding_motion"
    assert petition.constitution_version_id is None


def test_the_page_shows_the_deciding_motion_and_refuses_an_unrelated_one(client, world, db):
    petition, deciding, unrelated = _decided(world, db)
    before = _versions(db, world.council)
    login(client, world.clerk)
    html = page(client, f"/petitions/{petition.id}")
    assert f"motion {deciding.id}" in html and deciding.title in html
    assert 'name="motion_id" type="number"' not in html and "Number of the motion" not in html
    response = client.post(
        f"/petitions/{petition.id}/apply", data={"motion_id": unrelated.id}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Only the motion that decided this petition applies it" in html
    assert _versions(db, world.council) == before
    response = client.post(f"/petitions/{petition.id}/apply", follow_redirects=True)
    assert "applied as a new constitution version" in response.get_data(as_text=True)
    assert _versions(db, world.council) == before + 1


def test_the_page_refuses_a_failed_deciding_motion(client, world, db):
    petition, deciding, _ = _decided(world, db, passed=False)
    before = _versions(db, world.council)
    login(client, world.clerk)
    html = page(client, f"/petitions/{petition.id}")
    assert f"motion {deciding.id}" in html and "did not pass" in html
    response = client.post(
        f"/petitions/{petition.id}/apply", data={"motion_id": deciding.id}, follow_redirects=True
    )
    assert "did not pass" in response.get_data(as_text=True)
    assert _versions(db, world.council) == before


def test_the_api_applies_only_the_deciding_passed_motion(client, world, db):
    petition, deciding, unrelated = _decided(world, db)
    before = _versions(db, world.council)
    headers = api_token(world.clerk)
    url = f"/api/v1/petitions/{petition.id}/apply"
    response = client.post(url, json={"motion_id": unrelated.id}, headers=headers)
    assert response.status_code == 409, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "not_the_deciding_motion"
    assert "Only the motion that decided this petition applies it" in error["message"]
    assert _versions(db, world.council) == before
    response = client.post(url, json={"motion_id": deciding.id}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["motion"] == deciding.id and body["constitution_version"] >= 2
    assert _versions(db, world.council) == before + 1


def test_the_api_refuses_a_failed_deciding_motion_and_a_member(client, world, db):
    petition, deciding, _ = _decided(world, db, passed=False)
    before = _versions(db, world.council)
    url = f"/api/v1/petitions/{petition.id}/apply"
    response = client.post(url, headers=api_token(world.clerk))
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "motion_not_passed"
    response = client.post(url, headers=api_token(world.author))
    assert response.status_code == 403
    assert _versions(db, world.council) == before
