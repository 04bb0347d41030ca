"""Ballots under concurrent load, over real HTTP against a multi-process server.

A granian server with 2 workers (its own, so a worker can be killed mid-run) shares the
test database. Many members cast and change ballots at once with their API tokens, each
member sending several requests at the same instant; one worker is killed with SIGKILL
in the middle, granian starts another, and the clients retry what was lost. Then: exactly
one ballot and one participation row per distinct voter, one receipt per voter across all
their answers, and each voter's final choice is the last one they sent. A second motion is
closed while ballots are still arriving: every acknowledged ballot is counted, every
refused one is not, and the published tally equals the ballots in the database. A third
restarts the whole server in the middle of a surge of changed ballots.

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

from participate.votes.closing import close_voting
from participate.votes.results import ballot_file
from tests.conftest import LiveServer, api_token
from tests.factories.votes import counts, later

pytestmark = pytest.mark.concurrency

SECRET = "live-test"  # the LiveServer's SECRET_KEY: lets the test find a voter's ballot
CHOICES = ("yes", "no", "abstain")


@pytest.fixture
def server(app, database_url, tmp_root):
    live = LiveServer(database_url, tmp_root / "votes-outbox", workers=2)
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def live_key(app, monkeypatch):
    """The test process opens ballots the live server sealed (to check them, and to close
    the motion): with the server's key as a fallback, as a key rotation keeps the old one."""
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [SECRET])


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
        _assert_no_half_cast(db, motion.id, {u.id for u in voters})
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
    result = close_voting(clerk, db.session.merge(binary))
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
        return close_voting(clerk, db.session.get(Motion, motion.id))

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


def _assert_no_half_cast(db, motion_id: int, voter_ids: set[int]) -> None:
    """Each voter has a participation row and a ballot, and nothing else is there: no
    ballot without its voter's participation, no participation without its ballot."""
    from participate.votes.models import Ballot, MotionParticipation

    voted = set(
        db.session.scalars(
            sa.select(MotionParticipation.user_id).where(MotionParticipation.motion_id == motion_id)
        )
    )
    refs = db.session.scalars(sa.select(Ballot.ref).where(Ballot.motion_id == motion_id)).all()
    assert voted == voter_ids
    assert len(refs) == len(set(refs)) and set(refs) == {_ref(motion_id, u) for u in voted}


# ---------------------------------------------------------------- a restart mid-surge

LOST = "lost"  # the connection broke before the answer: the cast may or may not have run


@pytest.mark.skipif(not os.path.exists("/proc"), reason="needs /proc to find the workers")
@pytest.mark.parametrize("crash", [False, True], ids=["graceful", "crash"])
def test_a_server_restart_mid_surge_loses_and_half_writes_nothing(app, db, server, council, crash):
    """Every voter changes their ballot on two motions three times, one request after the
    other (each resent until it gets an answer), 24 voters at a time. A quarter of the way
    in the whole server restarts: gracefully (as a deploy does) or killed outright. Then
    every acknowledged cast is there once, with the last choice sent; a first cast was
    answered 201 unless a cut-off request had already made it; every voter's answers carry
    one receipt; no ballot lacks its participation row or the other way round; the tally
    counts every voter and the published ballot file re-tallies to the stored result."""
    from participate.core.ballot_file import tally_ballot_file
    from participate.votes import services
    from participate.votes.models import Motion
    from participate.votes.results import opened_ballots

    clerk, voters = council["clerk"], council["voters"]
    binary = services.open_motion(
        clerk, council["council"], title="Restart yes/no", method="binary", closes_at=later()
    )
    ranked = services.open_motion(
        clerk,
        council["council"],
        title="Restart ranking",
        method="schulze",
        options=["A", "B", "C", "D"],
        closes_at=later(),
    )
    motions = (binary.id, ranked.id)
    tokens = {u.id: api_token(u) for u in voters}
    rng = random.Random(13)
    plans = {
        (u.id, motion_id): [
            {"choice": rng.choice(CHOICES)}
            if motion_id == binary.id
            else {"ranking": rng.sample("ABCD", k=rng.randint(1, 4))}
            for _ in range(3)
        ]
        for u in voters
        for motion_id in motions
    }
    histories: dict[tuple[int, int], list] = {key: [] for key in plans}
    answers: dict[tuple[int, int], list[dict]] = {key: [] for key in plans}
    answered = threading.Semaphore(0)
    restarted = threading.Event()

    def cast(key):
        user_id, motion_id = key
        url = f"{server.url}/api/v1/motions/{motion_id}/ballots"
        for body in plans[key]:
            deadline = time.monotonic() + 60
            while True:
                assert time.monotonic() < deadline, (key, histories[key])
                try:
                    r = requests.post(url, json=body, headers=tokens[user_id], timeout=30)
                    outcome = r.status_code
                except requests.RequestException:
                    outcome = LOST
                histories[key].append(outcome)
                if outcome in (200, 201):
                    answers[key].append(r.json())
                    answered.release()
                    break
                time.sleep(0.05)

    def restart_a_quarter_in():
        for _ in range(len(plans) * 3 // 4):
            answered.acquire()
        server.restart(crash=crash)
        restarted.set()

    fault = threading.Thread(target=restart_a_quarter_in)
    fault.start()
    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(cast, list(plans)))
    fault.join(60)
    assert restarted.is_set(), "the restart did not happen mid-surge"
    outcomes = [o for h in histories.values() for o in h]
    assert LOST in outcomes, "no request met the restart"
    # 503 (the database busy for a moment) is answered and resent; a 500 is a bug.
    assert set(outcomes) <= {200, 201, 503, LOST}, sorted(set(map(str, outcomes)))
    for key, history in histories.items():
        acknowledged = [o for o in history if o in (200, 201)]
        assert len(acknowledged) == 3 and acknowledged.count(201) <= 1, (key, history)
        # Not a first cast: only when a request cut off before it had made the first one.
        first = history.index(acknowledged[0])
        assert acknowledged[0] == 201 or LOST in history[:first], (key, history)
        assert len({a["receipt"] for a in answers[key]}) == 1, key

    db.session.expire_all()
    voter_ids = {u.id for u in voters}
    for motion_id in motions:
        _assert_no_half_cast(db, motion_id, voter_ids)
        motion = db.session.get(Motion, motion_id)
        stored = {b.ref: b for b in opened_ballots(motion)}
        for user_id in voter_ids:
            ballot = stored[_ref(motion_id, user_id)]
            last = plans[(user_id, motion_id)][-1]
            assert (ballot.choice, ballot.ranking) == (last.get("choice"), last.get("ranking"))
            assert ballot.receipt == answers[(user_id, motion_id)][-1]["receipt"]
        result = close_voting(clerk, motion)
        assert sum(row["voted"] for row in result["constituencies"].values()) == len(voters)
        db.session.expire_all()
        motion = db.session.get(Motion, motion_id)
        assert tally_ballot_file(ballot_file(motion)) == motion.result
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
