"""Benchmark data: a national inbox of up to 100,000 forwarded proposals, bulk inserted.

``participate seed --scale 106`` gives ~10,110 councils; this adds ``min(100,000, 1,000 x
scale)`` proposals adopted by the regional health councils (each relayed from one of the
~2,000 local health councils, which is where the inbox counts them from) and forwarded to
health-england, in about 2,500 clusters of long-tailed sizes, 30 % of them answered by the
minister. The clustering index, the cluster aggregates, the theme and region rows are
computed here in one pass with the same functions the services use
(`participate.core.clustering.features` / ``weigh``, `participate.core.cascade.aggregate`)
and written with ``INSERT`` batches, so the inbox is in exactly the state the services
would leave, and forwarding one more proposal goes through the normal path.

Simplifications, for speed: the regional proposals have no support rows, versions,
comments or theme rows (the snapshot carries the supports and the themes; a theme row would
cost a full-text index update each, through the proposals feature's triggers), the local
proposal each was taken up from is not materialised (``root_proposal_id`` is the regional
proposal; ``path`` still starts at the local council), and the rows keep no arrival vector
(a clerk's split recomputes it). One audit event records the bulk load.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from datetime import timedelta
from html import escape

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import cascade, clustering
from participate.councils.models import CONSTITUENCIES, Council, Place, Service
from participate.extensions import db
from participate.proposals.models import Proposal
from participate.seed.upward_text import SUBSIDIARITY, TOPICS
from participate.upward.models import (
    Answer,
    Cluster,
    ClusterFeature,
    ClusterRegion,
    ClusterTheme,
    Forward,
    Inbox,
    InboxTheme,
    Term,
)
from participate.util import utcnow

MAX_FORWARDS = 100_000
PER_SCALE = 1_000
ITEMS_PER_CLUSTER = 40
BATCH = 5_000
SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se ta te ti to va ve vi".split()
ANSWERS = [
    ("accept", "Accepted into national work: it is in next year's planning guidance."),
    (
        "decline",
        "Declined: the evidence so far does not support a national rule; we will "
        "publish the review that says why.",
    ),
]


def _word(rng: random.Random) -> str:
    return "".join(rng.sample(SYLLABLES, 3))


def seed_benchmark(ctx, n: int | None = None, council_slug: str = "health-england") -> dict:
    """Bulk-load ``n`` forwarded proposals into ``council_slug``'s inbox; returns counts."""
    rng = random.Random(20260601)
    timings: dict[str, float] = {}
    clock = [time.perf_counter(), ""]

    def lap(name: str) -> None:
        now_ = time.perf_counter()
        if clock[1]:
            timings[clock[1]] = round(now_ - clock[0], 1)
        clock[0], clock[1] = now_, name

    n = n or min(MAX_FORWARDS, PER_SCALE * ctx.scale)
    national = ctx.councils[council_slug]
    service = national.service.slug
    regions = {
        place_id: council_id
        for council_id, place_id in db.session.execute(
            sa.select(Council.id, Council.place_id)
            .join(Place, Place.id == Council.place_id)
            .join(Service, Service.id == Council.service_id)
            .where(Service.slug == service, Place.level == "region")
        )
    }
    locals_ = [
        (council_id, place_id, parent_id)
        for council_id, place_id, parent_id in db.session.execute(
            sa.select(Council.id, Council.place_id, Place.parent_id)
            .join(Place, Place.id == Council.place_id)
            .join(Service, Service.id == Council.service_id)
            .where(Service.slug == service, Place.level == "local")
            .order_by(Council.id)
        )
        if parent_id in regions
    ]
    relay = ctx.people.get("regional_clerk") or ctx.people["admin"]
    minister = ctx.people["minister"]
    now = utcnow()

    # ---- the clusters' subjects and sizes (long-tailed)
    lap("subjects")
    k = max(8, n // ITEMS_PER_CLUSTER)
    topics = list(TOPICS)
    subjects = []
    for i in range(k):
        topic = topics[i % len(topics)]
        subjects.append((topic, [_word(rng) for _ in range(6)]))
    weights = [1.0 / (rank + 1) ** 0.7 for rank in range(k)]
    keys = rng.choices(range(k), weights=weights, k=n - k) + list(range(k))
    rng.shuffle(keys)

    # ---- the proposals' texts, origins and snapshots
    lap("texts")
    items = []
    start = now - timedelta(days=720)
    for i, key in enumerate(keys):
        topic, words = subjects[key]
        themes, _variants = TOPICS[topic]
        council_id, place_id, region_place = locals_[rng.randrange(len(locals_))]
        title, body = _text(rng, topic, words)
        supports = {c: rng.choice((0, 0, 1, 2, 3, 5)) for c in CONSTITUENCIES}
        members = {"citizen": 40, "employee": 25, "leader": 8, "elected": 5, "partner": 6}
        items.append(
            {
                "key": key,
                "topic": topic,
                "title": title,
                "body": body,
                "themes": sorted({themes[0], f"{words[0]}-{words[1]}"}),
                "origin": council_id,
                "place": place_id,
                "region": region_place,
                "from": regions[region_place],
                "supports": supports,
                "members": members,
                "tally": _tally(rng) if i % 2 == 0 else None,
                "forwarded_at": start + timedelta(minutes=int(i * 720 * 1440 / n)),
            }
        )

    # ---- the index: vectors with the final document frequencies
    lap("index")
    counts = [
        clustering.features(it["title"], it["body"], it["themes"], SUBSIDIARITY[it["topic"]])
        for it in items
    ]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    sums: dict[int, dict[str, float]] = defaultdict(dict)
    holders: dict[int, Counter[str]] = defaultdict(Counter)
    for it, c in zip(items, counts, strict=True):
        vector = clustering.weigh(c, df, n)
        it["vector"] = vector
        total = sums[it["key"]]
        for f, w in vector.items():
            total[f] = total.get(f, 0.0) + w
        holders[it["key"]].update(vector.keys())
    clusters_of: Counter[str] = Counter()
    for key in sums:
        clusters_of.update(sums[key].keys())

    # ---- answers: 30 % of the clusters, after their last proposal
    lap("answers")
    members_of: dict[int, list[dict]] = defaultdict(list)
    for it in items:
        members_of[it["key"]].append(it)
    answered = set(rng.sample(range(k), int(k * 0.3)))
    for key in answered:
        for it in members_of[key]:
            it["answered"] = True

    # ---- write: proposals and their themes
    lap("proposals")
    # One executemany per batch; the new ids are read back in order (RETURNING with a
    # guaranteed order would make SQLite insert row by row). Nothing else writes meanwhile.
    before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Proposal.id), 0)))
    for chunk in _chunks(items):
        rows = [
            {
                "council_id": it["from"],
                "author_id": relay.id,
                "author_constituency": "employee",
                "title": it["title"],
                "body": it["body"],
                "body_html": f"<p>{escape(it['body'])}</p>",
                "status": "adopted",
                "status_reason": "Adopted at the regional round.",
                "status_changed_at": it["forwarded_at"],
                "version": 1,
                "supports_count": sum(it["supports"].values()),
                "comments_count": 0,
                "created_at": it["forwarded_at"] - timedelta(days=30),
                "updated_at": it["forwarded_at"] - timedelta(days=30),
            }
            for it in chunk
        ]
        db.session.execute(sa.insert(Proposal.__table__), rows)
    proposal_ids = list(
        db.session.scalars(sa.select(Proposal.id).where(Proposal.id > before).order_by(Proposal.id))
    )
    assert len(proposal_ids) == len(items)
    for it, pid in zip(items, proposal_ids, strict=True):
        it["proposal"] = pid

    # ---- clusters with their aggregates, features, themes, regions
    lap("clusters")
    cluster_ids: dict[int, int] = {}
    for key in range(k):
        group = members_of[key]
        agg = cascade.aggregate(
            {
                "id": i,
                "council": it["origin"],
                "place": it["place"],
                "region": it["region"],
                "supports": it["supports"],
                "members": it["members"],
                "forwarded_at": it["forwarded_at"],
                "answered": it.get("answered", False),
                "weighted_support": (it["tally"] or {}).get("weighted_support"),
            }
            for i, it in enumerate(group)
        )
        text_sq, theme_sq = clustering.split_norms(sums[key])
        title = clustering.representative_title(
            [{"id": i, "title": it["title"], "body": it["body"]} for i, it in enumerate(group[:30])]
        )
        cluster_ids[key] = db.session.execute(
            sa.insert(Cluster.__table__)
            .values(
                council_id=national.id,
                title=title[:200],
                titled_at_size=len(group),
                size=agg["size"],
                text_sq=text_sq,
                theme_sq=theme_sq,
                councils=agg["councils"],
                places=agg["places"],
                supporters=agg["supporters"],
                members=agg["members"],
                supporters_total=agg["supporters_total"],
                bridging=agg["bridging"],
                tallied=agg["tallied"],
                support_sum=agg["support_sum"],
                first_at=agg["first_at"],
                last_at=agg["last_at"],
                unanswered=agg["unanswered"],
                unanswered_since=agg["unanswered_since"],
                answers=1 if key in answered else 0,
                created_at=agg["first_at"],
            )
            .returning(Cluster.__table__.c.id)
        ).scalar_one()
    feature_rows = [
        {
            "cluster_id": cluster_ids[key],
            "feature": f,
            "council_id": national.id,
            "weight": w,
            "holders": holders[key][f],
        }
        for key in range(k)
        for f, w in sums[key].items()
    ]
    for chunk in _chunks(feature_rows, 20_000):
        db.session.execute(sa.insert(ClusterFeature.__table__), chunk)
    db.session.execute(
        sa.insert(Term.__table__),
        [
            {"council_id": national.id, "feature": f, "df": d, "clusters": clusters_of[f]}
            for f, d in df.items()
        ],
    )
    theme_rows, region_rows = [], []
    for key in range(k):
        themes: Counter[str] = Counter(t[:40] for it in members_of[key] for t in it["themes"])
        theme_rows += [
            {"cluster_id": cluster_ids[key], "theme": t, "council_id": national.id, "n": c}
            for t, c in themes.items()
        ]
        by_region: dict[int, tuple[set, int]] = {}
        for it in members_of[key]:
            seen, count = by_region.get(it["region"], (set(), 0))
            seen.add(it["origin"])
            by_region[it["region"]] = (seen, count + 1)
        region_rows += [
            {
                "cluster_id": cluster_ids[key],
                "region_id": region,
                "council_id": national.id,
                "councils": len(seen),
                "forwards": count,
            }
            for region, (seen, count) in by_region.items()
        ]
    db.session.execute(sa.insert(ClusterTheme.__table__), theme_rows)
    db.session.execute(sa.insert(ClusterRegion.__table__), region_rows)
    answer_ids: dict[int, int] = {}
    for key in sorted(answered):
        kind, reasons = ANSWERS[key % len(ANSWERS)]
        answer_ids[key] = db.session.execute(
            sa.insert(Answer.__table__)
            .values(
                council_id=national.id,
                cluster_id=cluster_ids[key],
                number=1,
                kind=kind,
                reasons=reasons,
                reasons_html=f"<p>{escape(reasons)}</p>",
                title="",
                forwards=len(members_of[key]),
                answered_by_id=minister.id,
                answered_by_role="minister",
                answered_at=max(it["forwarded_at"] for it in members_of[key]) + timedelta(days=3),
            )
            .returning(Answer.__table__.c.id)
        ).scalar_one()

    # ---- the forwarded proposals
    lap("forwards")
    for chunk in _chunks(items):
        db.session.execute(
            sa.insert(Forward.__table__),
            [
                {
                    "proposal_id": it["proposal"],
                    "root_proposal_id": it["proposal"],
                    "origin_id": None,
                    "path": [it["origin"], it["from"], national.id],
                    "from_council_id": it["from"],
                    "to_council_id": national.id,
                    "link_kind": "reports_to",
                    "origin_council_id": it["origin"],
                    "origin_place_id": it["place"],
                    "region_id": it["region"],
                    "title": it["title"],
                    "body": it["body"],
                    "body_html": f"<p>{escape(it['body'])}</p>",
                    "themes": it["themes"],
                    "subsidiarity": SUBSIDIARITY[it["topic"]],
                    "motion_id": None,
                    "tally": it["tally"],
                    "supports": it["supports"],
                    "supporters": sum(it["supports"].values()),
                    "members": it["members"],
                    # Not kept for bulk rows: a clerk's split recomputes it from the text.
                    "vector": {},
                    "cluster_id": cluster_ids[it["key"]],
                    "answer_id": answer_ids.get(it["key"]),
                    "forwarded_by_id": relay.id,
                    "forwarded_at": it["forwarded_at"],
                }
                for it in chunk
            ],
        )
    unanswered = sum(1 for it in items if not it.get("answered"))
    db.session.execute(
        sa.insert(Inbox.__table__).values(
            council_id=national.id,
            size=n,
            unanswered=unanswered,
            constraints=None,
            updated_at=now,
        )
    )
    inbox_themes: Counter[str] = Counter(t[:40] for it in items for t in set(it["themes"]))
    db.session.execute(
        sa.insert(InboxTheme.__table__),
        [{"council_id": national.id, "theme": t, "n": c} for t, c in inbox_themes.items()],
    )
    record_event(
        "upward.bench_loaded",
        council=national,
        data={"forwards": n, "clusters": k, "answered_clusters": len(answered)},
    )
    db.session.commit()
    lap("")
    ctx.summary["benchmark forwarded proposals"] = n
    ctx.summary["benchmark inbox clusters"] = k
    return {"forwards": n, "clusters": k, "features": len(feature_rows), "seconds": timings}


def _text(rng: random.Random, topic: str, words: list[str]) -> tuple[str, str]:
    """A proposal of one cluster: mostly the cluster's own (invented) scheme words, so the
    clusters of one topic stay apart (centroid similarity about 0.25, below the merge
    threshold of 0.3), plus a few words of the topic's title."""
    _themes, variants = TOPICS[topic]
    title = variants[rng.randrange(len(variants))][0]
    a = rng.sample(words, 4)
    head = " ".join(title.split(" ")[:4]).lower()
    return (
        f"{a[0].capitalize()} {a[1]} {a[2]}: {head}"[:200],
        f"The {a[0]} {a[1]} scheme: {a[2]} {a[3]} and {rng.choice(words)} {rng.choice(words)} "
        f"for everyone, with {rng.choice(words)} {rng.choice(words)} support. {title}.",
    )


def _tally(rng: random.Random) -> dict:
    rows = {}
    yes_w = 0.0
    counted = 0
    for c, eligible in (
        ("citizen", 40),
        ("employee", 25),
        ("leader", 8),
        ("elected", 5),
        ("partner", 6),
    ):
        voted = rng.randint(0, eligible)
        yes = rng.randint(0, voted)
        turnout = voted / eligible
        support = yes / voted if voted else None
        counts = turnout >= 0.1 and voted > 0
        if counts and support is not None:
            yes_w += support
            counted += 1
        rows[c] = {
            "eligible": eligible,
            "voted": voted,
            "turnout": round(turnout, 6),
            "support": round(support, 6) if support is not None else None,
            "counts": counts,
            "yes": yes,
            "no": voted - yes,
        }
    weighted = yes_w / counted if counted else 0.0
    return {
        "method": "binary",
        "passed": counted >= 2 and weighted > 0.5,
        "weighted_support": round(weighted, 6),
        "winner": None,
        "minority": [],
        "constituencies": rows,
    }


def _chunks(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
