"""Ballots under concurrent load, over real HTTP against a multi-process server.

A granian server with 2 workers (its own, so a worker can be killed mid-run) shares the
test database. Many members cast and change ballots at once with their API tokens, each
member sending several requests at the same instant; one worker is killed with SIGKILL
in the middle, granian starts another, and the clients retry what was lost. Then: exactly
one ballot and one participation row per distinct voter, one receipt per voter across all
their answers, and each voter's final choice is the last one they sent. A second motion is
closed while ballots are still arriving: every acknowledged ballot is counted, every
refused one is not, and the published tally equals the ballots in the database.

Run on SQLite (default) and on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import signal
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import LiveServer, api_token
from tests.web.test_votes import counts, later

pytestmark = pytest.mark.concurrency

SECRET = "live-test"  # the LiveServer's SECRET_KEY: lets the test find a voter's ballot
CHOICES = ("yes", "no", "abstain")


@pytest.fixture
def server(app, database_url, tmp_root):
    live = LiveServer(database_url, tmp_root / "votes-outbox", workers=2)
    yield live
    live.stop()


@pytest.fixture
def council(db, make):
    from participate.accounts.models import User
    from participate.councils.models import Membership

    councils = make.structure()
    council = councils["health-manchester"]
    clerk = make.clerk(council)
    # Many members at once: one shared password hash (hashing each would take minutes).
    template = make.user("template@example.org")
    users = [
        User(email=f"voter{i}@example.org", name=f"Voter {i}", password_hash=template.password_hash)
        for i in range(48)
    ]
    db.session.add_all(users)
    db.session.flush()
    constituencies = ["citizen", "citizen", "employee", "leader", "elected", "partner"]
    db.session.add_all(
        Membership(
            user_id=u.id,
            council_id=council.id,
            constituency=constituencies[i % len(constituencies)],
            status="active",
        )
        for i, u in enumerate(users)
    )
    db.session.commit()
    return {"council": council, "clerk": clerk, "voters": users}


def _ref(motion_id: int, user_id: int) -> str:
    return hmac.new(SECRET.encode(), f"{motion_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def _post(url: str, headers: dict, body: dict, attempts: int = 8) -> list[requests.Response]:
    """POST, retrying when the connection is lost (a killed worker): a cast is idempotent
    (the last one sent wins), so resending is safe. Returns every answer received."""
    answers = []
    for attempt in range(attempts):
        try:
            answers.append(requests.post(url, json=body, headers=headers, timeout=60))
            return answers
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            # the connection broke before the answer (or within it): outcome unknown, resend
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError(f"no answer from {url} after {attempts} attempts")


def test_many_members_casting_and_changing_at_once_end_with_one_ballot_each(db, server, council):
    from participate.votes import services

    clerk, voters = council["clerk"], council["voters"]
    binary = services.open_motion(
        clerk, council["council"], title="Concurrent yes/no", method="binary", closes_at=later()
    )
    ranked = services.open_motion(
        clerk,
        council["council"],
        title="Concurrent ranking",
        method="schulze",
        options=["A", "B", "C", "D"],
        closes_at=later(),
    )
    tokens = {u.id: api_token(u) for u in voters}
    rng = random.Random(5)
    # Wave 1: every voter sends 3 ballots to each motion at the same instant.
    plan = []
    for user in voters:
        for _ in range(3):
            plan.append((user.id, binary.id, {"choice": rng.choice(CHOICES)}))
            plan.append((user.id, ranked.id, {"ranking": rng.sample("ABCD", k=rng.randint(1, 4))}))
    rng.shuffle(plan)
    answers: dict[tuple[int, int], list[requests.Response]] = defaultdict(list)
    lock = threading.Lock()
    killed = threading.Event()
    killed_pid: list[int] = []

    def send(item):
        user_id, motion_id, body = item
        got = _post(f"{server.url}/api/v1/motions/{motion_id}/ballots", tokens[user_id], body)
        with lock:
            answers[(user_id, motion_id)].extend(got)

    def kill_a_worker():
        time.sleep(0.3)
        workers = server.workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed.set()
            killed_pid.append(workers[0])

    with ThreadPoolExecutor(max_workers=24) as pool:
        pool.submit(kill_a_worker)
        list(pool.map(send, plan))
    assert killed.is_set(), "the mid-run worker kill did not happen"
    # granian replaced the killed worker (--respawn-failed-workers): two workers again.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        workers = server.workers()
        if len(workers) == 2 and killed_pid[0] not in workers:
            break
        time.sleep(0.1)
    assert len(workers) == 2 and killed_pid[0] not in workers, workers

    # Wave 2: each voter's last word, sent one at a time per voter (still many voters at once).
    final = {}
    for user in voters:
        final[(user.id, binary.id)] = {"choice": rng.choice(CHOICES)}
        final[(user.id, ranked.id)] = {"ranking": rng.sample("ABCD", k=rng.randint(1, 4))}
    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(lambda kv: send((kv[0][0], kv[0][1], kv[1])), final.items()))

    for (user_id, motion_id), got in answers.items():
        statuses = [r.status_code for r in got]
        assert set(statuses) <= {200, 201}, (user_id, motion_id, [r.text for r in got][:2])
        assert statuses.count(201) <= 1, (user_id, motion_id, statuses)
        assert len({r.json()["receipt"] for r in got}) == 1, (user_id, motion_id)
    # Exactly one first cast per voter and motion, unless its answer was lost with the
    # killed worker (then the retry saw a change).
    firsts = sum(1 for got in answers.values() if 201 in [r.status_code for r in got])
    assert len(voters) * 2 - 8 <= firsts <= len(voters) * 2

    db.session.expire_all()
    for motion in (binary, ranked):
        assert counts(db, motion.id) == (len(voters), len(voters))
    from participate.votes.results import opened_ballots

    opened = [(m.id, b) for m in (binary, ranked) for b in opened_ballots(m)]
    stored = {(motion_id, b.ref): (b.choice, b.ranking) for motion_id, b in opened}
    receipts = {(motion_id, b.ref): b.receipt for motion_id, b in opened}
    for (user_id, motion_id), body in final.items():
        key = (motion_id, _ref(motion_id, user_id))
        choice, ranking = stored[key]
        assert (body.get("choice"), body.get("ranking")) == (choice, ranking)
        assert receipts[key] == answers[(user_id, motion_id)][-1].json()["receipt"]

    # The tally counts exactly these ballots, and the file re-tallies to the same result.
    result = services.close_voting(clerk, db.session.merge(binary))
    assert sum(row["voted"] for row in result["constituencies"].values()) == len(voters)


def test_closing_while_ballots_arrive_counts_every_acknowledged_ballot(db, server, council):
    from participate.votes import services
    from participate.votes.models import Ballot, Motion

    clerk, voters = council["clerk"], council["voters"]
    motion = services.open_motion(
        clerk, council["council"], title="Closing race", method="binary", closes_at=later()
    )
    tokens = {u.id: api_token(u) for u in voters}
    start = threading.Barrier(25)
    outcomes: dict[int, list[int]] = defaultdict(list)
    lock = threading.Lock()

    url = f"{server.url}/api/v1/motions/{motion.id}/ballots"
    user_ids = [u.id for u in voters]  # read here: the threads have no app context

    def voter(user_id):
        for i in range(4):
            r = _post(url, tokens[user_id], {"choice": CHOICES[i % 3]})[-1]
            with lock:
                outcomes[user_id].append(r.status_code)

    def close():  # in this thread, which holds the app context
        time.sleep(0.15)
        return services.close_voting(clerk, db.session.get(Motion, motion.id))

    def voters_batch(batch):
        start.wait()
        for user_id in batch:
            voter(user_id)

    batches = [user_ids[i::24] for i in range(24)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        futures = [pool.submit(voters_batch, b) for b in batches]
        start.wait()
        result = close()
        for f in futures:
            f.result()

    acknowledged = {uid for uid, statuses in outcomes.items() if {200, 201} & set(statuses)}
    for statuses in outcomes.values():
        assert set(statuses) <= {200, 201, 409}
        # Once refused as closed, never accepted again.
        if 409 in statuses:
            assert all(s == 409 for s in statuses[statuses.index(409) :])
    db.session.expire_all()
    refs = set(db.session.scalars(sa.select(Ballot.ref).where(Ballot.motion_id == motion.id)))
    assert refs == {_ref(motion.id, uid) for uid in acknowledged}
    assert sum(row["voted"] for row in result["constituencies"].values()) == len(refs)
    assert counts(db, motion.id) == (len(refs), len(refs))
    assert any(409 in s for s in outcomes.values()), "the close did not overlap the casting"
