"""Ballot casting over HTTP (DESIGN.md §3, §8), on the shared harness (httpbench).

``ballot_casting_http``: ballots per second, sustained, each a signed-in htmx form POST
(session cookie, csrf_token in the form and X-CSRFToken, one distinct member per first
ballot; 1 request in 10 is an earlier voter changing their ballot) to
``/motions/<id>/ballot`` on an open yes/no motion, served by participate under gunicorn
(2 workers, the harness's worker class) on SQLite WAL. Baseline: the bare
insert-per-request Flask app (bench/bare_app.py), measured in the same run, the two
interleaved round by round (A B, B A, ...) so they share the machine's conditions.

Rate limits stay ON, as in production (the per-voter limit; each member casts once or
twice), counted in Redis as for petition signing (``httpbench.rate_limit_storage``);
``VOTES_BENCH_RATELIMIT=0`` switches them off to measure their cost. After the runs: every acknowledged ballot has exactly one row, found through its
ref = HMAC(SECRET_KEY, "motion:user") (the ballot table has no user column), and the
participation rows equal the ballot rows (lost / duplicated); the motion is then closed
and its tally must count exactly those ballots.

Pass (DESIGN §8): >= 2,000 ballots/s, >= 0.5 x the bare app, p99 < 100 ms, 0 lost,
0 duplicated.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random

import httpbench as hb

NAME = "ballot_casting_http"
CHANGE_EVERY = 10
CONSTITUENCIES = (
    "citizen",
    "citizen",
    "citizen",
    "employee",
    "employee",
    "leader",
    "elected",
    "partner",
)


def _setup(database_url: str, user_ids: list[int]) -> int:
    """A council whose members are ``user_ids``, with an open yes/no motion; its id."""
    from datetime import timedelta

    import sqlalchemy as sa

    from participate import create_app
    from participate.accounts.services import create_user
    from participate.councils.models import Membership
    from participate.councils.services import appoint, council_by_slug
    from participate.councils.structure import import_structure
    from participate.extensions import db
    from participate.util import utcnow
    from participate.votes import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": hb.SECRET_KEY})
    with app.app_context():
        import_structure(
            {
                "services": [{"slug": "health", "name": "Health and care"}],
                "places": [
                    {"slug": "england", "name": "England", "level": "nation"},
                    {
                        "slug": "manchester",
                        "name": "Manchester",
                        "level": "local",
                        "parent": "england",
                        "population": 568_996,
                    },
                ],
                "councils": [
                    {"slug": "health-manchester", "service": "health", "place": "manchester"}
                ],
                "links": [],
            }
        )
        council = council_by_slug("health-manchester")
        clerk = create_user(
            "clerk@bench.example.org", "Clerk", "a long bench password", admin=True, confirmed=True
        )
        appoint(clerk, clerk, council, "clerk", "employee")
        now = utcnow()
        rows = [
            {
                "user_id": uid,
                "council_id": council.id,
                "constituency": CONSTITUENCIES[i % len(CONSTITUENCIES)],
                "status": "active",
                "role": "member",
                "requested_at": now,
                "decided_at": now,
            }
            for i, uid in enumerate(user_ids)
        ]
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(Membership), rows[start : start + 5000])
        db.session.commit()
        motion = services.open_motion(
            clerk,
            council,
            title="Open the walk-in centre on Saturdays",
            method="binary",
            closes_at=now + timedelta(days=7),
        )
        motion_id = motion.id
        db.session.remove()
        db.engine.dispose()
    return motion_id


def _close_and_count(database_url: str, motion_id: int) -> dict:
    """Close the motion: the tally must count exactly the ballots in the table."""
    from participate import create_app
    from participate.extensions import db
    from participate.votes import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": hb.SECRET_KEY})
    with app.app_context():
        result = services.close_voting(None, services.get_motion(motion_id))
        db.session.remove()
        db.engine.dispose()
    ballots = hb.count_rows(
        database_url, "SELECT count(*) FROM ballots WHERE motion_id = :m", m=motion_id
    )
    participation = hb.count_rows(
        database_url, "SELECT count(*) FROM motion_participation WHERE motion_id = :m", m=motion_id
    )
    tallied = sum(row["voted"] for row in result["constituencies"].values())
    return {"ballot_rows": ballots, "participation_rows": participation, "tallied": tallied}


def run(quick: bool) -> list[dict]:
    rounds, seconds = (1, 1.5) if quick else (3, 5.0)
    rate_hint = 2500  # prepared first ballots per second of run: more than this machine does
    warmup = 100 if quick else 300
    n = int(rounds * seconds * rate_hint) + warmup
    rng = random.Random(2026)
    with hb.workdir("ballot-bench-") as tmp, hb.rate_limit_storage(tmp) as storage:
        url = hb.fresh_sqlite_db(tmp / "app.sqlite3")
        user_ids = hb.create_users(url, n, prefix="voter")
        motion_id = _setup(url, user_ids)
        sessions = hb.mint_sessions(url, user_ids, hb.SECRET_KEY)
        path = f"/motions/{motion_id}/ballot"
        requests = []
        for i, session in enumerate(sessions):
            choice = rng.choice(("yes", "no", "abstain"))
            requests.append(
                hb.form_post(
                    path, {"choice": choice}, key=str(session.user_id), session=session, htmx=True
                )
            )
            if i % CHANGE_EVERY == CHANGE_EVERY - 1:  # an earlier voter changes their ballot
                again = sessions[i - CHANGE_EVERY // 2]
                requests.append(
                    hb.form_post(
                        path,
                        {"choice": rng.choice(("yes", "no", "abstain"))},
                        key=str(again.user_id),
                        session=again,
                        htmx=True,
                    )
                )
        key = hb.SECRET_KEY.encode()
        owner = {
            hmac.new(key, f"{motion_id}:{uid}".encode(), hashlib.sha256).hexdigest(): str(uid)
            for uid in user_ids
        }

        def row_keys():
            refs = hb.fetch_column(url, "SELECT ref FROM ballots WHERE motion_id = :m", m=motion_id)
            return [owner.get(ref, f"unknown:{ref}") for ref in refs]

        env = hb.app_env(
            url,
            tmp,
            PARTICIPATE_RATELIMIT=os.environ.get("VOTES_BENCH_RATELIMIT", "1"),
            RATELIMIT_STORAGE_URI=storage,
        )
        with hb.Server(hb.APP_TARGET, env=env) as server:
            hb.check_session(server.url, sessions[0])
            app = hb.Target(NAME, server, requests, ok_statuses=(200,), row_keys=row_keys)
            app.warmup(warmup)
            with hb.bare_target(tmp, n) as bare:
                bare.warmup(warmup)
                hb.interleave([app, bare], rounds=rounds, duration_s=seconds)
                result = hb.write_entry(NAME, app, bare, unit="ballots/s")
        checks = _close_and_count(url, motion_id)
    # Rows may exceed the acknowledged voters by the requests still in flight when a timed
    # run stopped (written, never answered); lost/duplicated above are exact.
    rows = checks["ballot_rows"]
    consistent = rows == checks["participation_rows"] == checks["tallied"]
    consistent = consistent and rows >= len(app.acknowledged())
    result.update(checks)
    result["acknowledged_voters"] = len(app.acknowledged())
    result["rate_limit_storage"] = storage.split("://")[0]
    result["pass"] = bool(result["pass"] and consistent)
    result["notes"] = (
        "htmx form POSTs with a minted signed-in session and CSRF token; rate limits on; the "
        "load generator and other jobs share the 2 cores with the server (see app.other_cpu_share)"
    )
    return [result]


if __name__ == "__main__":  # python bench/wl_ballot_casting.py [--quick]
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
