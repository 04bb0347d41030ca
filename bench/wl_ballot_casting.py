"""Ballot casting over HTTP (DESIGN.md §3, §8), on the shared harness (httpbench).

``ballot_casting_http`` (SQLite WAL) and ``ballot_casting_http_postgres`` (a fresh
PostgreSQL database): ballots per second, sustained, each a signed-in htmx form POST
(session cookie, csrf_token in the form and X-CSRFToken, one distinct member per first
ballot; 1 request in 10 is an earlier voter changing their ballot) to
``/motions/<id>/ballot`` on an open yes/no motion, served by participate under granian (2
workers, as ``participate serve``). Two baselines, measured in the same run on the same
server settings and database, the three targets interleaved round by round (A B C, C B A,
...) so that they share the machine's conditions:

- ``baseline``: the bare insert-per-request Flask app (bench/bare_app.py), writing to the
  same kind of database; ``ratio`` = app / bare (median of the rounds' ratios);
- ``textbook``: a textbook Flask view of the same write (bench/textbook_app.py: participate
  itself plus ``/textbook/motions/<id>/ballot``: ``@login_required``, a Flask-Limiter
  decorator, ORM add + commit, ``render_template``) casting on a second motion of the same
  council with the same sessions; ``ratio_textbook`` = app / textbook.

Rate limits stay ON, as in production (the per-voter limit; each member casts once or
twice), counted in Redis as for petition signing (``httpbench.rate_limit_storage``);
``VOTES_BENCH_RATELIMIT=0`` switches them off to measure their cost. After the runs: every
acknowledged ballot has exactly one row, found through its ref = HMAC(SECRET_KEY,
"motion:user") (the ballot table has no user column), and the participation rows equal the
ballot rows (lost / duplicated); the app's motion is then closed and its tally must count
exactly those ballots.

Pass (DESIGN §8; no absolute rate is a target): ratio >= 0.3 (goal 0.5), ratio_textbook
>= 2 (goal 3), p99 < 100 ms, 0 lost, 0 duplicated, no 5xx, counts consistent. The
PostgreSQL entry is skipped (pass null) when the server (httpbench.POSTGRES_URL, env
BENCH_POSTGRES_URL) cannot be reached.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random

import httpbench as hb

from participate.votes.closing import close_voting

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


def _setup(database_url: str, user_ids: list[int]) -> tuple[int, int]:
    """A council whose members are ``user_ids``, with two open yes/no motions (one for the
    app, one for the textbook view); their ids."""
    from datetime import timedelta

    import sqlalchemy as sa

    from participate import create_app
    from participate.accounts.services import create_user
    from participate.councils.memberships import appoint
    from participate.councils.models import Membership
    from participate.councils.services import council_by_slug
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
        ids = []
        for title in ("Open the walk-in centre on Saturdays", "Open the pharmacy on Sundays"):
            motion = services.open_motion(
                clerk, council, title=title, method="binary", closes_at=now + timedelta(days=7)
            )
            ids.append(motion.id)
        db.session.remove()
        db.engine.dispose()
    return ids[0], ids[1]


def _close_and_count(database_url: str, motion_id: int) -> dict:
    """Close the motion: the tally must count exactly the ballots in the table."""
    from participate import create_app
    from participate.extensions import db
    from participate.votes import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": hb.SECRET_KEY})
    with app.app_context():
        result = close_voting(None, services.get_motion(motion_id))
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


def _cast_requests(
    path: str, sessions: list[hb.Session], rng: random.Random
) -> list[hb.PreparedRequest]:
    """One htmx ballot POST per session; every CHANGE_EVERY-th, an earlier voter again."""
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
    return requests


def _voters(url: str, motion_id: int, user_ids: list[int]):
    """The voter of each ballot row of a motion, found through its ref (HMAC of the voter)."""
    key = hb.SECRET_KEY.encode()
    owner = {
        hmac.new(key, f"{motion_id}:{uid}".encode(), hashlib.sha256).hexdigest(): str(uid)
        for uid in user_ids
    }

    def row_keys():
        refs = hb.fetch_column(url, "SELECT ref FROM ballots WHERE motion_id = :m", m=motion_id)
        return [owner.get(ref, f"unknown:{ref}") for ref in refs]

    return row_keys


def measure(quick: bool, database: str, name: str) -> dict:
    rounds, seconds = (1, 1.5) if quick else (3, 5.0)
    rate_hint = 3000  # prepared first ballots per second of run: more than the app does here
    warmup = 100 if quick else 300
    n = int(rounds * seconds * rate_hint) + warmup
    rng = random.Random(2026)
    with (
        hb.workdir("ballot-bench-") as tmp,
        hb.rate_limit_storage(tmp) as storage,
        hb.app_database(database, tmp) as url,
    ):
        user_ids = hb.create_users(url, n, prefix="voter")
        motion_id, textbook_motion_id = _setup(url, user_ids)
        sessions = hb.mint_sessions(url, user_ids, hb.SECRET_KEY)
        env = hb.app_env(
            url,
            tmp,
            PARTICIPATE_RATELIMIT=os.environ.get("VOTES_BENCH_RATELIMIT", "1"),
            RATELIMIT_STORAGE_URI=storage,
        )
        bare_url = url if database == "postgresql" else None  # like with like
        bare_n = int(rounds * seconds * 6000) + warmup
        servers = hb.Server(hb.APP_TARGET, env=env), hb.Server(hb.TEXTBOOK_TARGET, env=env)
        with (
            hb.serving(*servers) as (server, textbook_server),
            hb.bare_target(tmp, bare_n, database_url=bare_url) as bare,
        ):
            hb.check_session(server.url, sessions[0])
            hb.check_session(textbook_server.url, sessions[0])
            app = hb.Target(
                name,
                server,
                _cast_requests(f"/motions/{motion_id}/ballot", sessions, rng),
                ok_statuses=(200,),
                row_keys=_voters(url, motion_id, user_ids),
            )
            textbook = hb.Target(
                "textbook",
                textbook_server,
                _cast_requests(f"/textbook/motions/{textbook_motion_id}/ballot", sessions, rng),
                ok_statuses=(200,),
                row_keys=_voters(url, textbook_motion_id, user_ids),
            )
            for target in (app, bare, textbook):
                target.warmup(warmup)
            hb.interleave([app, bare, textbook], rounds=rounds, duration_s=seconds)
            result = hb.write_entry(name, app, bare, textbook, unit="ballots/s", database=database)
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
        "load generator, the database server and other jobs share the 2 cores with the "
        "server (see app.other_cpu_share)"
    )
    return result


def run(quick: bool) -> list[dict]:
    return hb.per_database(NAME, "ballots/s", measure, quick)


if __name__ == "__main__":  # python bench/wl_ballot_casting.py [--quick]
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
