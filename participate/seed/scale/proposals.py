"""Benchmark data for ``participate seed --scale N`` (N > 1) and bench/wl_proposal_pages.py: a
proposal with 1,000 comments and a council with 10,000 proposals, bulk inserted."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participate.councils.models import Membership
from participate.extensions import db
from participate.markup import render_markdown
from participate.proposals import services
from participate.proposals.models import (
    Comment,
    Follow,
    Proposal,
    ProposalTheme,
    ProposalVersion,
    Support,
)
from participate.seed.proposals_text import HEALTH, STANCE_BANK
from participate.seed.proposals_threads import PLAN, fill
from participate.util import utcnow

BIG_COUNCIL = "health-birmingham"
BIG_PROPOSALS = 10_000
BIG_THREAD = 1_000


def seed_benchmark(ctx) -> dict[str, int]:
    """A proposal with 1,000 comments (in health-manchester) and a council with 10,000 proposals
    (health-birmingham), bulk inserted. Returns {"thread": proposal id, "council": council id}."""
    rng = ctx.rng
    manchester = ctx.councils["health-manchester"]
    members = ctx.members_of("health-manchester")
    proposal = services.create_proposal(
        ctx.people["leader"],
        manchester,
        title="Ambulance response times across Greater Manchester",
        body="Category 2 ambulance calls (strokes, chest pain) should be reached within "
        "**30 minutes**, every day of the year. We ask the council to track it weekly.",
        themes="ambulance, urgent-care, waiting-times",
    )
    now = utcnow() - timedelta(days=30)
    stances = ["for", "against", "neutral", "question"]
    parents: list[int] = []
    made = 0
    for level, size in enumerate((400, 350, 250)):
        rows = []
        for i in range(size):
            m = members[(made + i) % len(members)]
            stance = stances[rng.randrange(4)]
            text = rng.choice(STANCE_BANK[stance])
            rows.append(
                {
                    "proposal_id": proposal.id,
                    "parent_id": rng.choice(parents) if level else None,
                    "author_id": m.user_id,
                    "author_constituency": m.constituency,
                    "stance": stance,
                    "body": text,
                    "body_html": render_markdown(text),
                    "created_at": now + timedelta(minutes=made + i),
                }
            )
        ids = db.session.scalars(
            sa.insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows
        ).all()
        parents = list(ids)
        made += size
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(comments_count=BIG_THREAD, created_at=now - timedelta(days=1))
    )
    db.session.execute(
        sa.update(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal.id)
        .values(created_at=now - timedelta(days=1))
    )
    db.session.commit()

    big = ctx.councils[BIG_COUNCIL]
    existing = set(
        db.session.scalars(sa.select(Membership.user_id).where(Membership.council_id == big.id))
    )
    constituency_of = dict(
        db.session.execute(
            sa.select(Membership.user_id, Membership.constituency).where(
                Membership.council_id == ctx.councils["health-england"].id
            )
        ).all()
    )
    new_members = [
        {
            "user_id": uid,
            "council_id": big.id,
            "constituency": constituency_of[uid],
            "status": "active",
            "role": "member",
            "requested_at": utcnow(),
            "decided_at": utcnow(),
        }
        for uid in sorted(constituency_of)
        if uid not in existing
    ]
    if new_members:
        db.session.execute(sa.insert(Membership), new_members)
    big_members = [(uid, constituency_of[uid]) for uid in sorted(constituency_of)]
    texts = [(fill(t, big), fill(b, big), th) for t, b, th in HEALTH]
    html = {b: render_markdown(b) for _t, b, _th in texts}
    supporters: list[list[tuple[int, str]]] = []
    rows = []
    start = utcnow() - timedelta(days=400)
    for i in range(BIG_PROPOSALS):
        title, body, _themes = texts[i % len(texts)]
        author, constituency = big_members[(i * 7) % len(big_members)]
        chosen = rng.sample(big_members, rng.choice((0, 0, 1, 2, 3, 5, 8)))
        supporters.append(chosen)
        created = start + timedelta(minutes=57 * i)
        rows.append(
            {
                "council_id": big.id,
                "author_id": author,
                "author_constituency": constituency,
                "title": f"{title} (idea {i + 1})",
                "body": body,
                "body_html": html[body],
                "status": PLAN[i % len(PLAN)] if i % 3 == 0 else "open",
                "version": 1,
                "supports_count": len(chosen),
                "comments_count": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
    ids = db.session.scalars(
        sa.insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True), rows
    ).all()
    themes, versions, follows, supports = [], [], [], []
    for i, pid in enumerate(ids):
        row = rows[i]
        theme_list = texts[i % len(texts)][2].split(", ")
        themes.extend({"proposal_id": pid, "theme": t, "council_id": big.id} for t in theme_list)
        versions.append(
            {
                "proposal_id": pid,
                "number": 1,
                "title": row["title"],
                "body": row["body"],
                "themes": " ".join(theme_list),
                "author_id": row["author_id"],
                "note": "First version",
                "created_at": row["created_at"],
            }
        )
        follows.append(
            {"proposal_id": pid, "user_id": row["author_id"], "created_at": row["created_at"]}
        )
        supports.extend(
            {"proposal_id": pid, "user_id": uid, "constituency": c, "created_at": row["created_at"]}
            for uid, c in supporters[i]
        )
    for table, data in (
        (ProposalTheme, themes),
        (ProposalVersion, versions),
        (Follow, follows),
        (Support, supports),
    ):
        db.session.execute(sa.insert(table), data)
    db.session.commit()
    ctx.summary["benchmark thread"] = proposal.id
    ctx.summary["benchmark council proposals"] = BIG_PROPOSALS
    ctx.summary.pop("proposal comments", None)  # counted again, after the benchmark's
    ctx.summary["proposal comments"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Comment)
    )
    return {"thread": proposal.id, "council": big.id}
