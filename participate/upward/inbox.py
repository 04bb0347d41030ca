"""Reading an upward inbox: its clusters with their figures, sorted, filtered and paged,
a cluster's members and answers, and their JSON. Everything shown is read from the figures
kept by `participate.upward.aggregates`; nothing is computed over the inbox's proposals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from participate.councils.models import Council, Place
from participate.errors import NotFound, check_choice
from participate.extensions import db
from participate.params import whole_number
from participate.upward.models import (
    Answer,
    Cluster,
    ClusterRegion,
    ClusterTheme,
    Forward,
    Inbox,
    InboxTheme,
)
from participate.util import utcnow

SORTS = {
    "breadth": "Breadth: most councils",
    "bridging": "Cross-constituency support",
    "newest": "Newest",
    "waiting": "Unanswered longest",
}
STATUSES = {"all": "All", "unanswered": "Waiting for an answer", "answered": "Answered"}
PER_PAGE = 20


@dataclass
class SampleRow:
    id: int
    title: str
    cluster_id: int
    origin_name: str
    via_name: str  # the relaying council, when it is not where the proposal started


@dataclass
class ClusterCard:
    cluster: Cluster
    regions: list[tuple[str, str, int, int]]  # (slug, name, councils, forwards)
    themes: list[tuple[str, int]]
    sample: list[Forward]
    answers: list[Answer]


@dataclass
class InboxPage:
    council: Council
    cards: list[ClusterCard]
    total: int
    page: int
    per_page: int
    sort: str
    theme: str
    region: str
    status: str
    forwards: int
    unanswered: int
    themes: list[tuple[str, int]]
    regions: list[tuple[str, str]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _clean(sort, theme, region, status, page) -> tuple[str, str, str, str, int]:
    """The query as given, or a refusal naming the values allowed (never silently ignored)."""
    sort, status = sort or "breadth", status or "all"  # an empty value: the default
    check_choice(sort, SORTS, "sort")
    check_choice(status, STATUSES, "status")
    page = whole_number(page, "page")
    return sort, (theme or "").strip()[:40], (region or "").strip()[:80], status, page


def query_from(args) -> dict:
    """The inbox's sort, filters and page from a request's query string (page and API)."""
    return {
        "sort": args.get("sort", "breadth"),
        "theme": args.get("theme", ""),
        "region": args.get("region", ""),
        "status": args.get("status", "all"),
        "page": args.get("page", 1),
    }


def list_clusters(
    council: Council,
    *,
    sort: str = "breadth",
    theme: str = "",
    region: str = "",
    status: str = "all",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> InboxPage:
    """One page of an inbox's clusters with their aggregates, sorted and filtered."""
    sort, theme, region, status, page = _clean(sort, theme, region, status, page)
    where = [Cluster.council_id == council.id, Cluster.merged_into_id.is_(None), Cluster.size > 0]
    if theme:
        where.append(
            sa.exists().where(
                ClusterTheme.cluster_id == Cluster.id,
                ClusterTheme.council_id == council.id,
                ClusterTheme.theme == theme,
            )
        )
    if region:
        region_id = db.session.scalar(sa.select(Place.id).where(Place.slug == region))
        where.append(
            sa.exists().where(
                ClusterRegion.cluster_id == Cluster.id,
                ClusterRegion.council_id == council.id,
                ClusterRegion.region_id == (region_id or -1),
            )
        )
    if status == "unanswered":
        where.append(Cluster.unanswered > 0)
    elif status == "answered":
        where.append(Cluster.unanswered == 0)
    order = {
        "breadth": (Cluster.councils.desc(), Cluster.supporters_total.desc(), Cluster.id),
        "bridging": (Cluster.bridging.desc(), Cluster.councils.desc(), Cluster.id),
        "newest": (Cluster.last_at.desc(), Cluster.id.desc()),
        "waiting": (Cluster.unanswered_since.is_(None), Cluster.unanswered_since, Cluster.id),
    }[sort]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Cluster).where(*where)) or 0
    clusters = list(
        db.session.scalars(
            sa.select(Cluster)
            .where(*where)
            .order_by(*order)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    totals = db.session.execute(
        sa.select(Inbox.size, Inbox.unanswered).where(Inbox.council_id == council.id)
    ).first() or (0, 0)
    return InboxPage(
        council=council,
        cards=cards_for(clusters),
        total=total,
        page=page,
        per_page=per_page,
        sort=sort,
        theme=theme,
        region=region,
        status=status,
        forwards=int(totals[0]),
        unanswered=int(totals[1]),
        themes=inbox_themes(council.id),
        regions=[(p.slug, p.name) for p in _regions()],
    )


def _regions() -> list[Place]:
    return list(
        db.session.scalars(sa.select(Place).where(Place.level == "region").order_by(Place.name))
    )


def inbox_themes(council_id: int, limit: int = 60) -> list[tuple[str, int]]:
    """The inbox's most common themes (for the filter), with how many proposals carry each."""
    return [
        (t, int(n))
        for t, n in db.session.execute(
            sa.select(InboxTheme.theme, InboxTheme.n)
            .where(InboxTheme.council_id == council_id, InboxTheme.n > 0)
            .order_by(InboxTheme.n.desc(), InboxTheme.theme)
            .limit(limit)
        )
    ]


def cards_for(clusters: list[Cluster], sample: int = 3) -> list[ClusterCard]:
    """The regions, themes, a few member proposals and the answers of each cluster, in a
    fixed number of queries for the page (plus one small indexed query per cluster)."""
    ids = [c.id for c in clusters]
    if not ids:
        return []
    regions: dict[int, list] = {i: [] for i in ids}
    for cid, slug, name, councils, forwards in db.session.execute(
        sa.select(
            ClusterRegion.cluster_id,
            Place.slug,
            Place.name,
            ClusterRegion.councils,
            ClusterRegion.forwards,
        )
        .join(Place, Place.id == ClusterRegion.region_id)
        .where(ClusterRegion.cluster_id.in_(ids))
        .order_by(ClusterRegion.councils.desc(), Place.name)
    ):
        regions[cid].append((slug, name, councils, forwards))
    themes: dict[int, list] = {i: [] for i in ids}
    for cid, theme, n in db.session.execute(
        sa.select(ClusterTheme.cluster_id, ClusterTheme.theme, ClusterTheme.n)
        .where(ClusterTheme.cluster_id.in_(ids))
        .order_by(ClusterTheme.n.desc(), ClusterTheme.theme)
    ):
        if len(themes[cid]) < 5:
            themes[cid].append((theme, n))
    samples: dict[int, list] = {}
    parts = [
        sa.select(Forward.id)
        .where(Forward.cluster_id == cid)
        .order_by(Forward.forwarded_at.desc(), Forward.id.desc())
        .limit(sample)
        .subquery()
        .select()
        for cid in ids
    ]
    sample_ids = list(db.session.scalars(sa.union_all(*parts))) if parts else []
    found = db.session.execute(
        sa.select(
            Forward.id,
            Forward.title,
            Forward.cluster_id,
            Forward.from_council_id,
            Forward.origin_council_id,
        ).where(Forward.id.in_(sample_ids))
    ).all()
    council_ids = {r.from_council_id for r in found} | {r.origin_council_id for r in found}
    names = (
        dict(
            db.session.execute(
                sa.select(Council.id, Council.name).where(Council.id.in_(council_ids))
            )
            .tuples()
            .all()
        )
        if council_ids
        else {}
    )
    rows = {
        r.id: SampleRow(
            r.id,
            r.title,
            r.cluster_id,
            names.get(r.origin_council_id, ""),
            names.get(r.from_council_id, "") if r.from_council_id != r.origin_council_id else "",
        )
        for r in found
    }
    for fid in sample_ids:
        row = rows[fid]
        samples.setdefault(row.cluster_id, []).append(row)
    answers = answers_for(ids)
    return [
        ClusterCard(c, regions[c.id], themes[c.id], samples.get(c.id, []), answers.get(c.id, []))
        for c in clusters
    ]


def answers_for(cluster_ids: list[int]) -> dict[int, list[Answer]]:
    """The answers given to each cluster and to the clusters merged into it, oldest first."""
    out: dict[int, list[Answer]] = {}
    if not cluster_ids:
        return out
    owner = {cid: cid for cid in cluster_ids}
    for merged, into in db.session.execute(
        sa.select(Cluster.id, Cluster.merged_into_id).where(Cluster.merged_into_id.in_(cluster_ids))
    ):
        owner[merged] = into
    for answer in db.session.scalars(
        sa.select(Answer)
        .where(Answer.cluster_id.in_(list(owner)))
        .order_by(Answer.answered_at, Answer.id)
    ):
        out.setdefault(owner[answer.cluster_id], []).append(answer)
    return out


def get_cluster(council: Council, cluster_id: int) -> Cluster:
    """A cluster of this council's inbox (following merges to the surviving cluster)."""
    cluster = db.session.get(Cluster, cluster_id)
    if cluster is None or cluster.council_id != council.id:
        raise NotFound(
            f"{council.name}'s inbox has no cluster {cluster_id}. See the inbox for the current clusters."
        )
    return cluster


def cluster_members(
    cluster: Cluster, page: int = 1, per_page: int = 50
) -> tuple[list[Forward], int]:
    total = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Forward).where(Forward.cluster_id == cluster.id)
        )
        or 0
    )
    rows = list(
        db.session.scalars(
            sa.select(Forward)
            .where(Forward.cluster_id == cluster.id)
            .order_by(Forward.forwarded_at, Forward.id)
            .offset((max(1, page) - 1) * per_page)
            .limit(per_page)
        )
    )
    return rows, total


def merge_candidates(council: Council, cluster: Cluster, limit: int = 30) -> list[Cluster]:
    """Other live clusters of the inbox that share a theme with this one, then the broadest."""
    themes = [t for t, _n in cards_for([cluster])[0].themes]
    query = sa.select(Cluster).where(
        Cluster.council_id == council.id,
        Cluster.merged_into_id.is_(None),
        Cluster.size > 0,
        Cluster.id != cluster.id,
    )
    found = []
    if themes:
        found = list(
            db.session.scalars(
                query.where(
                    sa.exists().where(
                        ClusterTheme.cluster_id == Cluster.id, ClusterTheme.theme.in_(themes)
                    )
                )
                .order_by(Cluster.councils.desc(), Cluster.id)
                .limit(limit)
            )
        )
    if len(found) < limit:
        seen = {c.id for c in found}
        found += [
            c
            for c in db.session.scalars(
                query.order_by(Cluster.councils.desc(), Cluster.id).limit(limit)
            )
            if c.id not in seen
        ][: limit - len(found)]
    return found


def waiting_days(since: datetime | None, now: datetime | None = None) -> int | None:
    if since is None:
        return None
    return max(0, ((now or utcnow()) - since).days)


def cluster_json(card: ClusterCard) -> dict[str, Any]:
    c = card.cluster
    return {
        "id": c.id,
        "title": c.title,
        "proposals": c.size,
        "councils": c.councils,
        "places": c.places,
        "supporters": c.supporters,
        "supporters_total": c.supporters_total,
        "members": c.members,
        "bridging": round(c.bridging, 6),
        "decided_by_vote": c.tallied,
        "mean_weighted_support": round(c.mean_support, 4) if c.mean_support is not None else None,
        "first_forwarded_at": c.first_at.isoformat() + "Z" if c.first_at else None,
        "last_forwarded_at": c.last_at.isoformat() + "Z" if c.last_at else None,
        "unanswered": c.unanswered,
        "unanswered_since": c.unanswered_since.isoformat() + "Z" if c.unanswered_since else None,
        "regions": [
            {"region": slug, "name": name, "councils": n, "proposals": f}
            for slug, name, n, f in card.regions
        ],
        "themes": [{"theme": t, "proposals": n} for t, n in card.themes],
        "answers": [answer_json(a) for a in card.answers],
    }


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "reasons": a.reasons,
        "referred_to": a.referred_council.slug if a.referred_council_id else None,
        "proposals": a.forwards,
        "answered_at": a.answered_at.isoformat() + "Z",
        "by_role": a.answered_by_role,
    }
