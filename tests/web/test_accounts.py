"""Sign-up, confirmation by e-mail, sign-in/out, password reset, profile, API tokens."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from participate.accounts.models import ApiToken, User
from tests.conftest import PASSWORD, last_mail, login


def _mail_link(outbox, path_prefix):
    body = last_mail(outbox)[2]
    match = re.search(r"http://[^\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, body
    return match.group(1)


def test_sign_up_confirm_sign_out_and_in(client, db, outbox):
    response = client.post(
        "/signup",
        data={
            "name": "Ada Citizen",
            "email": "Ada@Example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
    assert user is not None and not user.confirmed
    # Not signed in until the link is opened: a taken address must look the same.
    assert client.get("/profile").status_code == 302
    link = _mail_link(outbox, "/confirm/")
    assert client.get(link).status_code == 302
    db.session.refresh(user)
    assert user.confirmed
    assert "Ada Citizen" in client.get("/profile").get_data(as_text=True)  # the link signs in
    client.post("/logout")
    assert client.get("/profile").status_code == 302  # sign-in required
    # A confirmation link signs in once only: later it just says the address is confirmed.
    assert client.get(link).status_code == 302
    assert client.get("/profile").status_code == 302
    login(client, "ada@example.org")
    assert "Ada Citizen" in client.get("/profile").get_data(as_text=True)


def test_an_unconfirmed_account_signs_in_with_its_password(client, make):
    make.user("new@example.org", "New Person", confirmed=False)
    login(client, "new@example.org")
    assert "Confirm your e-mail address" in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password": "short"}, "at least 10 characters"),
        ({"password": "password123", "confirm": "password123"}, "too common"),
        (
            {
                "password": "ada.lovelace-rules",
                "confirm": "ada.lovelace-rules",
                "email": "ada.lovelace@example.org",
            },
            "e-mail address in your password",
        ),
        ({"email": "not-an-email"}, "Invalid email"),
        ({"confirm": "something else entirely"}, "do not match"),
    ],
)
def test_sign_up_refuses_bad_input_and_writes_nothing(client, db, data, message):
    form = {
        "name": "Ada",
        "email": "ada@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **data,
    }
    form.setdefault("confirm", form["password"])
    if "confirm" not in data:
        form["confirm"] = form["password"]
    response = client.post("/signup", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def _sign_up(client, email: str, name: str = "B", password: str = PASSWORD):
    return client.post(
        "/signup", data={"name": name, "email": email, "password": password, "confirm": password}
    )


def test_sign_up_with_a_taken_email_looks_the_same_and_tells_the_holder(client, make, db, outbox):
    """No account probing: the page answers a taken address exactly as a new one; the
    holder gets a mail saying someone tried, with a way in; nothing changes."""
    holder = make.user("taken@example.org", "Holder")
    old_hash = holder.password_hash
    taken = _sign_up(client, "TAKEN@example.org", password="another long passphrase")
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    to, subject, body = last_mail(outbox)
    assert to == "taken@example.org"
    assert "tried to create" in subject and "already has" in body
    assert "/login" in body and "/reset/" in body
    fresh = _sign_up(client, "fresh@example.org")
    fresh_page = client.get(fresh.headers["Location"]).get_data(as_text=True)
    assert (taken.status_code, taken.headers["Location"]) == (302, fresh.headers["Location"])

    def flash(page: str, email: str) -> str:
        text = re.search(r'<div class="flash[^>]*>(.*?)</div>', page, re.S).group(1)
        return text.replace(email, "EMAIL")

    assert flash(taken_page, "TAKEN@example.org") == flash(fresh_page, "fresh@example.org")
    assert "We sent a confirmation link" in fresh_page
    assert client.get("/profile").status_code == 302  # nobody is signed in either way
    db.session.refresh(holder)
    assert holder.password_hash == old_hash and holder.name == "Holder"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_the_mail_to_a_taken_address_lets_its_owner_in(client, make, db, outbox):
    """Someone may have started an account with your address (never confirmed): the
    mail's reset link sets your own password, confirms the address and ends their session."""
    squatter = make.user("victim@example.org", "Squatter", confirmed=False)
    _sign_up(client, "victim@example.org", "Victim")
    link = _mail_link(outbox, "/reset/")
    new = "my own quiet harbour"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    db.session.refresh(squatter)
    assert squatter.confirmed and squatter.check_password(new)
    assert not squatter.check_password(PASSWORD)


def _refusal(response) -> str:
    return re.search(r"That e-mail and password[^<]*", response.get_data(as_text=True)).group(0)


def test_sign_in_says_the_same_for_an_unknown_email_and_a_wrong_password(client, make):
    make.user("me@example.org")
    wrong = client.post("/login", data={"email": "me@example.org", "password": "wrong password!"})
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": "wrong password!"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert _refusal(wrong) == _refusal(unknown)
    assert "do not match an account" in _refusal(wrong)


def test_an_unknown_email_is_checked_against_a_hash_of_the_same_kind(client, make, monkeypatch):
    """So that a refusal takes as long whether or not the account exists (no timing here:
    the test checks that the same work is done)."""
    from participate.accounts import models

    real = make.user("me@example.org")
    check = models.check_password_hash
    checked: list[str] = []

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return check(pwhash, password)

    monkeypatch.setattr(models, "check_password_hash", spy)
    method = real.password_hash.rsplit("$", 2)[0]  # e.g. scrypt:32768:8:1
    for email in ("nobody@example.org", "me@example.org"):
        checked.clear()
        client.post("/login", data={"email": email, "password": "wrong password!"})
        assert [h.rsplit("$", 2)[0] for h in checked] == [method], email
    signed_in = client.post("/login", data={"email": "me@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302


def test_confirmation_link_tampered_is_refused(client, db):
    response = client.get("/confirm/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_password_reset_by_mail(client, make, outbox, db):
    user = make.user("forgot@example.org")
    response = client.post("/reset", data={"email": "forgot@example.org"})
    assert response.status_code == 302
    link = _mail_link(outbox, "/reset/")
    new = "a brand new passphrase"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    client.post("/logout")
    login(client, "forgot@example.org", new)
    # The link works once only.
    response = client.post(
        link, data={"password": "another new phrase", "confirm": "another new phrase"}
    )
    assert response.status_code == 400 and "already used" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(new)


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, db, outbox):
    response = client.post("/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses that address" in response.get_data(as_text=True)
    assert not list(outbox.glob("*.eml"))


def test_profile_edit_and_password_change(client, make, login_as, db):
    user = make.user("p@example.org", "Old Name")
    login_as(user)
    response = client.post(
        "/profile",
        data={
            "name": "New Name",
            "bio": "I use the GP surgery on Oak Road.",
            "email_notifications": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.name == "New Name" and "Oak Road" in user.bio
    response = client.post(
        "/profile/password",
        data={
            "pw-current_password": "wrong one entirely",
            "pw-password": "x" * 12,
            "pw-confirm": "x" * 12,
        },
    )
    assert response.status_code == 400 and "current password is not right" in response.get_data(
        as_text=True
    )
    response = client.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": "quiet river morning",
            "pw-confirm": "quiet river morning",
        },
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # this session survives the change


def test_api_token_created_used_and_revoked(client, make, login_as, db):
    user = make.user("api@example.org")
    login_as(user)
    html = client.post("/profile/tokens", data={"name": "my script"}).get_data(as_text=True)
    token = re.search(r'<code class="token">(pt_[^<]+)</code>', html).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json["email"] == "api@example.org"
    row = db.session.scalar(sa.select(ApiToken))
    assert token not in (row.token_hash,)  # only the hash is stored
    client.post(f"/profile/tokens/{row.id}/revoke")
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "bad_token"


def test_sign_in_is_rate_limited(app, make, db):
    """A separate app with rate limiting on (the shared test app has it off)."""
    from participate import create_app
    from participate.extensions import limiter
    from tests.conftest import test_config

    make.user("limited@example.org")
    limited = create_app(
        test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            Path(app.config["INSTANCE_PATH"]),
            RATELIMIT_ENABLED=True,
            SIGNIN_RATE_LIMIT="5 per minute",
        )
    )
    try:
        limiter.init_app(limited)
        client = limited.test_client()
        with limited.app_context():
            statuses = [
                client.post(
                    "/login", data={"email": "limited@example.org", "password": "wrong guess!"}
                ).status_code
                for _ in range(7)
            ]
            assert statuses[:5] == [400] * 5
            assert statuses[5:] == [429, 429]
            response = client.post(
                "/login", data={"email": "limited@example.org", "password": "wrong guess!"}
            )
            assert "Too many requests" in response.get_data(as_text=True)
    finally:
        limiter.reset()
        limiter.enabled = False


def test_logout_requires_post(client, make, login_as):
    login_as(make.user())
    assert client.get("/logout").status_code == 405


def test_unread_badge_counts_notifications(client, make, login_as, db):
    from participate.notifications.services import notify

    user = make.user()
    notify([user.id], "test", "Something happened", "/")
    notify([user.id], "test", "Something else", "/")
    db.session.commit()
    login_as(user)
    assert '<span class="badge">2<span class="visually-hidden"> unread</span>' in client.get(
        "/"
    ).get_data(as_text=True)
