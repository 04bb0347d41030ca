"""The national upward inbox at scale (DESIGN.md section 8) and the consultation cascade.

Builds a fresh SQLite database through the migrations with the demo geography at scale 106
(~10,110 councils, `participate.seed.geography.structure`) and the upward benchmark data
(`participate.seed.scale.upward`: 100,000 forwarded proposals in health-england's inbox,
~2,500 clusters, the clustering index and aggregates), exactly what ``participate seed
--scale 106`` puts in that inbox, without the other features' data. Quick mode: scale 20
and 10,000 forwarded proposals. Then:

- ``upward_inbox_page_p95``: GET /councils/health-england/inbox over HTTP (granian, 2
  workers, SQLite), cycling through the four sorts, later pages, a theme and a region
  filter; p95 in ms, target 200. Baseline: GET of a static file through the same server.
- ``upward_inbox_api_p95``: the same over GET /api/v1/councils/health-england/inbox.
- ``upward_forward_one_ms``: ``forward_proposal`` of one more adopted proposal of a regional
  council to health-england, including its incremental cluster update, the audit event,
  the notifications and the commit; median ms over the samples (p95 reported), target 50.
  Half the samples belong to existing clusters, half are new subjects. Baseline: one bare
  INSERT + COMMIT into the same database.
- ``upward_cascade_10k_s``: ``publish_consultation`` by the minister of a national council
  with 10,000 councils below it (a single-service network: 9 regions, 10,000 local councils),
  including loading the forum graph, the networkx descendants, the bulk insert of the
  cascade rows, the notifications and the commit; seconds, target 2. Baseline: a bare bulk
  INSERT of 10,000 rows into a scratch table of the same database.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import httpbench as hb  # noqa: E402

PORTS = range(5600, 5700)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _app(url: str, tmp: Path):
    os.environ["DATABASE_URL"] = url
    os.environ["PARTICIPATE_INSTANCE"] = str(tmp)
    from participate import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp)})


def build(url: str, tmp: Path, scale: int, forwards: int) -> dict:
    """Structure at ``scale``, the demo people, and ``forwards`` forwarded proposals."""
    import random as _random

    import sqlalchemy as sa

    from participate.accounts.models import User
    from participate.councils.memberships import appoint
    from participate.councils.models import Council
    from participate.councils.structure import import_structure
    from participate.extensions import db
    from participate.seed.context import SeedContext
    from participate.seed.geography import structure
    from participate.seed.scale.upward import seed_benchmark
    from participate.util import utcnow

    app = _app(url, tmp)
    with app.app_context():
        started = time.perf_counter()
        import_structure(structure(scale))
        structure_s = time.perf_counter() - started
        probe = User(email="x@example.org", name="x")
        probe.set_password("participate-demo")
        people = {}
        for key, email, name, admin in (
            ("admin", "admin@example.org", "Platform Admin", True),
            ("minister", "minister@example.org", "Helen Ward MP", False),
            ("regional_clerk", "clerk.northwest@example.org", "Priya Shah", False),
            ("national_clerk", "clerk.england@example.org", "Owen Hughes", False),
        ):
            people[key] = User(
                email=email,
                name=name,
                password_hash=probe.password_hash,
                is_admin=admin,
                email_confirmed_at=utcnow(),
            )
            db.session.add(people[key])
        db.session.commit()
        councils = {c.slug: c for c in db.session.scalars(sa.select(Council))}
        appoint(
            people["admin"], people["minister"], councils["health-england"], "minister", "elected"
        )
        appoint(
            people["admin"],
            people["national_clerk"],
            councils["health-england"],
            "clerk",
            "employee",
        )
        for slug in [
            s for s in councils if s.startswith("health-") and councils[s].level == "region"
        ]:
            appoint(people["admin"], people["regional_clerk"], councils[slug], "clerk", "employee")
        ctx = SeedContext(scale=scale, password="participate-demo", rng=_random.Random(1))
        ctx.people, ctx.councils = people, councils
        started = time.perf_counter()
        made = seed_benchmark(ctx, n=forwards)
        return {
            "councils": len(councils),
            "structure_s": round(structure_s, 1),
            "upward_seed_s": round(time.perf_counter() - started, 1),
            **made,
        }


def inbox_http(url: str, tmp: Path, quick: bool) -> list[dict]:
    from participate.seed.upward_text import TOPICS

    queries = [
        "",
        "?sort=bridging",
        "?sort=newest",
        "?sort=waiting",
        "?page=2",
        "?sort=bridging&page=40",
        f"?theme={TOPICS['gp-booking'][0][0]}",
        "?region=north-west",
        "?status=unanswered&sort=newest",
        "?theme=dentistry&region=london&sort=bridging",
    ]
    rounds = 4 if quick else 30
    page_reqs = [
        hb.PreparedRequest(key=str(i), method="GET", path=f"/councils/health-england/inbox{q}")
        for i, q in enumerate(queries * rounds)
    ]
    api_reqs = [
        hb.PreparedRequest(
            key=str(i), method="GET", path=f"/api/v1/councils/health-england/inbox{q}"
        )
        for i, q in enumerate(queries * rounds)
    ]
    static_reqs = [
        hb.PreparedRequest(key=str(i), method="GET", path="/static/css/site.css")
        for i in range(len(page_reqs))
    ]
    env = hb.app_env(url, tmp)
    with hb.Server(hb.APP_TARGET, env=env, port=hb.free_port(PORTS)) as server:
        warm = hb.run_load(server.url, page_reqs[: len(queries)], concurrency=1, ok_statuses=(200,))
        del warm
        page = hb.run_load(server.url, page_reqs, concurrency=2, ok_statuses=(200,), server=server)
        api = hb.run_load(server.url, api_reqs, concurrency=2, ok_statuses=(200,), server=server)
        static = hb.run_load(
            server.url, static_reqs, concurrency=2, ok_statuses=(200,), server=server
        )
    out = []
    for name, stats in (("upward_inbox_page_p95", page), ("upward_inbox_api_p95", api)):
        value = _all_p95(stats)
        base = _all_p95(static)
        out.append(
            hb.entry(
                name,
                round(value, 1),
                "ms",
                200,
                round(base, 1),
                round(value / base, 1) if base else None,
                None,
                None,
                passed=value < 200 and stats.ok == stats.sent,
                p50_ms=round(_all_p50(stats), 1),
                requests=stats.sent,
                ok=stats.ok,
                baseline_what="GET /static/css/site.css p95, same server",
            )
        )
    return out


def _latencies(stats) -> list[float]:
    return [(r.done - r.sent) * 1000 for r in stats.results if r.done is not None]


def _all_p95(stats) -> float:
    return _pct(_latencies(stats), 0.95)


def _all_p50(stats) -> float:
    return _pct(_latencies(stats), 0.5)


def forward_timing(url: str, tmp: Path, quick: bool) -> dict:
    import sqlalchemy as sa

    from participate.accounts.models import User
    from participate.councils.services import council_by_slug
    from participate.extensions import db
    from participate.markup import render_markdown
    from participate.proposals.models import Proposal, ProposalTheme
    from participate.upward.models import Forward
    from participate.upward.services import forward_proposal
    from participate.util import utcnow

    samples = 6 if quick else 40
    app = _app(url, tmp)
    with app.app_context():
        clerk = db.session.scalar(
            sa.select(User).where(User.email == "clerk.northwest@example.org")
        )
        region = council_by_slug("health-north-west")
        existing = db.session.execute(
            sa.select(Forward.title, Forward.body, Forward.themes)
            .where(Forward.to_council_id == council_by_slug("health-england").id)
            .order_by(Forward.id.desc())
            .limit(samples)
        ).all()
        rng = random.Random(3)
        texts = []
        for i in range(samples):
            if i % 2 == 0:
                title, body, themes = existing[i]
            else:
                word = "".join(rng.sample("abcdefghijklmnopqrstuvwxyz", 8))
                title = f"A new {word} request about hospital transport"
                body = (
                    f"Patients need {word} transport to hospital appointments, booked a week ahead."
                )
                themes = ["transport", word[:20]]
            texts.append((title, body, themes))
        ids = []
        for title, body, themes in texts:
            proposal = Proposal(
                council_id=region.id,
                author_id=clerk.id,
                author_constituency="employee",
                title=title,
                body=body,
                body_html=render_markdown(body),
                status="adopted",
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            db.session.add(proposal)
            db.session.flush()
            extra = {"council_id": region.id} if "council_id" in ProposalTheme.__table__.c else {}
            for t in themes:
                db.session.add(ProposalTheme(proposal_id=proposal.id, theme=t[:40], **extra))
            ids.append(proposal.id)
        db.session.commit()
        # baseline: one bare insert + commit
        db.session.execute(
            sa.text("CREATE TABLE IF NOT EXISTS bench_scratch (id INTEGER PRIMARY KEY, v TEXT)")
        )
        db.session.commit()
        bare = []
        for i in range(samples):
            started = time.perf_counter()
            db.session.execute(sa.text("INSERT INTO bench_scratch (v) VALUES (:v)"), {"v": f"x{i}"})
            db.session.commit()
            bare.append((time.perf_counter() - started) * 1000)
        times = []
        for pid in ids:
            db.session.expire_all()
            proposal = db.session.get(Proposal, pid)
            started = time.perf_counter()
            forward_proposal(
                clerk,
                proposal,
                targets=["health-england"],
                subsidiarity="Hospital transport contracts are national; no region can change them.",
            )
            times.append((time.perf_counter() - started) * 1000)
    value = statistics.median(times)
    base = statistics.median(bare)
    return hb.entry(
        "upward_forward_one_ms",
        round(value, 2),
        "ms",
        50,
        round(base, 2),
        round(value / base, 1) if base else None,
        None,
        None,
        passed=value < 50,
        p95_ms=round(_pct(times, 0.95), 2),
        max_ms=round(max(times), 2),
        samples=len(times),
        baseline_what="one bare INSERT + COMMIT, same database",
    )


def cascade_timing(tmp: Path, quick: bool) -> dict:
    """publish_consultation to a national council with 10,000 councils below (own database)."""
    import sqlalchemy as sa

    from participate.accounts.models import User
    from participate.councils.memberships import appoint
    from participate.councils.services import council_by_slug
    from participate.councils.structure import import_structure
    from participate.extensions import db
    from participate.upward.consultations import publish_consultation
    from participate.upward.models import ConsultationCouncil
    from participate.util import utcnow

    n = 2_000 if quick else 10_000
    path = tmp / "cascade.sqlite3"
    url = hb.fresh_sqlite_db(path)
    regions = [f"region-{i}" for i in range(9)]
    data = {
        "services": [{"slug": "health", "name": "Health and care"}],
        "places": [{"slug": "nation", "name": "Nation", "level": "nation"}]
        + [{"slug": r, "name": r.title(), "level": "region", "parent": "nation"} for r in regions]
        + [
            {"slug": f"town-{i}", "name": f"Town {i}", "level": "local", "parent": regions[i % 9]}
            for i in range(n - 9)
        ],
        "councils": [{"slug": "health-nation", "service": "health", "place": "nation"}]
        + [{"slug": f"health-{r}", "service": "health", "place": r} for r in regions]
        + [
            {"slug": f"health-town-{i}", "service": "health", "place": f"town-{i}"}
            for i in range(n - 9)
        ],
        "links": [
            {"from": f"health-{r}", "to": "health-nation", "kind": "reports_to"} for r in regions
        ]
        + [
            {"from": f"health-town-{i}", "to": f"health-{regions[i % 9]}", "kind": "reports_to"}
            for i in range(n - 9)
        ],
    }
    app = _app(url, tmp)
    with app.app_context():
        import_structure(data)
        admin = User(
            email="admin@example.org", name="Admin", is_admin=True, email_confirmed_at=utcnow()
        )
        minister = User(email="minister@example.org", name="Minister", email_confirmed_at=utcnow())
        admin.set_password("participate-demo")
        minister.password_hash = admin.password_hash
        db.session.add_all([admin, minister])
        db.session.commit()
        national = council_by_slug("health-nation")
        appoint(admin, minister, national, "minister", "elected")
        db.session.expire_all()
        runs, bare = [], []
        for i in range(2 if quick else 3):
            national = council_by_slug("health-nation")
            minister = db.session.get(User, minister.id)
            started = time.perf_counter()
            consultation = publish_consultation(
                minister,
                national,
                title=f"Draft national requirement {i}",
                body="Every council answers this draft national requirement before it is adopted.",
                closes_at=utcnow() + timedelta(days=30),
            )
            runs.append(time.perf_counter() - started)
            reached = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(ConsultationCouncil)
                .where(ConsultationCouncil.consultation_id == consultation.id)
            )
            db.session.execute(
                sa.text("CREATE TABLE IF NOT EXISTS bench_rows (a INTEGER, b INTEGER, c TEXT)")
            )
            db.session.commit()
            started = time.perf_counter()
            db.session.execute(
                sa.text("INSERT INTO bench_rows (a, b, c) VALUES (:a, :b, :c)"),
                [{"a": i, "b": j, "c": "local"} for j in range(reached)],
            )
            db.session.commit()
            bare.append(time.perf_counter() - started)
    value = statistics.median(runs)
    base = statistics.median(bare)
    return hb.entry(
        "upward_cascade_10k_s" if not quick else "upward_cascade_2k_s",
        round(value, 3),
        "s",
        2.0,
        round(base, 3),
        round(value / base, 1) if base else None,
        None,
        None,
        passed=value < 2.0 and reached == n,
        councils_reached=reached,
        runs_s=[round(r, 3) for r in runs],
        baseline_what="bare bulk INSERT of the same number of rows, same database",
    )


def run(quick: bool) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-upward-"))
    scale, forwards = (20, 5_000) if quick else (106, 100_000)
    url = hb.fresh_sqlite_db(tmp / "upward.sqlite3")
    started = time.perf_counter()
    built = build(url, tmp, scale, forwards)
    seeded_s = time.perf_counter() - started
    results = inbox_http(url, tmp, quick)
    results.append(forward_timing(url, tmp, quick))
    results.append(cascade_timing(tmp, quick))
    for entry in results:
        entry.update(
            {
                "councils": built["councils"],
                "forwarded_proposals": built["forwards"],
                "clusters": built["clusters"],
                "seed_s": round(seeded_s, 1),
            }
        )
    return results


if __name__ == "__main__":
    import json

    for item in run(quick="--quick" in sys.argv):
        print(json.dumps(item))
