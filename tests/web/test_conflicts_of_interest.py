"""Conflicts of interest (issue 13, finding 3): a clerk who started or sponsored a petition
does not moderate, publish, reject, answer it or invalidate its signatures, and a clerk does
not moderate their own proposal or comment. Another clerk of the council does; the pages say
who stepped aside and offer the conflicted clerk no buttons. Pages and API refuse alike."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories.petitions import page, small_rules

NOTE = "Ana Silva started this petition, so another clerk of the council decides on it."
SPONSOR_NOTE = "Ana Silva sponsored this petition, so another clerk of the council decides on it."


@pytest.fixture
def world(make):
    councils = make.structure()
    council = councils["health-manchester"]
    small_rules(council)
    ana = make.user("ana@example.org", "Ana Silva")
    make.member(ana, council, "employee", role="clerk")
    return SimpleNamespace(
        make=make,
        council=council,
        ana=ana,  # the clerk with an interest
        other=make.clerk(council, "lee@example.org"),  # another clerk of the council
        author=make.user("author@example.org", "Ada Author"),
    )


def _in_moderation(world, *, author=None, sponsor=None):
    from participate.petitions import drafting, sponsoring

    petition = drafting.start_petition(
        author or world.author,
        world.council,
        kind="early_scrutiny",
        title="Inspect the out-of-hours GP service",
        change_text="Ask for an early inspection of the out-of-hours GP service.",
        reason_text="People waited over four hours on many Saturdays this year.",
    )
    sponsoring.invite_sponsors(petition.author, petition)
    if sponsor is not None:
        sponsoring.sponsor_petition(sponsor, petition)
    while petition.status == "collecting_sponsors":
        sponsoring.sponsor_petition(world.make.user(), petition)
    return petition


def _reached(world, *, sponsor):
    from participate.extensions import db
    from participate.petitions import moderating
    from participate.petitions.signing import sign_petition

    petition = _in_moderation(world, sponsor=sponsor)
    moderating.publish(world.other, petition)
    for _ in range(3):
        sign_petition(world.make.user(), petition.id, declaration="live", place="manchester")
    db.session.refresh(petition)
    assert petition.status == "threshold_reached"
    return petition


def _status(db, petition) -> str:
    from participate.petitions.models import Petition

    db.session.expire_all()
    return db.session.get(Petition, petition.id).status


def _refused(response, code="conflict_of_interest") -> str:
    assert response.status_code == 403, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error["message"]


# ---------------------------------------------------------------- moderation


def test_the_clerk_who_started_a_petition_does_not_publish_it_on_the_page(client, world, db):
    petition = _in_moderation(world, author=world.ana)
    login(client, world.ana)
    html = page(client, f"/petitions/{petition.id}")
    assert NOTE in html
    assert f'action="/petitions/{petition.id}/publish"' not in html
    assert f'action="/petitions/{petition.id}/reject"' not in html
    html = page(client, "/councils/health-manchester/petitions/moderation")
    assert NOTE in html and f'action="/petitions/{petition.id}/publish"' not in html
    response = client.post(f"/petitions/{petition.id}/publish", follow_redirects=True)
    assert NOTE in response.get_data(as_text=True)
    response = client.post(
        f"/petitions/{petition.id}/reject",
        data={"standard": "S4", "reason": "Not something this council decides."},
        follow_redirects=True,
    )
    assert "You cannot reject it" in response.get_data(as_text=True)
    assert _status(db, petition) == "in_moderation"


def test_another_clerk_publishes_it_on_the_page(client, world, db):
    petition = _in_moderation(world, author=world.ana)
    login(client, world.other)
    html = page(client, f"/petitions/{petition.id}")
    assert "so another clerk of the council decides on it" not in html
    assert f'action="/petitions/{petition.id}/publish"' in html
    client.post(f"/petitions/{petition.id}/publish")
    assert _status(db, petition) == "open"


def test_the_api_refuses_the_clerk_who_sponsored_it_and_lets_another_decide(client, world, db):
    petition = _in_moderation(world, sponsor=world.ana)
    message = _refused(
        client.post(f"/api/v1/petitions/{petition.id}/publish", headers=api_token(world.ana))
    )
    assert message.startswith(SPONSOR_NOTE)
    _refused(
        client.post(
            f"/api/v1/petitions/{petition.id}/reject",
            json={"standard": "S4", "reason": "Not something this council decides."},
            headers=api_token(world.ana),
        )
    )
    assert _status(db, petition) == "in_moderation"
    response = client.post(
        f"/api/v1/petitions/{petition.id}/publish", headers=api_token(world.other)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["petition"]["status"] == "open"


def test_another_clerk_rejects_through_the_api(client, world, db):
    petition = _in_moderation(world, author=world.ana)
    response = client.post(
        f"/api/v1/petitions/{petition.id}/reject",
        json={"standard": "S4", "reason": "Not something this council decides."},
        headers=api_token(world.other),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _status(db, petition) == "rejected"


# ---------------------------------------------------------------- the answer


def test_the_clerk_who_sponsored_it_does_not_answer_it(client, world, db):
    petition = _reached(world, sponsor=world.ana)
    login(client, world.ana)
    html = page(client, f"/petitions/{petition.id}")
    assert SPONSOR_NOTE in html and f"/petitions/{petition.id}/respond" not in html
    html = page(client, f"/petitions/{petition.id}/respond")
    assert SPONSOR_NOTE in html and 'name="response_text"' not in html
    data = {"decision": "adopted", "response_text": "The council agreed to the inspection."}
    response = client.post(f"/petitions/{petition.id}/respond", data=data)
    assert response.status_code == 400 and SPONSOR_NOTE in response.get_data(as_text=True)
    body = {"decision": "adopted", "text": "The council agreed to the inspection."}
    _refused(
        client.post(
            f"/api/v1/petitions/{petition.id}/response", json=body, headers=api_token(world.ana)
        )
    )
    assert _status(db, petition) == "threshold_reached"
    response = client.post(
        f"/api/v1/petitions/{petition.id}/response", json=body, headers=api_token(world.other)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _status(db, petition) == "closed"


# ---------------------------------------------------------------- signatures


def _valid(db, petition) -> int:
    from participate.petitions.models import Signature

    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Signature.petition_id == petition.id, Signature.invalidated_at.is_(None)
        )
    )


def test_the_clerk_who_sponsored_it_does_not_invalidate_its_signatures(client, world, db):
    from participate.petitions.models import Signature

    petition = _reached(world, sponsor=world.ana)
    first = db.session.scalar(sa.select(sa.func.min(Signature.id)))
    login(client, world.ana)
    html = page(client, f"/petitions/{petition.id}/signatures")
    assert SPONSOR_NOTE in html and 'name="email_domain"' not in html
    assert 'name="signature_id"' not in html
    client.post(
        f"/petitions/{petition.id}/signatures/invalidate",
        data={"signature_id": str(first), "reason": "duplicate"},
    )
    assert _valid(db, petition) == 3
    _refused(
        client.post(
            f"/api/v1/petitions/{petition.id}/signatures/invalidate",
            json={"rule": {"email_domain": "example.org"}, "reason": "test accounts"},
            headers=api_token(world.ana),
        )
    )
    assert _valid(db, petition) == 3
    response = client.post(
        f"/api/v1/petitions/{petition.id}/signatures/invalidate",
        json={"signature_id": first, "reason": "duplicate"},
        headers=api_token(world.other),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _valid(db, petition) == 2


# ---------------------------------------------------------------- proposals and comments


def _flagged_own_proposal(world):
    from participate.proposals import discussion, moderation, services

    proposal = services.create_proposal(
        world.ana,
        world.council,
        title="Evening GP appointments",
        body="Open GP surgeries until 8pm on weekdays, so that people who work can see a doctor.",
    )
    member = world.make.user()
    world.make.member(member, world.council, "citizen")
    moderation.flag(member, proposal, reason="This is the clerk's own hobby horse.")
    comment = discussion.add_comment(world.ana, proposal, body="I wrote this.", stance="for")
    moderation.flag(member, proposal, comment=comment, reason="Off topic.")
    return proposal, comment


def test_a_clerk_does_not_moderate_their_own_proposal_or_comment(client, world, db):
    from participate.proposals.models import Comment, Proposal

    proposal, comment = _flagged_own_proposal(world)
    login(client, world.ana)
    html = page(client, "/councils/health-manchester/moderation")
    assert "Ana Silva wrote this proposal, so another clerk of the council moderates it." in html
    assert "Ana Silva wrote this comment, so another clerk of the council moderates it." in html
    assert f'action="/proposals/{proposal.id}/hide"' not in html
    assert f'action="/comments/{comment.id}/hide"' not in html
    html = page(client, f"/proposals/{proposal.id}")
    assert "Ana Silva wrote this proposal, so another clerk of the council moderates it." in html
    assert f'href="/proposals/{proposal.id}/hide"' not in html
    assert f'href="/comments/{comment.id}/hide"' not in html
    for url in (f"/proposals/{proposal.id}/hide", f"/comments/{comment.id}/hide"):
        response = client.post(url, data={"reason": "advertising"})
        assert response.status_code == 403
        assert "so another clerk of the council moderates it" in response.get_data(as_text=True)
    response = client.post(
        "/councils/health-manchester/moderation/dismiss",
        data={"proposal_id": proposal.id, "reason": "fine"},
        follow_redirects=True,
    )
    assert "so another clerk of the council moderates it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert db.session.get(Comment, comment.id).hidden_at is None


def test_another_clerk_moderates_them(client, world, db):
    from participate.proposals.models import Comment

    proposal, comment = _flagged_own_proposal(world)
    login(client, world.other)
    html = page(client, "/councils/health-manchester/moderation")
    assert "so another clerk of the council moderates it" not in html
    assert f'action="/comments/{comment.id}/hide"' in html
    client.post(f"/comments/{comment.id}/hide", data={"reason": "off topic"})
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).hidden_at is not None
