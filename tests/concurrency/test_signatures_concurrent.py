"""Many signers at once against a multi-process server (granian, 2 workers, same database).

Every signer sends two requests at the same moment (one wins with 201/200, the other is
refused with 409), a few sign through the page with a session cookie and a CSRF token, and
the threshold is crossed mid-surge. Afterwards: one row per signer, the batch counter equals
the number of distinct signers, the threshold was recorded once at the right signature,
and ``reconcile`` finds nothing to change. A second test kills a worker mid-run.

Run on SQLite (default) and on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.web import test_petitions as shared

world = shared.world  # the fixture

N_API = 120
N_WEB = 10


def _bulk_signers(world, n: int, prefix: str) -> list[tuple[int, str]]:
    """n confirmed accounts with API tokens, inserted in bulk (password hashing is slow)."""
    from participate.accounts.models import ApiToken, User
    from participate.extensions import db
    from participate.util import utcnow

    template = world.make.user(f"{prefix}-template@example.org")
    now = utcnow()
    db.session.execute(
        sa.insert(User.__table__),
        [
            {
                "email": f"{prefix}{i}@example.org",
                "name": f"{prefix.title()} {i}",
                "password_hash": template.password_hash,
                "email_confirmed_at": now,
                "created_at": now,
                "is_admin": False,
                "bio": "",
                "email_notifications": False,
                "session_version": 1,
            }
            for i in range(n)
        ],
    )
    ids = db.session.scalars(
        sa.select(User.id).where(User.email.like(f"{prefix}%@example.org"), User.id != template.id)
    ).all()
    tokens = {uid: "pt_" + secrets.token_urlsafe(24) for uid in ids}
    db.session.execute(
        sa.insert(ApiToken.__table__),
        [
            {
                "user_id": uid,
                "name": "concurrency",
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                "created_at": now,
            }
            for uid, token in tokens.items()
        ],
    )
    db.session.commit()
    return list(tokens.items())


def _web_session(base: str, email: str, petition_id: int) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert token, "no CSRF token on the sign-in page"
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    page = session.get(f"{base}/petitions/{petition_id}").text
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert csrf and "I declare that I" in page
    return session, csrf.group(1)


def _pairs(calls):
    """Run each signer's two calls at the same moment (a barrier per signer), many signers at once."""
    results: dict[object, list[int]] = {}

    def run(key, call):
        barrier = threading.Barrier(2)

        def one():
            barrier.wait()
            return call()

        with ThreadPoolExecutor(2) as pair:
            statuses = [f.result() for f in [pair.submit(one), pair.submit(one)]]
        results[key] = statuses

    with ThreadPoolExecutor(16) as pool:
        for future in [pool.submit(run, key, call) for key, call in calls]:
            future.result()
    return results


def _open_petition(world, threshold: int):
    shared.small_rules(world.council, petition_minimum=threshold)
    return shared.opened(world)


def test_simultaneous_signers_and_duplicates_count_exactly(live_server, world, db):
    from participate.petitions import counters
    from participate.petitions.models import Petition, PetitionMilestone, Signature

    total = N_API + N_WEB
    petition = _open_petition(world, threshold=total // 2)
    petition_id = petition.id  # threads have no app context to reload an expired row
    base = live_server.url
    api_signers = _bulk_signers(world, N_API, "apisigner")
    web_users = [world.make.user(f"websigner{i}@example.org") for i in range(N_WEB)]
    web = [_web_session(base, u.email, petition_id) for u in web_users]

    def api_call(token):
        return lambda: (
            requests.post(
                f"{base}/api/v1/petitions/{petition_id}/signatures",
                json=(
                    {"declaration": "live", "place": "manchester"}
                    if hash(token) % 4
                    else {"declaration": "work", "place": "manchester", "service": "health"}
                ),
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            ).status_code
        )

    def web_call(session, csrf):
        return lambda: (
            session.post(
                f"{base}/petitions/{petition_id}/sign",
                data={"declaration": "live", "place": "manchester"},
                headers={"HX-Request": "true", "X-CSRFToken": csrf},
                timeout=60,
            ).status_code
        )

    calls = [(uid, api_call(token)) for uid, token in api_signers]
    calls += [(u.id, web_call(s, c)) for u, (s, c) in zip(web_users, web, strict=True)]
    results = _pairs(calls)

    for uid, statuses in results.items():
        assert sorted(statuses) in ([201, 409], [200, 409]), (uid, statuses)
    rows = db.session.scalars(
        sa.select(Signature.user_id).where(Signature.petition_id == petition.id)
    ).all()
    assert len(rows) == len(set(rows)) == total

    time.sleep(2.1)  # past the batch window: the next read counts the last batch
    body = requests.get(f"{base}/api/v1/petitions/{petition.id}", timeout=30).json()
    assert body["counts"]["total"] == total
    assert sum(body["counts"]["by_constituency"].values()) == total
    assert body["counts"]["by_place"] == {"manchester": total}
    assert body["status"] == "threshold_reached"

    db.session.expire_all()
    petition = db.session.get(Petition, petition.id)
    ordered = db.session.execute(
        sa.select(Signature.id, Signature.created_at)
        .where(Signature.petition_id == petition.id)
        .order_by(Signature.id)
    ).all()
    crossing = ordered[petition.threshold - 1]
    assert petition.threshold_reached_at == crossing.created_at
    milestones = {
        m.milestone: m
        for m in db.session.scalars(
            sa.select(PetitionMilestone).where(PetitionMilestone.petition_id == petition.id)
        )
    }
    assert set(milestones) == {10, 100, petition.threshold}
    assert milestones[petition.threshold].signature_id == crossing.id
    assert milestones[10].signature_id == ordered[9].id
    assert len(shared.events(db, "petition.threshold_reached")) == 1

    before = db.session.execute(
        sa.text(
            "SELECT count, last_signature_id, epoch FROM petition_counters WHERE petition_id = :p"
        ),
        {"p": petition.id},
    ).one()
    [result] = counters.reconcile([petition.id])
    assert not result.changed, result
    after = db.session.execute(
        sa.text(
            "SELECT count, last_signature_id, epoch FROM petition_counters WHERE petition_id = :p"
        ),
        {"p": petition.id},
    ).one()
    assert tuple(after) == tuple(before)


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find the workers")
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(live_server, world, db):
    from participate.petitions import counters
    from participate.petitions.models import Signature

    petition = _open_petition(world, threshold=100_000)
    petition_id = petition.id  # threads have no app context to reload an expired row
    base = live_server.url
    signers = _bulk_signers(world, 200, "killsigner")
    answered: dict[int, int] = {}
    lock = threading.Lock()

    seen: dict[object, int] = {}

    def sign(uid, token):
        # Retried until it gets an answer: a request on the killed worker has an unknown outcome.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status = requests.post(
                    f"{base}/api/v1/petitions/{petition_id}/signatures",
                    json={"declaration": "live", "place": "manchester"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                ).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            with lock:
                seen[status] = seen.get(status, 0) + 1
                if status in (201, 409):
                    answered[uid] = status
                    return
            time.sleep(0.05)

    def killer():
        time.sleep(0.3)
        workers = live_server.workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)

    threading.Thread(target=killer).start()
    with ThreadPoolExecutor(16) as pool:
        for future in [pool.submit(sign, uid, token) for uid, token in signers]:
            future.result()
    assert len(answered) == len(signers), seen  # every signer got an answer in the end
    rows = db.session.scalars(
        sa.select(Signature.user_id).where(Signature.petition_id == petition_id)
    ).all()
    assert len(rows) == len(set(rows)) == len(signers)  # nothing lost, nothing twice
    counters.refresh(petition_id, force=True)
    [result] = counters.reconcile([petition_id])
    assert not result.drift and not result.tally_changes
    assert result.after == len(signers)
