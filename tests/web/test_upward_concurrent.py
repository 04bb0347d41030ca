"""Many forwards into one inbox at the same moment, over HTTP, through two server processes:
the inbox lock keeps the index and the aggregates exact (nothing lost, nothing counted twice),
and a second forward of the same proposal racing the first is refused by the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import api_token
from tests.factories.upward import STATEMENT, adopt, build_world

TOPICS = [
    (
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead.",
        "gp-access",
    ),
    ("Free hospital parking for carers", "Carers pay to park at hospital every visit.", "parking"),
    ("NHS dentists for adults", "No practice takes new adult NHS dental patients.", "dentistry"),
    (
        "Mental health support in schools",
        "Young people wait a year for CAMHS support.",
        "mental-health",
    ),
]


@pytest.mark.concurrency
def test_concurrent_forwards_keep_the_inbox_exact(live_server, make, db):
    from participate.upward.models import Cluster, ClusterFeature, Forward, Inbox

    world = build_world(make)
    made = []
    for i in range(16):
        council = world["health-manchester"] if i % 2 == 0 else world["health-salford"]
        clerk = world.manchester_clerk if i % 2 == 0 else world.salford_clerk
        title, body, theme = TOPICS[i % len(TOPICS)]
        supporters = world.members[council.slug][: 1 + i % 3]
        made.append((adopt(clerk, council, f"{title} ({i})", body, [theme], supporters), clerk))
    tokens = {clerk.id: api_token(clerk) for _p, clerk in made}
    # plain values only: the threads run outside the app context
    jobs = [(p.id, tokens[clerk.id]) for p, clerk in made]

    def send(job):
        proposal_id, headers = job
        return requests.post(
            f"{live_server.url}/api/v1/proposals/{proposal_id}/forwards",
            json={"targets": ["health-north-west"], "subsidiarity": STATEMENT},
            headers=headers,
            timeout=120,
        ).status_code

    # every proposal once, plus a racing duplicate of the first four
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, jobs + jobs[:4]))
    assert statuses.count(201) == 16, statuses
    assert statuses.count(409) == 4, statuses

    db.session.expire_all()
    forwards = db.session.scalars(sa.select(Forward)).all()
    assert len(forwards) == 16
    assert all(f.cluster_id is not None for f in forwards)
    inbox = db.session.get(Inbox, world["health-north-west"].id)
    assert inbox.size == 16 and inbox.unanswered == 16
    live = db.session.scalars(
        sa.select(Cluster).where(Cluster.merged_into_id.is_(None), Cluster.size > 0)
    ).all()
    assert sum(c.size for c in live) == 16
    assert sum(c.supporters_total for c in live) == sum(f.supporters for f in forwards)
    for cluster in live:
        members = [f for f in forwards if f.cluster_id == cluster.id]
        assert cluster.size == len(members)
        assert cluster.councils == len({f.origin_council_id for f in members})
    holders = db.session.scalar(sa.select(sa.func.sum(ClusterFeature.holders)))
    assert holders == sum(len(f.vector) for f in forwards)
