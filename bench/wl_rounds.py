"""Round pages over HTTP: the full round page of a round with 20 agenda items, 400 comments
(quick: 150) and 40 questions, and its live fragments polled by htmx with ETags, served by
granian (2 workers, ``httpbench.Server``, as ``participate serve``) from an SQLite file.

Figures (sequential GETs, p95 latency):
- ``rounds.page_p95``: the full round page; baseline the static sign-in page (/login) of the
  same server in the same run; target 100 ms.
- ``rounds.poll_304_p95``: a poll of the three fragments that answers 304 Not Modified (the
  common case: nothing changed in 10 s); baseline the same fragments answered 200 in full.
  Target 25 ms.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpbench as hb
import requests

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(5500, 5600)

SETUP = r"""
import sys
from datetime import timedelta
from flask_migrate import upgrade
from participate import create_app
from participate.extensions import db
app = create_app()
with app.app_context():
    upgrade(directory=sys.argv[1], revision="heads")
    from participate.accounts.models import User
    from participate.councils.models import Membership
    from participate.councils.services import council_by_slug
    from participate.councils.structure import import_structure
    from participate.proposals import discussion
    from participate.proposals import services as proposals
    from participate.rounds import services as rounds
    from participate.rounds.briefing import answer_question, ask_question, update_evidence
    from participate.rounds.lifecycle import advance_phase
    from participate.util import utcnow
    import_structure({
        "services": [{"slug": "health", "name": "Health and care"}],
        "places": [{"slug": "england", "name": "England", "level": "nation"},
                   {"slug": "manchester", "name": "Manchester", "level": "local", "parent": "england",
                    "population": 568996}],
        "councils": [{"slug": "health-manchester", "service": "health", "place": "manchester"}],
        "links": [],
    })
    council = council_by_slug("health-manchester")
    probe = User(email="x@example.org", name="x"); probe.set_password("bench-password")
    people = []
    for i in range(60):
        user = User(email=f"m{i}@example.org", name=f"Member {i}", password_hash=probe.password_hash,
                    email_confirmed_at=utcnow())
        db.session.add(user); people.append(user)
    clerk = User(email="clerk@example.org", name="Clerk", password_hash=probe.password_hash,
                 email_confirmed_at=utcnow())
    db.session.add(clerk); db.session.flush()
    kinds = ["citizen", "employee", "leader", "elected", "partner"]
    for i, user in enumerate(people):
        db.session.add(Membership(user_id=user.id, council_id=council.id, constituency=kinds[i % 5],
                                  status="active", role="member"))
    db.session.add(Membership(user_id=clerk.id, council_id=council.id, constituency="employee",
                              status="active", role="clerk"))
    db.session.commit()
    subjects = [proposals.create_proposal(people[i], council, title=f"Proposal number {i} for the round",
                                          body=f"Proposal {i}: what it asks and why, in a few lines of text.")
                for i in range(20)]
    now = utcnow()
    ends = {p: now + timedelta(days=3 + i) for i, p in
            enumerate(("briefing", "discussion", "refinement", "voting", "outcome"))}
    round_ = rounds.create_round(clerk, council, title="A busy round", purpose="Benchmark.",
                                 agenda=[("proposal", p.id) for p in subjects], schedule=ends)
    update_evidence(clerk, round_, text="## Evidence\n\n" + "A line of evidence.\n" * 50)
    for i in range(40):
        q = ask_question(people[i], round_, body=f"Question {i} about the evidence?")
        if i % 2 == 0:
            answer_question(clerk, round_, q, answer=f"Answer to question {i}.")
    advance_phase(clerk, round_)
    for i in range(int(sys.argv[2])):
        discussion.add_comment(people[i % 60], subjects[i % 20], body=f"Comment {i}.",
                              stance=["for", "against", "neutral"][i % 3])
    print(round_.id)
"""


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _timed(session, url, n, *, headers=None, status=200) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = session.get(url, headers=headers or {}, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != status:
            raise RuntimeError(f"GET {url} answered {response.status_code}, expected {status}")
    return times


def run(quick: bool) -> list[dict]:
    n = 30 if quick else 400
    with tempfile.TemporaryDirectory(prefix="wl-rounds-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "PARTICIPATE_INSTANCE": tmp,
            "PARTICIPATE_RATELIMIT": "0",
            "SECRET_KEY": "bench",
            "PARTICIPATE_MAIL_OUTBOX": f"{tmp}/outbox",
        }
        made = subprocess.run(
            [sys.executable, "-c", SETUP, str(ROOT / "migrations"), str(150 if quick else 400)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        round_id = int(made.stdout.strip().splitlines()[-1])
        with hb.Server(hb.APP_TARGET, env=env, port=hb.free_port(PORTS)) as server:
            base = server.url
            session = requests.Session()
            page = f"{base}/rounds/{round_id}"
            fragments = [
                f"{page}/status?seen=discussion",
                f"{page}/agenda-status",
                f"{page}/participation",
            ]
            hx = {"HX-Request": "true"}
            etags = {
                url: session.get(url, headers=hx, timeout=30).headers["ETag"] for url in fragments
            }
            _timed(session, page, 10)  # warm-up
            load_before = os.getloadavg()[0]
            login = _timed(session, base + "/login", n)
            full = _timed(session, page, n)
            polls_200, polls_304 = [], []
            for _ in range(n // 3 + 1):
                for url in fragments:
                    polls_200 += _timed(session, url, 1, headers=hx)
                    polls_304 += _timed(
                        session, url, 1, headers={**hx, "If-None-Match": etags[url]}, status=304
                    )
            load_after = os.getloadavg()[0]
    page_p95, login_p95 = _p95(full), _p95(login)
    poll304, poll200 = _p95(polls_304), _p95(polls_200)
    load = [round(load_before, 2), round(load_after, 2)]
    return [
        {
            "name": "rounds.page_p95",
            "value": round(page_p95, 2),
            "unit": "ms",
            "target": 100.0,
            "baseline": round(login_p95, 2),
            "ratio": round(page_p95 / login_p95, 2),
            "lost": None,
            "duplicated": None,
            "pass": page_p95 < 100.0,
            "load_avg": load,
        },
        {
            "name": "rounds.poll_304_p95",
            "value": round(poll304, 2),
            "unit": "ms",
            "target": 25.0,
            "baseline": round(poll200, 2),
            "ratio": round(poll304 / poll200, 2),
            "lost": None,
            "duplicated": None,
            "pass": poll304 < 25.0,
            "load_avg": load,
        },
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
