"""The short path for htmx signing and casting (participate/surge.py): same rules, same answers.

The tests compare it with the full Flask path on an app with CSRF protection and rate limits
on (the test app runs without them): a missing or forged CSRF token is the same 400 and
writes nothing, the rate-limit budget is one for both paths, every answer carries the
security headers, and anything the short path does not serve falls through to Flask.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.util import utcnow
from tests.conftest import PASSWORD, htmx_headers
from tests.web import test_petitions as shared
from tests.web.test_petitions import count_rows, opened, small_rules

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
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


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
    for headers in (htmx_headers(), {}):  # the short path, then the full path
        missing = client.post(path, data={"declaration": "live"}, headers=headers)
        forged = client.post(
            path, data={"declaration": "live", "csrf_token": token[:-4] + "AAAA"}, headers=headers
        )
        for response in (missing, forged):
            assert response.status_code == 400
            assert "This form had expired" in response.get_data(as_text=True)
    assert count_rows(db, Signature) == 0
    signed = client.post(
        path, data={"declaration": "live", "csrf_token": token}, headers=htmx_headers()
    )
    assert signed.status_code == 200 and "Thank you" in signed.get_data(as_text=True)
    assert count_rows(db, Signature) == 1


@pytest.fixture
def lanes(monkeypatch):
    """Which lane served each request: "fast", "short" (or both, handed over)."""
    from participate import surge

    served: list[str] = []
    fast, short = surge.Surge._fast, surge.Surge._dispatch

    def spy_fast(self, *args):
        served.append("fast")
        return fast(self, *args)

    def spy_short(self, found, **kwargs):
        served.append("short")
        return short(self, found, **kwargs)

    monkeypatch.setattr(surge.Surge, "_fast", spy_fast)
    monkeypatch.setattr(surge.Surge, "_dispatch", spy_short)
    return served


def test_both_lanes_answer_with_the_security_headers(strict_app, world, db, big, lanes):
    client, token = _signed_in(strict_app, world.make.user())
    path = f"/petitions/{big.id}/sign"
    data = {"declaration": "live", "csrf_token": token}
    fast = client.post(path, data=data, headers=htmx_headers())
    refused = client.post(path, data=data, headers=htmx_headers())  # already signed
    other = opened(world, title="A second petition to sign")
    short = client.post(  # another browser: Flask-Login's session protection, so Flask reads it
        f"/petitions/{other.id}/sign",
        data=data,
        headers={**htmx_headers(), "User-Agent": "another browser"},
    )
    assert lanes == ["fast", "fast", "short"]
    assert (fast.status_code, refused.status_code, short.status_code) == (200, 409, 200)
    for response in (fast, refused, short):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "HX-Request" in response.headers["Vary"]
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert int(response.headers["Content-Length"]) == len(response.get_data())
    assert "Set-Cookie" not in fast.headers and "Set-Cookie" not in refused.headers
    for response in (fast, short):
        assert response.headers["HX-Trigger"] == "petition-signed"
        assert "Thank you: your signature is recorded" in response.get_data(as_text=True)
    body = refused.get_data(as_text=True)
    assert "already signed this petition" in body
    assert f'href="/petitions/{big.id}"' in body  # the fast lane's own url_for


def test_the_fast_lane_takes_only_a_signed_in_csrf_valid_form(strict_app, world, db, big, lanes):
    from participate.petitions.models import Signature

    client, token = _signed_in(strict_app, world.make.user())
    path = f"/petitions/{big.id}/sign"
    client.post(path, data={"declaration": "live"}, headers=htmx_headers())  # no token
    client.post(  # another browser with this session (Flask-Login's session protection)
        path,
        data={"declaration": "live", "csrf_token": token},
        headers={**htmx_headers(), "User-Agent": "another browser"},
    )
    client.post(  # JSON, not a form
        path, json={"declaration": "live"}, headers={**htmx_headers(), "X-CSRFToken": token}
    )
    visitor = strict_app.test_client()
    visitor.post(path, data={"declaration": "live"}, headers=htmx_headers())
    assert lanes == ["short"] * 4
    assert count_rows(db, Signature) == 1  # the other browser's: the same person, signed in
    lanes.clear()
    header = client.post(
        f"/petitions/{opened(world, title='Another one to sign').id}/sign",
        data={"declaration": "work"},
        headers={**htmx_headers(), "X-CSRFToken": token},
    )
    assert lanes == ["fast"] and header.status_code == 200
    assert count_rows(db, Signature) == 2


def test_a_stale_session_is_refused_by_the_write_itself(strict_app, world, db, big, lanes):
    from participate.petitions.models import Signature

    person = world.make.user()
    client, token = _signed_in(strict_app, person)
    person.session_version = (person.session_version or 1) + 1  # a password change elsewhere
    db.session.commit()
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert lanes == ["fast"]
    assert response.status_code == 401
    assert "Sign in to sign this petition." in response.get_data(as_text=True)
    assert count_rows(db, Signature) == 0


def test_a_fault_in_the_fast_lane_is_answered_as_flask_would(
    strict_app, world, db, big, monkeypatch
):
    from participate.petitions import signing

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(signing, "sign_petition", broken)
    strict_app.config["PROPAGATE_EXCEPTIONS"] = False
    client, token = _signed_in(strict_app, world.make.user())
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert response.status_code == 500
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_fast_lane_reads_the_session_as_flask_login_does(strict_app):
    from flask_login.utils import _create_identifier

    from participate.surge_caller import login_identifier

    for headers, address in [
        ({"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/128.0"}, "203.0.113.9"),
        ({"X-Forwarded-For": "198.51.100.7, 10.0.0.1", "User-Agent": "curl/8"}, "10.0.0.1"),
        ({}, "192.0.2.1"),
        ({"User-Agent": "naïve browser"}, "::1"),
    ]:
        with strict_app.test_request_context(
            "/", headers=headers, environ_base={"REMOTE_ADDR": address}
        ) as ctx:
            assert login_identifier(ctx.request.environ) == _create_identifier()


def test_one_rate_limit_budget_for_both_paths(strict_app, world, db, big):
    from participate.petitions.models import Signature

    client, token = _signed_in(strict_app, world.make.user())
    others = [opened(world, title=f"Another petition number {i}") for i in range(3)]
    data = {"declaration": "live", "csrf_token": token}
    short = client.post(f"/petitions/{big.id}/sign", data=data, headers=htmx_headers())
    full = client.post(f"/petitions/{others[0].id}/sign", data=data)
    short_again = client.post(f"/petitions/{others[1].id}/sign", data=data, headers=htmx_headers())
    assert (short.status_code, full.status_code, short_again.status_code) == (200, 303, 200)
    refused_short = client.post(
        f"/petitions/{others[2].id}/sign", data=data, headers=htmx_headers()
    )
    refused_full = client.post(f"/petitions/{others[2].id}/sign", data=data)
    assert refused_short.status_code == refused_full.status_code == 429
    assert "You are signing too quickly" in refused_short.get_data(as_text=True)
    assert "<html" not in refused_short.get_data(as_text=True)
    assert int(refused_short.headers["Retry-After"]) >= 1
    assert count_rows(db, Signature) == 3


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


def test_htmx_casting_goes_the_short_path_with_the_same_rules(strict_app, world, db):
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
    [ballot] = db.session.scalars(sa.select(Ballot)).all()
    assert ballot.choice == "yes"


def test_the_fast_lanes_ballot_panel_works_as_the_pages(strict_app, world, db, lanes):
    """The panel it renders (without a request) posts to the right place with a CSRF token
    that the next ballot passes."""
    from participate.votes.models import Ballot

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
    assert lanes == ["fast", "fast"]
    [ballot] = db.session.scalars(sa.select(Ballot)).all()
    assert ballot.choice == "yes"


def test_what_the_short_path_does_not_serve_falls_through_to_flask(strict_app, world, db):
    client, token = _signed_in(strict_app, world.make.user())
    missing = client.post(
        "/petitions/999999/sign",
        data={"declaration": "live", "csrf_token": token},
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
    """CSRF and rate limits on, counted in Redis (one round trip for both signing limits)."""
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


def test_redis_counts_both_limits_in_one_round_trip_with_flask_limiters_keys(
    redis_app, world, db, big
):
    from participate.petitions.models import Signature

    client, token = _signed_in(redis_app, world.make.user())
    others = [opened(world, title=f"Another petition number {i}") for i in range(3)]
    data = {"declaration": "live", "csrf_token": token}
    codes = [
        client.post(f"/petitions/{p.id}/sign", data=data, headers=htmx_headers()).status_code
        for p in [big, others[0]]
    ]
    # the full path (Flask-Limiter's own decorators) sees the two hits: the account is spent
    refused = client.post(f"/petitions/{others[1].id}/sign", data=data)
    assert codes + [refused.status_code] == [200, 200, 429]
    # the breach stopped the count at the account limit: the address used 2 of its 3
    other, other_token = _signed_in(redis_app, world.make.user())
    data = {"declaration": "live", "csrf_token": other_token}
    first = other.post(f"/petitions/{big.id}/sign", data=data, headers=htmx_headers())
    second = other.post(f"/petitions/{others[0].id}/sign", data=data, headers=htmx_headers())
    assert (first.status_code, second.status_code) == (200, 429)
    assert int(second.headers["Retry-After"]) >= 1
    assert count_rows(db, Signature) == 3
