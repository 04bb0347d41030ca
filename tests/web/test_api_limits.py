"""API rate limits count the token's account, after the token is checked: every spelling
of one token (trailing Unicode whitespace that the token check strips) shares one budget,
and a token that signs nobody in is refused 401 before it is counted as anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participate.util import utcnow
from tests.conftest import api_token
from tests.factories import petitions as shared
from tests.factories.petitions import opened

world = shared.world  # the fixture, shared with test_petitions.py

# What str.strip() removes after the token: NO-BREAK SPACE, NEXT LINE, a tab, a space.
SPELLINGS = ["", "\xa0", "\x85", "\t", " \xa0"]


@pytest.fixture
def limited_app(app):
    """A second app on the same database with rate limits on."""
    from participate import create_app
    from participate.extensions import limiter

    config = dict(app.config)
    config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        VOTE_RATE_LIMIT="2 per minute",
        PETITION_SIGN_LIMIT_ACCOUNT="2 per minute",
        PETITION_SIGN_LIMIT_ADDRESS="100 per minute",
    )
    limited = create_app(config)
    limiter.reset()
    yield limited
    limiter.reset()
    limiter.enabled = False


def _open_motion(world):
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


def test_spellings_of_one_token_share_one_ballot_budget(limited_app, world, db):
    motion, voter = _open_motion(world)
    token = api_token(voter)["Authorization"]
    client = limited_app.test_client()
    statuses = [
        client.post(
            f"/api/v1/motions/{motion.id}/ballots",
            json={"choice": "yes"},
            headers={"Authorization": token + tail},
        ).status_code
        for tail in SPELLINGS
    ]
    assert statuses == [201, 200, 429, 429, 429]


def test_spellings_of_one_token_share_one_signing_budget(limited_app, world, db):
    person = world.make.user()
    token = api_token(person)["Authorization"]
    petitions = [opened(world, title=f"Petition number {i} for the clinic") for i in range(3)]
    client = limited_app.test_client()
    statuses = [
        client.post(
            f"/api/v1/petitions/{petition.id}/signatures",
            json={"declaration": "live", "place": "manchester"},
            headers={"Authorization": token + tail},
        ).status_code
        for petition, tail in zip(petitions, SPELLINGS, strict=False)
    ]
    assert statuses == [201, 201, 429]


@pytest.mark.parametrize("header", ["Bearer pt_not-a-real-token", "Basic abc", ""])
def test_a_token_that_signs_nobody_in_is_refused_before_it_is_counted(
    limited_app, world, db, header
):
    motion, voter = _open_motion(world)
    client = limited_app.test_client()
    headers = {"Authorization": header} if header else {}
    for _ in range(4):  # past the limit of 2: still a 401 that says what to do, never a 429
        response = client.post(
            f"/api/v1/motions/{motion.id}/ballots", json={"choice": "yes"}, headers=headers
        )
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] in ("bad_token", "token_required")
        assert "profile" in response.get_json()["error"]["message"]
    for _ in range(4):
        response = client.post(
            f"/api/v1/petitions/{opened(world).id}/signatures",
            json={"declaration": "live", "place": "manchester"},
            headers=headers,
        )
        assert response.status_code == 401
    # the address was not charged either: the real token casts at once
    cast = client.post(
        f"/api/v1/motions/{motion.id}/ballots", json={"choice": "yes"}, headers=api_token(voter)
    )
    assert cast.status_code == 201
