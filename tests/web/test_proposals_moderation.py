"""Flags, the clerk's moderation queue, hiding with a public reason, one appeal, the decision."""

# ruff: noqa: F811  (the fixtures world and proposal come from test_proposals)

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from participate.audit.models import AuditEvent
from participate.notifications.models import Notification
from participate.proposals import discussion, moderation, services
from participate.proposals.models import Comment, Flag, Hiding, Proposal
from tests.conftest import htmx_headers
from tests.factories.proposals import count, page_of, proposal, world  # noqa: F401

RUDE = "The receptionist on Tuesdays is useless, sack her."


@pytest.fixture
def rude(world, proposal):
    return discussion.add_comment(world.member, proposal, body=RUDE, stance="against")


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# ---------------------------------------------------------------- flags


def test_any_signed_in_account_flags_a_comment(client, db, login_as, world, proposal, rude):
    login_as(world.account)  # not a member: flagging is open to every account
    form = client.get(f"/comments/{rude.id}/flag", headers=htmx_headers())
    assert form.status_code == 200 and "<html" not in form.get_data(as_text=True)
    response = client.post(
        f"/comments/{rude.id}/flag",
        data={"reason": "Attacks a named person"},
        headers=htmx_headers(),
    )
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert "the clerk will look at this comment" in response.get_data(as_text=True)
    flag = db.session.scalar(sa.select(Flag))
    assert flag.comment_id == rude.id and flag.user_id == world.account.id
    # the clerks are told once
    assert count(db, Notification, Notification.user_id == world.clerk.id) == 1


def test_flagging_a_proposal_plain_post(client, db, login_as, world, proposal):
    login_as(world.member)
    assert client.get(f"/proposals/{proposal.id}/flag").status_code == 200
    response = client.post(f"/proposals/{proposal.id}/flag", data={"reason": "Advertising"})
    assert response.status_code == 303
    assert count(db, Flag, Flag.comment_id.is_(None)) == 1


def test_visitors_cannot_flag(client, db, world, rude):
    response = client.post(f"/comments/{rude.id}/flag", data={"reason": "x"})
    assert response.status_code == 302 and "/login" in response.location
    assert count(db, Flag) == 0


@pytest.mark.parametrize(
    ("who", "data", "status", "message"),
    [
        ("member", {"reason": "mine"}, 403, "You wrote this comment"),
        ("leader", {"reason": " "}, 400, "Give a reason for flagging"),
    ],
)
def test_bad_flags(client, db, login_as, world, rude, who, data, status, message):
    login_as(getattr(world, who))
    response = client.post(f"/comments/{rude.id}/flag", data=data)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert count(db, Flag) == 0


def test_one_flag_per_person(client, db, login_as, world, rude):
    moderation.flag(
        world.leader, services.get_proposal(rude.proposal_id), comment=rude, reason="Rude"
    )
    login_as(world.leader)
    response = client.post(f"/comments/{rude.id}/flag", data={"reason": "Again"})
    assert response.status_code == 409
    assert "You already flagged this comment" in response.get_data(as_text=True)
    assert count(db, Flag) == 1
    db.session.add(
        Flag(proposal_id=rude.proposal_id, comment_id=rude.id, user_id=world.leader.id, reason="x")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# ---------------------------------------------------------------- the queue and hiding


def test_the_queue_is_the_clerks(client, login_as, world, proposal, rude):
    moderation.flag(world.leader, proposal, comment=rude, reason="Attacks staff")
    for who in ("member", "account"):
        login_as(getattr(world, who))
        assert client.get("/councils/health-manchester/moderation").status_code == 403
    login_as(world.clerk)
    html = client.get("/councils/health-manchester/moderation").get_data(as_text=True)
    assert "Flagged (1)" in html and "Attacks staff" in html and RUDE in html


def test_clerk_hides_a_comment_with_a_public_reason(client, db, login_as, world, proposal, rude):
    moderation.flag(world.leader, proposal, comment=rude, reason="Attacks staff")
    login_as(world.clerk)
    assert client.get(f"/comments/{rude.id}/hide").status_code == 200
    response = client.post(
        f"/comments/{rude.id}/hide", data={"reason": "personal attack", "next": "queue"}
    )
    assert response.status_code == 303 and response.location.endswith("/moderation")
    db.session.expire_all()
    assert rude.hidden_reason == "personal attack" and rude.body == RUDE  # kept in the database
    assert proposal.comments_count == 0
    assert db.session.scalar(sa.select(Flag.resolution)) == "hidden"
    (event,) = events(db, "comment.hidden")
    data = json.loads(event.data)
    assert event.actor_id == world.clerk.id and event.subject_id == rude.id
    assert data["reason"] == "personal attack"
    assert data["content_sha256"] == hashlib.sha256(RUDE.encode()).hexdigest()
    client.post("/logout")
    visitor = page_of(client, proposal.id)
    assert "Hidden by the clerk: personal attack" in visitor and RUDE not in visitor
    login_as(world.member)
    own = page_of(client, proposal.id)
    assert RUDE in own and "Appeal against the hiding" in own
    assert (
        count(
            db,
            Notification,
            Notification.user_id == world.member.id,
            Notification.kind == "moderation",
        )
        == 1
    )


@pytest.mark.parametrize("who", ["member", "leader", "account"])
def test_only_the_clerk_hides(client, db, login_as, world, rude, who):
    login_as(getattr(world, who))
    response = client.post(f"/comments/{rude.id}/hide", data={"reason": "no"})
    assert response.status_code == 403
    assert "clerks can hide content" in response.get_data(as_text=True)
    assert count(db, Hiding) == 0


def test_hiding_needs_a_reason_and_happens_once(client, db, login_as, world, rude):
    login_as(world.clerk)
    response = client.post(f"/comments/{rude.id}/hide", data={"reason": ""})
    assert response.status_code == 400 and "Give a public reason" in response.get_data(as_text=True)
    assert count(db, Hiding) == 0
    client.post(f"/comments/{rude.id}/hide", data={"reason": "attack"})
    response = client.post(f"/comments/{rude.id}/hide", data={"reason": "again"})
    assert response.status_code == 409 and "already hidden" in response.get_data(as_text=True)
    assert count(db, Hiding) == 1


def test_clerk_hides_a_proposal(client, db, login_as, world, proposal):
    login_as(world.clerk)
    response = client.post(f"/proposals/{proposal.id}/hide", data={"reason": "advertising"})
    assert response.status_code == 303
    assert len(events(db, "proposal.hidden")) == 1
    client.post("/logout")
    html = page_of(client, proposal.id)
    assert "Hidden proposal" in html and "advertising" in html
    assert "evening hubs" not in html
    listing = client.get("/councils/health-manchester/proposals").get_data(as_text=True)
    assert "Evening GP appointments" not in listing
    login_as(world.member)
    response = client.post(
        f"/proposals/{proposal.id}/comments", data={"body": "x", "stance": "for"}
    )
    assert response.status_code == 409 and "hidden by the clerk" in response.get_data(as_text=True)
    assert count(db, Comment) == 0


def test_dismissing_flags(client, db, login_as, world, proposal, rude):
    moderation.flag(world.leader, proposal, comment=rude, reason="Rude?")
    login_as(world.member)
    client.post(
        "/councils/health-manchester/moderation/dismiss",
        data={"proposal_id": proposal.id, "comment_id": rude.id},
    )
    assert db.session.scalar(sa.select(Flag.resolution)) is None
    login_as(world.clerk)
    response = client.post(
        "/councils/health-manchester/moderation/dismiss",
        data={"proposal_id": proposal.id, "comment_id": rude.id, "reason": "Robust but fair"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(Flag.resolution)) == "dismissed"
    assert len(events(db, "flags.dismissed")) == 1
    html = client.get("/councils/health-manchester/moderation").get_data(as_text=True)
    assert "Nothing is flagged." in html


# ---------------------------------------------------------------- appeals


@pytest.fixture
def hidden(world, proposal, rude):
    return moderation.hide(world.clerk, proposal, comment=rude, reason="personal attack")


def test_the_author_appeals_once(client, db, login_as, world, hidden):
    login_as(world.leader)
    assert client.post(f"/hidings/{hidden.id}/appeal", data={"appeal": "x"}).status_code == 403
    login_as(world.member)
    assert client.get(f"/hidings/{hidden.id}/appeal").status_code == 200
    response = client.post(f"/hidings/{hidden.id}/appeal", data={"appeal": ""})
    assert response.status_code == 400
    response = client.post(f"/hidings/{hidden.id}/appeal", data={"appeal": "I named nobody."})
    assert response.status_code == 303
    db.session.expire_all()
    assert hidden.appeal == "I named nobody." and hidden.appealed_at is not None
    again = client.post(f"/hidings/{hidden.id}/appeal", data={"appeal": "Please"})
    assert again.status_code == 409
    assert "each hiding can be appealed once" in again.get_data(as_text=True)
    assert len(events(db, "moderation.appealed")) == 1
    login_as(world.clerk)
    html = client.get("/councils/health-manchester/moderation").get_data(as_text=True)
    assert "Appeals waiting (1)" in html and "I named nobody." in html


@pytest.mark.parametrize("reinstate", [True, False])
def test_the_clerk_decides_the_appeal(
    client, db, login_as, world, proposal, rude, hidden, reinstate
):
    moderation.appeal(world.member, hidden, text="I named nobody.")
    login_as(world.leader)
    client.post(f"/hidings/{hidden.id}/decide", data={"decision": "reinstate", "reason": "x"})
    db.session.expire_all()
    assert hidden.decision is None
    login_as(world.clerk)
    response = client.post(
        f"/hidings/{hidden.id}/decide",
        data={"decision": "reinstate" if reinstate else "uphold", "reason": "Read again"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert hidden.decision == ("reinstated" if reinstate else "upheld")
    assert hidden.decided_by_id == world.clerk.id and hidden.decision_reason == "Read again"
    assert (rude.hidden_at is None) is reinstate
    assert proposal.comments_count == (1 if reinstate else 0)
    (event,) = events(db, "moderation.appeal_decided")
    assert json.loads(event.data)["decision"] == hidden.decision
    with pytest.raises(Exception) as twice:
        moderation.decide_appeal(world.clerk, hidden, reinstate=True, reason="again")
    assert "already decided" in str(twice.value)
    client.post("/logout")
    assert (RUDE in page_of(client, proposal.id)) is reinstate


def test_no_decision_without_an_appeal(db, world, hidden):
    from participate.errors import DomainError

    with pytest.raises(DomainError) as refused:
        moderation.decide_appeal(world.clerk, hidden, reinstate=True, reason="Why not")
    assert refused.value.code == "no_appeal"


def test_moderation_works_on_closed_proposals(db, world, proposal, rude):
    services.withdraw_proposal(world.author, proposal)
    moderation.flag(world.leader, services.get_proposal(proposal.id), comment=rude, reason="Rude")
    hiding = moderation.hide(
        world.clerk, services.get_proposal(proposal.id), comment=rude, reason="attack"
    )
    moderation.appeal(world.member, hiding, text="Please")
    assert moderation.get_hiding(hiding.id).appealed_at is not None
    assert db.session.get(Proposal, proposal.id).status == "withdrawn"
