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


def test_the_short_path_answers_with_the_security_headers(strict_app, world, db, big, monkeypatch):
    from participate import surge

    served = []
    original = surge.Surge._dispatch
    monkeypatch.setattr(
        surge.Surge, "_dispatch", lambda self, found: served.append(found) or original(self, found)
    )
    client, token = _signed_in(strict_app, world.make.user())
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "csrf_token": token},
        headers=htmx_headers(),
    )
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Trigger"] == "petition-signed"
    assert "Set-Cookie" not in response.headers  # the session was not changed
    assert [route.view.__name__ for route in served] == ["_sign"]  # only the htmx POST


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


def test_htmx_casting_goes_the_short_path_with_the_same_rules(strict_app, world, db):
    from participate.votes import services as votes
    from participate.votes.models import Ballot

    voter = world.make.user()
    world.make.member(voter, world.council, "citizen")
    motion = votes.open_motion(
        world.clerk,
        world.council,
        title="Open on Saturdays",
        method="binary",
        closes_at=utcnow() + timedelta(days=7),
    )
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
