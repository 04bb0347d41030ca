"""Asking to join a council; the clerk admits or declines; who may do what."""

import pytest
import sqlalchemy as sa

from participate.audit.models import AuditEvent
from participate.councils.models import Membership
from participate.notifications.models import Notification


@pytest.fixture
def councils(make):
    return make.structure()


def _membership(db, user, council):
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.council_id == council.id
        )
    )


def test_request_then_clerk_admits_and_person_is_told(client, make, login_as, councils, db):
    council = councils["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    person = make.user("amina@example.org", "Amina")
    login_as(person)
    response = client.post(
        "/councils/health-manchester/join",
        data={"constituency": "citizen", "statement": "I use it"},
    )
    assert response.status_code == 302
    membership = _membership(db, person, council)
    assert membership.status == "pending" and membership.constituency == "citizen"
    assert (
        db.session.scalar(sa.select(Notification).where(Notification.user_id == clerk.id))
        is not None
    )

    login_as(clerk)
    page = client.get("/councils/health-manchester/members").get_data(as_text=True)
    assert "Amina" in page and "I use it" in page
    response = client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": membership.id, "action": "admit", "reason": ""},
    )
    assert response.status_code == 303
    db.session.refresh(membership)
    assert membership.status == "active" and membership.decided_by_id == clerk.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "membership.admitted")
    )
    assert event.council_id == council.id and event.actor_id == clerk.id

    login_as(person)
    assert "You are now a member" in client.get("/notifications").get_data(as_text=True)
    assert "You are a member as" in client.get("/councils/health-manchester").get_data(as_text=True)


def test_decline_needs_a_reason_and_the_person_sees_it(client, make, login_as, councils, db):
    council = councils["health-manchester"]
    clerk = make.clerk(council)
    person = make.user()
    membership = make.member(person, council, "employee", status="pending")
    login_as(clerk)
    response = client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": membership.id, "action": "decline", "reason": ""},
        follow_redirects=True,
    )
    assert "Give a reason" in response.get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.status == "pending"
    client.post(
        "/councils/health-manchester/members/decide",
        data={
            "membership_id": membership.id,
            "action": "decline",
            "reason": "You work for another trust",
        },
    )
    db.session.refresh(membership)
    assert membership.status == "declined"
    login_as(person)
    assert "You work for another trust" in client.get("/profile").get_data(as_text=True)


def test_second_request_is_refused_and_nothing_written(client, make, login_as, councils, db):
    person = make.user()
    make.member(person, councils["health-manchester"], "citizen")
    login_as(person)
    response = client.post("/councils/health-manchester/join", data={"constituency": "employee"})
    assert response.status_code == 400
    assert "You already belong" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 1
    assert _membership(db, person, councils["health-manchester"]).constituency == "citizen"


def test_unconfirmed_account_cannot_ask_to_join(client, make, login_as, councils, db):
    person = make.user(confirmed=False)
    login_as(person)
    response = client.post("/councils/health-manchester/join", data={"constituency": "citizen"})
    assert response.status_code == 400 and "Confirm your e-mail" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0


def test_visitor_is_sent_to_sign_in(client, councils):
    response = client.post("/councils/health-manchester/join", data={"constituency": "citizen"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["visitor", "account", "member", "clerk_elsewhere", "admin"])
def test_only_this_councils_clerk_may_admit(client, make, login_as, councils, db, who):
    council = councils["health-manchester"]
    pending = make.member(make.user(), council, "citizen", status="pending")
    actors = {
        "visitor": None,
        "account": make.user(),
        "member": make.member(make.user(), council, "citizen").user,
        "clerk_elsewhere": make.clerk(councils["health-salford"]),
        "admin": make.user(admin=True),
    }
    if actors[who] is not None:
        login_as(actors[who])
    page = client.get("/councils/health-manchester/members").get_data(as_text=True)
    assert "Requests waiting for you" not in page
    response = client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": pending.id, "action": "admit"},
    )
    assert response.status_code in (302, 303)
    db.session.refresh(pending)
    assert pending.status == "pending"


def test_clerk_suspends_and_reinstates_with_reason(client, make, login_as, councils, db):
    council = councils["health-manchester"]
    clerk = make.clerk(council)
    member = make.member(make.user(), council, "citizen")
    login_as(clerk)
    client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": member.id, "action": "suspend", "reason": "Abusive comments"},
    )
    db.session.refresh(member)
    assert member.status == "suspended"
    client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": member.id, "action": "reinstate", "reason": "Apologised"},
    )
    db.session.refresh(member)
    assert member.status == "active"


def test_members_counted_by_constituency_on_council_and_api(client, make, councils):
    make.members(councils["health-manchester"], {"citizen": 4, "leader": 1})
    make.member(make.user(), councils["health-manchester"], "employee", status="pending")
    data = client.get("/api/v1/councils/health-manchester").json
    assert data["members"] == {"citizen": 4, "employee": 0, "leader": 1, "elected": 0, "partner": 0}


def test_clerk_revises_constitution_text_as_a_new_version(client, make, login_as, councils, db):
    clerk = make.clerk(councils["health-manchester"])
    login_as(clerk)
    response = client.post(
        "/councils/health-manchester/constitution/revise",
        data={
            "purpose": "Better care closer to home.",
            "values_text": "Candour.",
            "promises": "Reply in 30 days.",
            "reason": "Annual review",
        },
    )
    assert response.status_code == 302
    history = client.get("/councils/health-manchester/constitution").get_data(as_text=True)
    assert "Version 2" in history and "Annual review" in history and "Version 1" in history
    assert "Better care closer to home." in client.get(
        "/councils/health-manchester/constitution/2"
    ).get_data(as_text=True)
    member = make.member(make.user(), councils["health-manchester"], "citizen").user
    login_as(member)
    assert client.get("/councils/health-manchester/constitution/revise").status_code == 403


def test_decision_is_also_mailed_to_people_who_want_mail(
    client, make, login_as, councils, db, outbox
):
    from tests.conftest import last_mail

    council = councils["health-manchester"]
    clerk = make.clerk(council)
    person = make.user("mailme@example.org")
    membership = make.member(person, council, "citizen", status="pending")
    login_as(clerk)
    client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": membership.id, "action": "admit"},
    )
    to, subject, body = last_mail(outbox)
    assert to == "mailme@example.org" and "You are now a member" in body
