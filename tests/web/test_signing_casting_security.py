"""Signing and casting through the framework's own security, on an app with CSRF protection
and rate limits on (the test app runs without them): a missing or forged CSRF token is a 400
and writes nothing, an ended or tampered session signs nobody in, one rate-limit budget
covers the page, its htmx fragment and the API (429 with Retry-After), every answer carries
the security headers, and the app's request hooks run on these routes like any other.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import request

from participate.util import utcnow
from participate.votes.results import opened_ballots
from tests.conftest import PASSWORD, api_token, htmx_headers
from tests.factories import petitions as shared
from tests.factories.petitions import count_rows, opened, small_rules

world = shared.world  # the fixture, shared with test_petitions.py


@pytest.fixture
def strict_app(app):
    """A second app on the same database with CSRF and rate limits on."""
    from participate import create_app
    from participate.extensions import limiter

    config = dict(app.config)
    config.update(
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        PETITION_SIGN_LIMIT_ACCOUNT="3 per minute",
        PETITION_SIGN_LIMIT_ADDRESS="100 per minute",
        VOTE_RATE_LIMIT="2 per minute",
    )
    strict = create_app(config)
    limiter.reset()
    yield strict
    limiter.reset()
    limiter.enabled = False


def _token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def _signed_in(strict_app, user):
    client = strict_app.test_client()
    token = _token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client, _token(client, "/profile")


@pytest.fixture
def big(world):
    small_rules(world.council, petition_minimum=1000)
    return opened(world)


def test_htmx_signing_checks_the_csrf_token_like_the_full_path(strict_app, world, db, big):
    from participate.petitions.models import Signature

    client, token = _signed_in(strict_app, world.make.user())
    path = f"/petitions/{big.id}/sign"
    for headers in (htmx_headers(), {}):  # the fragment, then the plain form
        missing = client.post(
            path, data={"declaration": "live", "place": "manchester"}, headers=headers
        )
        forged = client.post(
            path,
            data={"declaration": "live", "place": "manchester", "csrf_token": token[:-4] + "AAAA"},
            headers=headers,
        )
        for response in (missing, forged):
            assert response.status_code == 400
            assert "This form had expired" in response.get_data(as_text=True)
    assert count_rows(db, Signature) == 0
    signed = client.post(
        path,
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert signed.status_code == 200 and "Thank you" in signed.get_data(as_text=True)
    assert count_rows(db, Signature) == 1


def test_fragments_carry_the_security_headers(strict_app, world, db, big):
    client, token = _signed_in(strict_app, world.make.user())
    path = f"/petitions/{big.id}/sign"
    data = {"declaration": "live", "place": "manchester", "csrf_token": token}
    signed = client.post(path, data=data, headers=htmx_headers())
    refused = client.post(path, data=data, headers=htmx_headers())  # already signed
    assert (signed.status_code, refused.status_code) == (200, 409)
    for response in (signed, refused):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "HX-Request" in response.headers["Vary"]
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<html" not in response.get_data(as_text=True)
    assert signed.headers["HX-Trigger"] == "petition-signed"
    assert "Thank you: your signature is recorded" in signed.get_data(as_text=True)
    body = refused.get_data(as_text=True)
    assert "already signed this petition" in body
    assert f'href="/petitions/{big.id}"' in body


def test_every_request_hook_runs_on_the_writes(strict_app, world, db, big):
    """One request path: a hook the app adds sees signing and casting like any other route."""
    seen: list[str] = []
    strict_app.before_request(lambda: seen.append(request.endpoint or ""))
    client, token = _signed_in(strict_app, world.make.user())
    seen.clear()
    client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
        headers=htmx_headers(),
    )
    client.post("/motions/999999/ballot", data={"csrf_token": token}, headers=htmx_headers())
    assert seen == ["petitions.sign", "votes.cast"]


def test_a_stale_session_is_refused_and_writes_nothing(strict_app, world, db, big):
    from participate.petitions.models import Signature

    person = world.make.user()
    client, token = _signed_in(strict_app, person)
    person.session_version = (person.session_version or 1) + 1  # a password change elsewhere
    db.session.commit()
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert response.status_code == 401
    assert "Sign in to sign this petition." in response.get_data(as_text=True)
    plain = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
    )
    assert plain.status_code == 302 and "/login" in plain.headers["Location"]
    assert count_rows(db, Signature) == 0


def test_a_tampered_session_cookie_signs_nobody_in(strict_app, world, db, big):
    from participate.petitions.models import Signature

    client, token = _signed_in(strict_app, world.make.user())
    cookie = client.get_cookie("session")
    value = cookie.value
    forged = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    client.set_cookie("session", forged, domain=cookie.domain)
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
        headers=htmx_headers(),
    )
    # the session does not load, so neither does its CSRF token: refused before the view
    assert response.status_code == 400
    assert count_rows(db, Signature) == 0


def test_a_fault_is_answered_as_flask_would(strict_app, world, db, big, monkeypatch):
    from participate.petitions import signing

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(signing, "sign_petition", broken)
    strict_app.config["PROPAGATE_EXCEPTIONS"] = False
    client, token = _signed_in(strict_app, world.make.user())
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert response.status_code == 500
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_one_rate_limit_budget_for_page_and_api(strict_app, world, db, big):
    from participate.petitions.models import Signature

    person = world.make.user()
    client, token = _signed_in(strict_app, person)
    others = [opened(world, title=f"Another petition number {i}") for i in range(3)]
    data = {"declaration": "live", "place": "manchester", "csrf_token": token}
    fragment = client.post(f"/petitions/{big.id}/sign", data=data, headers=htmx_headers())
    page = client.post(f"/petitions/{others[0].id}/sign", data=data)
    api = strict_app.test_client().post(
        f"/api/v1/petitions/{others[1].id}/signatures",
        json={"declaration": "live", "place": "manchester"},
        headers=api_token(person),
    )
    assert (fragment.status_code, page.status_code, api.status_code) == (200, 303, 201)
    refused_fragment = client.post(
        f"/petitions/{others[2].id}/sign", data=data, headers=htmx_headers()
    )
    refused_api = strict_app.test_client().post(
        f"/api/v1/petitions/{others[2].id}/signatures",
        json={"declaration": "live", "place": "manchester"},
        headers=api_token(person),
    )
    assert refused_fragment.status_code == refused_api.status_code == 429
    assert "You are signing too quickly" in refused_fragment.get_data(as_text=True)
    assert "<html" not in refused_fragment.get_data(as_text=True)
    assert refused_api.get_json()["error"]["code"] == "rate_limited"
    for response in (refused_fragment, refused_api):
        assert int(response.headers["Retry-After"]) >= 1
    assert count_rows(db, Signature) == 3


def test_trusted_proxies_give_each_client_its_own_address_bucket(app, world, db, big):
    """Behind PARTICIPATE_TRUSTED_PROXIES proxies, X-Forwarded-For names the client (ProxyFix);
    without the setting the header is ignored, so a client cannot pick its own bucket."""
    from participate import create_app
    from participate.extensions import limiter

    def statuses(trusted: int) -> list[int]:
        config = dict(app.config)
        config.update(
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            PETITION_SIGN_LIMIT_ADDRESS="1 per minute",
            TRUSTED_PROXIES=trusted,
        )
        limited = create_app(config)
        limiter.reset()
        codes = []
        for address in ("203.0.113.1", "203.0.113.2"):
            codes.append(
                limited.test_client()
                .post(
                    f"/petitions/{big.id}/sign",
                    data={"declaration": "live", "place": "manchester"},
                    headers={"X-Forwarded-For": address},
                )
                .status_code
            )
        return codes

    try:
        assert statuses(1) == [302, 302]  # two clients: each its own budget (then: sign in)
        assert statuses(0) == [302, 429]  # one address (the proxy's): one budget
    finally:
        limiter.reset()
        limiter.enabled = False


def _binary_motion_and_voter(world, title: str, constituency: str):
    """An open yes/no motion of the world's council, and a member who may vote on it."""
    from participate.votes import services as votes

    voter = world.make.user()
    world.make.member(voter, world.council, constituency)
    motion = votes.open_motion(
        world.clerk,
        world.council,
        title=title,
        method="binary",
        closes_at=utcnow() + timedelta(days=7),
    )
    return motion, voter


def test_htmx_casting_keeps_the_rules_and_the_limit(strict_app, world, db):
    from participate.votes.models import Ballot

    motion, voter = _binary_motion_and_voter(world, "Open on Saturdays", "citizen")
    client, token = _signed_in(strict_app, voter)
    path = f"/motions/{motion.id}/ballot"
    bad = client.post(path, data={"choice": "maybe", "csrf_token": token}, headers=htmx_headers())
    assert bad.status_code == 400 and "<html" not in bad.get_data(as_text=True)
    assert count_rows(db, Ballot) == 0
    cast = client.post(path, data={"choice": "yes", "csrf_token": token}, headers=htmx_headers())
    assert cast.status_code == 200 and "Your receipt is" in cast.get_data(as_text=True)
    # the limit is 2 a minute, the refused ballot above counted: the third request is refused
    again = client.post(path, data={"choice": "no", "csrf_token": token}, headers=htmx_headers())
    assert again.status_code == 429
    [ballot] = opened_ballots(motion)
    assert ballot.choice == "yes"


def test_the_cast_ballot_panel_works_as_the_pages(strict_app, world, db):
    """The panel it renders posts to the right place with a CSRF token that the next ballot
    passes."""

    motion, voter = _binary_motion_and_voter(world, "Publish the rota a month ahead", "employee")
    client, token = _signed_in(strict_app, voter)
    path = f"/motions/{motion.id}/ballot"
    cast = client.post(path, data={"choice": "no", "csrf_token": token}, headers=htmx_headers())
    html = cast.get_data(as_text=True)
    assert cast.status_code == 200 and "Your ballot was recorded" in html
    assert f'hx-post="{path}"' in html
    panel_token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    changed = client.post(
        path, data={"choice": "yes", "csrf_token": panel_token}, headers=htmx_headers()
    )
    assert changed.status_code == 200 and "Your ballot was changed" in changed.get_data(
        as_text=True
    )
    [ballot] = opened_ballots(motion)
    assert ballot.choice == "yes"


def test_unknown_motions_and_petitions_and_wrong_methods(strict_app, world, db):
    client, token = _signed_in(strict_app, world.make.user())
    missing = client.post(
        "/petitions/999999/sign",
        data={"declaration": "live", "place": "manchester", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert missing.status_code == 404
    wrong_method = client.get("/petitions/1/sign", headers=htmx_headers())
    assert wrong_method.status_code == 405


def _redis_url() -> str | None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/9"


@pytest.fixture
def redis_app(app):
    """CSRF and rate limits on, counted in Redis by Flask-Limiter."""
    import uuid

    from participate import create_app
    from participate.extensions import limiter

    url = _redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = dict(app.config)
    config.update(
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=url,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",  # the SQLite and PostgreSQL runs at once
        PETITION_SIGN_LIMIT_ACCOUNT="2 per minute",
        PETITION_SIGN_LIMIT_ADDRESS="3 per minute",
    )
    strict = create_app(config)
    yield strict
    # no limiter.reset(): it would clear the other run's keys too; these expire in a minute
    limiter.enabled = False


def test_redis_counts_both_signing_limits(redis_app, world, db, big):
    from participate.petitions.models import Signature

    client, token = _signed_in(redis_app, world.make.user())
    others = [opened(world, title=f"Another petition number {i}") for i in range(3)]
    data = {"declaration": "live", "place": "manchester", "csrf_token": token}
    codes = [
        client.post(f"/petitions/{p.id}/sign", data=data, headers=htmx_headers()).status_code
        for p in [big, others[0]]
    ]
    # the plain form post counts against the same budget: the account is spent
    refused = client.post(f"/petitions/{others[1].id}/sign", data=data)
    assert codes + [refused.status_code] == [200, 200, 429]
    # the breach stopped the count at the account limit: the address used 2 of its 3
    other, other_token = _signed_in(redis_app, world.make.user())
    data = {"declaration": "live", "place": "manchester", "csrf_token": other_token}
    first = other.post(f"/petitions/{big.id}/sign", data=data, headers=htmx_headers())
    second = other.post(f"/petitions/{others[0].id}/sign", data=data, headers=htmx_headers())
    assert (first.status_code, second.status_code) == (200, 429)
    assert int(second.headers["Retry-After"]) >= 1
    assert count_rows(db, Signature) == 3


def test_an_address_limit_left_to_the_proxy_still_counts_accounts(app, world, db, big):
    """PARTICIPATE_SIGN_LIMIT_ADDRESS=off (nginx limits per address in front): one address
    signs for many people, while each account keeps its own limit."""
    from participate import create_app
    from participate.extensions import limiter

    config = dict(app.config)
    config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        WTF_CSRF_ENABLED=True,
        PETITION_SIGN_LIMIT_ADDRESS="off",
        PETITION_SIGN_LIMIT_ACCOUNT="1 per minute",
    )
    limited = create_app(config)
    limiter.reset()
    try:
        people = [world.make.user() for _ in range(3)]
        codes = []
        for person in people:
            client, token = _signed_in(limited, person)
            data = {"declaration": "live", "place": "manchester", "csrf_token": token}
            codes.append(
                client.post(f"/petitions/{big.id}/sign", data=data, headers=htmx_headers())
            )
        assert [r.status_code for r in codes] == [200, 200, 200]
        again = client.post(
            f"/petitions/{opened(world, title='One more petition').id}/sign",
            data=data,
            headers=htmx_headers(),
        )
        assert again.status_code == 429
    finally:
        limiter.reset()
        limiter.enabled = False
