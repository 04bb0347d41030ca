"""Sessions end on the server: signing out ends that session (a copy of its cookie, or of
its remember-me cookie, signs nobody in afterwards) and leaves the person's other devices
signed in; a password change ends every other session. CSRF tokens expire after a few
hours with a clear message, and sign-in starts a new one.

These run on a second app with CSRF on (as in production), whose requests each start
afresh (no app context shared with the test, so no signed-in user cached in ``g``).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.util import utcnow
from tests.conftest import PASSWORD, htmx_headers
from tests.factories import petitions as shared
from tests.factories.petitions import count_rows, opened

world = shared.world  # the fixture, shared with test_petitions.py


@pytest.fixture
def strict_app(app):
    from participate import create_app

    config = dict(app.config)
    config.update(WTF_CSRF_ENABLED=True)
    return create_app(config)


def _token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def _signed_in(strict_app, user, *, remember: bool = False):
    client = strict_app.test_client()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": _token(client)}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client, _token(client, "/profile")


def _copy(client, strict_app, *names: str):
    """A new client holding copies of ``client``'s cookies, as a thief would."""
    thief = strict_app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value, domain=cookie.domain)
    return thief


def _signed_in_now(client) -> bool:
    response = client.get("/profile")
    return response.status_code == 200


def _motion_and_voter(world):
    from participate.votes import services as votes

    voter = world.make.user()
    world.make.member(voter, world.council, "citizen")
    motion = votes.open_motion(
        world.clerk,
        world.council,
        title="Open the clinic on Saturdays",
        method="binary",
        closes_at=utcnow() + timedelta(days=7),
    )
    return motion, voter


def test_a_cookie_saved_before_sign_out_signs_nobody_in_afterwards(strict_app, world, db):
    from participate.petitions.models import Signature
    from participate.votes.models import MotionParticipation

    motion, voter = _motion_and_voter(world)
    petition = opened(world)
    client, token = _signed_in(strict_app, voter)
    thief = _copy(client, strict_app, "session")
    assert _signed_in_now(thief)  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _signed_in_now(client)

    profile = thief.get("/profile")
    assert profile.status_code == 302 and "/login" in profile.headers["Location"]
    ballot = f"/motions/{motion.id}/ballot"
    page = thief.post(ballot, data={"choice": "yes", "csrf_token": token})
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    fragment = thief.post(
        ballot, data={"choice": "yes", "csrf_token": token}, headers=htmx_headers()
    )
    assert fragment.status_code == 401 and "Sign in to vote" in fragment.get_data(as_text=True)
    sign = f"/petitions/{petition.id}/sign"
    signed = thief.post(
        sign, data={"declaration": "live", "csrf_token": token}, headers=htmx_headers()
    )
    assert signed.status_code == 401
    assert "Sign in to sign this petition" in signed.get_data(as_text=True)
    signed_page = thief.post(sign, data={"declaration": "live", "csrf_token": token})
    assert signed_page.status_code == 302 and "/login" in signed_page.headers["Location"]
    assert count_rows(db, MotionParticipation) == 0
    assert count_rows(db, Signature) == 0


def test_a_remember_me_cookie_saved_before_sign_out_is_useless_afterwards(strict_app, world, db):
    person = world.make.user()
    client, token = _signed_in(strict_app, person, remember=True)
    assert _signed_in_now(_copy(client, strict_app, "remember_token"))  # it works meanwhile
    thief = _copy(client, strict_app, "remember_token")
    client.post("/logout", data={"csrf_token": token})
    assert not _signed_in_now(thief)


def test_signing_out_on_one_device_leaves_the_others_signed_in(strict_app, world, db):
    person = world.make.user()
    phone, phone_token = _signed_in(strict_app, person)
    laptop, _ = _signed_in(strict_app, person)
    assert phone.post("/logout", data={"csrf_token": phone_token}).status_code == 302
    assert not _signed_in_now(phone)
    assert _signed_in_now(laptop)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(strict_app, world, db):
    person = world.make.user()
    phone, phone_token = _signed_in(strict_app, person)
    laptop, _ = _signed_in(strict_app, person, remember=True)
    kept = _copy(laptop, strict_app, "remember_token")
    changed = phone.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": "quiet river morning",
            "pw-confirm": "quiet river morning",
            "csrf_token": phone_token,
        },
    )
    assert changed.status_code == 302
    assert _signed_in_now(phone)
    assert not _signed_in_now(laptop)
    assert not _signed_in_now(kept)


def test_sessions_are_rows_that_sign_out_deletes(strict_app, world, db):
    from participate.accounts.models import UserSession

    person = world.make.user()
    client, token = _signed_in(strict_app, person)
    assert count_rows(db, UserSession, user_id=person.id) == 1
    client.post("/logout", data={"csrf_token": token})
    assert count_rows(db, UserSession, user_id=person.id) == 0


def test_signing_in_again_ends_the_browsers_previous_session(strict_app, world, db):
    from participate.accounts.models import UserSession

    person, other = world.make.user(), world.make.user()
    client, token = _signed_in(strict_app, person)
    before = _copy(client, strict_app, "session")
    response = client.post(
        "/login", data={"email": other.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert not _signed_in_now(before)
    assert count_rows(db, UserSession, user_id=person.id) == 0
    assert other.name in client.get("/profile").get_data(as_text=True)


def test_the_csrf_token_changes_at_sign_in(strict_app, world, db):
    person = world.make.user()
    client = strict_app.test_client()
    before = _token(client)
    with client.session_transaction() as session:
        raw_before = session["csrf_token"]
    response = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    after = _token(client, "/profile")
    with client.session_transaction() as session:
        assert session["csrf_token"] != raw_before
    # a token handed out before sign-in no longer works after it
    stale = client.post("/profile", data={"name": "New name", "csrf_token": before})
    assert stale.status_code == 400
    fresh = client.post("/profile", data={"name": "New name", "csrf_token": after})
    assert fresh.status_code == 302


def test_csrf_tokens_expire_after_a_few_hours(strict_app):
    from participate.config import Config

    limit = Config.WTF_CSRF_TIME_LIMIT
    assert isinstance(limit, int) and 3600 <= limit <= 12 * 3600
    assert strict_app.config["WTF_CSRF_TIME_LIMIT"] == limit


def test_an_expired_form_says_so_and_what_to_do(strict_app, world, db):
    person = world.make.user()
    client, token = _signed_in(strict_app, person)
    strict_app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is older than that
    for headers in ({}, htmx_headers()):
        response = client.post("/profile", data={"name": "X", "csrf_token": token}, headers=headers)
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert "expired" in text and "hours" in text and "reload" in text.lower()


def test_old_cookies_from_before_sessions_were_rows_sign_nobody_in(strict_app, world, db):
    """A cookie holding "id:session_version" (the form before this change) is refused."""
    person = world.make.user()
    client = strict_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{person.id}:{person.session_version}"
        session["_fresh"] = True
    assert not _signed_in_now(client)


def test_expired_session_rows_sign_nobody_in(strict_app, world, db):
    from participate.accounts.models import UserSession

    person = world.make.user()
    client, _ = _signed_in(strict_app, person)
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == person.id)
        .values(created_at=utcnow() - timedelta(days=400))
    )
    db.session.commit()
    assert not _signed_in_now(client)
