"""The e-mail settings page, its API twin, and the unsubscribe link's pages (issue 16)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, last_mail


def _checked(html: str, name: str) -> str:
    match = re.search(rf'<input checked[^>]*name="{name}"[^>]*value="([^"]+)"', html)
    assert match, name
    return match.group(1)


def test_the_settings_page_shows_defaults_and_saves_choices(client, make, login_as, db):
    from participate.notifications import preferences
    from participate.notifications.models import NotificationSetting

    person = make.user("me@example.org")
    login_as(person)
    assert 'href="/me/notifications"' in client.get("/profile").get_data(as_text=True)
    assert 'href="/me/notifications"' in client.get("/notifications").get_data(as_text=True)
    html = client.get("/me/notifications").get_data(as_text=True)
    assert "<h1>E-mail settings</h1>" in html
    assert _checked(html, "kind_membership_decided") == "immediate"
    assert _checked(html, "kind_proposal_comment") == "digest"
    # a reminder cannot wait for the digest: not offered
    assert re.search(r'name="kind_reminder_vote"[^>]*value="immediate"', html)
    assert not re.search(r'name="kind_reminder_vote"[^>]*value="digest"', html)
    data = {"email": "y", "kind_proposal_comment": "off", "kind_vote_open": "immediate"}
    response = client.post("/me/notifications", data=data)
    assert response.status_code == 302
    settings = preferences.settings_of(person)
    assert settings.delivery("proposal_comment") == "off"
    assert settings.delivery("vote_open") == "immediate"
    assert settings.delivery("membership_decided") == "immediate"
    stored = db.session.scalars(sa.select(NotificationSetting.kind)).all()
    assert sorted(stored) == ["proposal_comment", "vote_open"]  # the rest follow the defaults
    # unticking the switch stops all e-mail
    client.post("/me/notifications", data={"kind_vote_open": "immediate"})
    db.session.refresh(person)
    assert person.email_notifications is False


def test_the_settings_page_refuses_a_choice_not_offered(client, make, login_as, db):
    from participate.notifications import preferences

    person = make.user()
    login_as(person)
    response = client.post("/me/notifications", data={"email": "y", "kind_reminder_vote": "digest"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert preferences.settings_of(person).delivery("reminder_vote") == "immediate"


def test_the_settings_page_needs_sign_in(client, db):
    response = client.get("/me/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_api_reads_and_changes_the_same_settings(client, make, db):
    person = make.user()
    headers = api_token(person)
    body = client.get("/api/v1/me/notification-settings", headers=headers).get_json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert body["email"] is True
    assert kinds["proposal_comment"]["delivery"] == "digest"
    assert kinds["reminder_vote"]["choices"] == ["immediate", "off"]
    response = client.put(
        "/api/v1/me/notification-settings",
        json={"email": True, "kinds": {"proposal_comment": "immediate"}},
        headers=headers,
    )
    assert response.status_code == 200
    kinds = {k["kind"]: k for k in response.get_json()["kinds"]}
    assert kinds["proposal_comment"]["delivery"] == "immediate"
    for bad, codes in (
        ({"kinds": {"nope": "off"}}, {"bad_kind", "unknown_field"}),
        ({"kinds": {"reminder_vote": "digest"}}, {"bad_delivery", "bad_field"}),
        ({"email": "yes"}, {"bad_email", "email_invalid"}),
        ({"kinds": ["off"]}, {"bad_kinds", "kinds_invalid"}),
        ({"colour": "red"}, {"bad_field", "unknown_field"}),
    ):
        response = client.put("/api/v1/me/notification-settings", json=bad, headers=headers)
        # refused by the documented schema (checked before the view) or by the service
        assert response.status_code == 400 and response.get_json()["error"]["code"] in codes
    kinds = {
        k["kind"]: k
        for k in client.get("/api/v1/me/notification-settings", headers=headers).get_json()["kinds"]
    }
    assert kinds["proposal_comment"]["delivery"] == "immediate"
    assert client.get("/api/v1/me/notification-settings").status_code == 401


def test_the_api_document_lists_both_operations(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    ops = spec["paths"]["/me/notification-settings"]
    assert set(ops) == {"get", "put"}
    schema = ops["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["kinds"]["properties"]["reminder_vote"]["enum"] == [
        "immediate",
        "off",
    ]


def _unsubscribe_link(body: str, label: str) -> str:
    match = re.search(rf"{re.escape(label)}: https?://[^/\s]+(/unsubscribe/\S+)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def mailed(make, db, outbox):
    """A person who got a notification by e-mail; (person, the mail's body)."""
    from participate.notifications.services import notify

    person = make.user("reader@example.org")
    notify([person.id], "membership_decided", "You are now a member.", "/councils/x")
    db.session.commit()
    _to, _subject, body = last_mail(outbox)
    return person, body


def test_unsubscribe_from_the_mail_without_signing_in_get_changes_nothing(client, mailed, db):
    from participate.notifications import preferences

    person, body = mailed
    link = _unsubscribe_link(body, "Stop e-mail when a clerk decides on your membership")
    page = client.get(link)
    assert page.status_code == 200
    assert "reader@example.org" in page.get_data(as_text=True)
    assert preferences.settings_of(person).delivery("membership_decided") == "immediate"
    done = client.post(link)
    assert done.status_code == 200
    assert "no more e-mail when a clerk decides" in done.get_data(as_text=True)
    assert preferences.settings_of(person).delivery("membership_decided") == "off"
    db.session.refresh(person)
    assert person.email_notifications is True


def test_unsubscribe_from_all_email(client, mailed, db):
    person, body = mailed
    link = _unsubscribe_link(body, "Stop all e-mail from us")
    assert client.post(link).status_code == 200
    db.session.refresh(person)
    assert person.email_notifications is False


def test_a_forged_unsubscribe_link_is_refused_and_changes_nothing(client, mailed, db):
    from participate.notifications import preferences

    person, body = mailed
    link = _unsubscribe_link(body, "Stop all e-mail from us")
    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    for response in (client.get(forged), client.post(forged)):
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    db.session.refresh(person)
    assert person.email_notifications is True
    assert preferences.settings_of(person).delivery("membership_decided") == "immediate"


def test_unsubscribe_post_needs_the_forms_csrf_token(app, mailed, db):
    """With CSRF on (as in production), a POST without the page's token changes nothing."""
    person, body = mailed
    link = _unsubscribe_link(body, "Stop all e-mail from us")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        assert client.post(link).status_code == 400
        db.session.refresh(person)
        assert person.email_notifications is True
        page = client.get(link).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post(link, data={"csrf_token": token}).status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(person)
    assert person.email_notifications is False
