"""The figures of an inbox's clusters, kept current as memberships change.

:class:`ClusterFigures` is the half of :class:`participate.upward.store.SqlStore` that,
whenever proposals join or leave a cluster or two clusters merge, updates the cluster's
aggregate columns (size, councils, places, supporters and members by constituency, the
cross-constituency score, vote figures, dates, what is unanswered), its theme and region
rows and the inbox's theme counts, with the pure rules of `participate.core.cascade`, so the
inbox page reads them and never computes anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from participate.core import cascade
from participate.extensions import db
from participate.upward.models import Cluster, ClusterRegion, ClusterTheme, Forward
from participate.upward.statements import (
    READ_AGGREGATE,
    REGIONS,
    THEMES,
    WRITE_AGGREGATE,
    _chunks,
    _expire,
    _other,
    upsert_add,
)


def cluster_row(agg: Mapping[str, Any]) -> dict[str, Any]:
    """Cluster columns from a `participate.core.cascade` aggregate."""
    return {
        "size": agg["size"],
        "councils": agg["councils"],
        "places": agg["places"],
        "supporters": dict(agg["supporters"]),
        "members": dict(agg["members"]),
        "supporters_total": agg["supporters_total"],
        "bridging": agg["bridging"],
        "tallied": agg["tallied"],
        "support_sum": agg["support_sum"],
        "first_at": agg["first_at"],
        "last_at": agg["last_at"],
        "unanswered": agg["unanswered"],
        "unanswered_since": agg["unanswered_since"],
    }


class ClusterFigures:
    """Mixin of SqlStore: needs ``council_id``, ``rows``, ``touched``, ``_run`` and
    ``_changed``."""

    council_id: int
    rows: dict
    touched: set

    def _row(self, item: int) -> Mapping[str, Any]:
        row = self.rows.get(item)
        if row is None:
            row = load_rows([item])[item]
            self.rows[item] = row
        return row

    def _join_rows(self, key: int, items: list[int]) -> None:
        """Items join cluster ``key`` (their cluster_id is set here): figures go up."""
        db.session.flush()
        agg = dict(db.session.execute(READ_AGGREGATE, {"key_": key}).one()._mapping)
        agg["supporters"] = {
            **dict.fromkeys(cascade.CONSTITUENCIES, 0),
            **(agg["supporters"] or {}),
        }
        agg["members"] = {**dict.fromkeys(cascade.CONSTITUENCIES, 0), **(agg["members"] or {})}
        for item in items:
            row = self._row(item)
            new_council = self._run("has_council", {"k": key, "v": row["council"]}).first() is None
            new_place = self._run("has_place", {"k": key, "v": row["place"]}).first() is None
            self._run("set_cluster", {"k": key, "i": item})
            agg = cascade.add_to_aggregate(agg, row, new_council=new_council, new_place=new_place)
            self._themes(key, row.get("themes") or (), 1)
            if row.get("region") is not None:
                self._run(
                    "add_region",
                    {"k": key, "r": row["region"], "c": self.council_id, "n": int(new_council)},
                )
        db.session.execute(WRITE_AGGREGATE, {"key_": key, **cluster_row(agg)})
        _expire(key)
        self._changed()
        self.touched.add(key)

    def _themes(self, key: int, themes: Iterable[str], delta: int) -> None:
        themes = sorted({str(t)[:40] for t in themes})
        if delta > 0:
            if themes:
                rows = [{"k": key, "t": t, "c": self.council_id} for t in themes]
                self._run("add_themes", rows)
                self._run("add_inbox_themes", rows)
            return
        for t in themes:
            self._run("drop_inbox_theme", {"c": self.council_id, "t": t})
            db.session.execute(
                sa.update(ClusterTheme)
                .where(ClusterTheme.cluster_id == key, ClusterTheme.theme == t)
                .values(n=ClusterTheme.n - 1)
            )
        db.session.execute(
            sa.delete(ClusterTheme).where(ClusterTheme.cluster_id == key, ClusterTheme.n <= 0)
        )

    def _leave_rows(self, key: int, items: list[int]) -> None:
        """Items leave cluster ``key`` (their cluster_id is cleared): figures go down."""
        cluster = db.session.get(Cluster, key)
        assert cluster is not None
        for item in items:
            row = self._row(item)
            db.session.execute(sa.update(Forward).where(Forward.id == item).values(cluster_id=None))
            council_left = not _has(key, Forward.origin_council_id, row["council"])
            place_left = not _has(key, Forward.origin_place_id, row["place"])
            supporters = {c: cluster.supporters.get(c, 0) - n for c, n in row["supports"].items()}
            members = {c: cluster.members.get(c, 0) - n for c, n in row["members"].items()}
            cluster.supporters = {**cluster.supporters, **supporters}
            cluster.members = {**cluster.members, **members}
            cluster.supporters_total = sum(cluster.supporters.values())
            cluster.size -= 1
            cluster.councils -= int(council_left)
            cluster.places -= int(place_left)
            if row.get("weighted_support") is not None:
                cluster.tallied -= 1
                cluster.support_sum -= float(row["weighted_support"])
            if not row.get("answered"):
                cluster.unanswered -= 1
            self._themes(key, row.get("themes") or (), -1)
            if row.get("region") is not None:
                db.session.execute(
                    sa.update(ClusterRegion)
                    .where(
                        ClusterRegion.cluster_id == key, ClusterRegion.region_id == row["region"]
                    )
                    .values(
                        councils=ClusterRegion.councils - int(council_left),
                        forwards=ClusterRegion.forwards - 1,
                    )
                )
                db.session.execute(
                    sa.delete(ClusterRegion).where(
                        ClusterRegion.cluster_id == key, ClusterRegion.forwards <= 0
                    )
                )
        cluster.bridging = cascade.bridging(cluster.supporters, cluster.members)
        _refresh_dates(cluster)
        db.session.flush()
        self.touched.add(key)

    def _merge_aggregates(self, keep: int, gone: int) -> None:
        """Cluster ``gone``'s proposals join ``keep``: sums add up, distinct councils and
        places are counted once, the region and theme rows are combined."""
        a, b = db.session.get(Cluster, keep), db.session.get(Cluster, gone)
        assert a is not None and b is not None
        other = _other(Forward)

        def overlap(column) -> sa.Select:
            mine = getattr(Forward, column)
            return (
                sa.select(mine)
                .where(Forward.cluster_id == gone)
                .where(sa.exists().where(other.cluster_id == keep, getattr(other, column) == mine))
                .distinct()
            )

        shared_councils = list(db.session.scalars(overlap("origin_council_id")))
        shared_places = db.session.scalar(
            sa.select(sa.func.count()).select_from(overlap("origin_place_id").subquery())
        )
        # Councils present in both, per region: counted once in the merged region rows.
        shared_by_region: dict[int, int] = {}
        if shared_councils:
            for region, n in db.session.execute(
                sa.select(Forward.region_id, sa.func.count(sa.distinct(Forward.origin_council_id)))
                .where(Forward.cluster_id == gone, Forward.origin_council_id.in_(shared_councils))
                .group_by(Forward.region_id)
            ):
                if region is not None:
                    shared_by_region[region] = n
        for region, councils, forwards in db.session.execute(
            sa.select(
                ClusterRegion.region_id, ClusterRegion.councils, ClusterRegion.forwards
            ).where(ClusterRegion.cluster_id == gone)
        ).all():
            upsert_add(
                REGIONS,
                [
                    {
                        "cluster_id": keep,
                        "region_id": region,
                        "council_id": self.council_id,
                        "councils": councils - shared_by_region.get(region, 0),
                        "forwards": forwards,
                    }
                ],
                ("cluster_id", "region_id"),
                ("councils", "forwards"),
            )
        db.session.execute(sa.delete(ClusterRegion).where(ClusterRegion.cluster_id == gone))
        for theme, n in db.session.execute(
            sa.select(ClusterTheme.theme, ClusterTheme.n).where(ClusterTheme.cluster_id == gone)
        ).all():
            upsert_add(
                THEMES,
                [{"cluster_id": keep, "theme": theme, "council_id": self.council_id, "n": n}],
                ("cluster_id", "theme"),
                ("n",),
            )
        db.session.execute(sa.delete(ClusterTheme).where(ClusterTheme.cluster_id == gone))
        supporters = {
            c: a.supporters.get(c, 0) + b.supporters.get(c, 0) for c in cascade.CONSTITUENCIES
        }
        members = {c: a.members.get(c, 0) + b.members.get(c, 0) for c in cascade.CONSTITUENCIES}
        a.supporters, a.members = supporters, members
        a.supporters_total = sum(supporters.values())
        a.bridging = cascade.bridging(supporters, members)
        a.size += b.size
        a.councils += b.councils - len(shared_councils)
        a.places += b.places - int(shared_places or 0)
        a.tallied += b.tallied
        a.support_sum += b.support_sum
        a.unanswered += b.unanswered
        a.answers += b.answers
        a.first_at = _min(a.first_at, b.first_at)
        a.last_at = _max(a.last_at, b.last_at)
        a.unanswered_since = _min(a.unanswered_since, b.unanswered_since)
        db.session.flush()
        db.session.execute(
            sa.update(Forward).where(Forward.cluster_id == gone).values(cluster_id=keep)
        )


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _has(key: int, column, value) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.literal(1)).where(Forward.cluster_id == key, column == value).limit(1)
        )
        is not None
    )


def _refresh_dates(cluster: Cluster) -> None:
    first, last = db.session.execute(
        sa.select(sa.func.min(Forward.forwarded_at), sa.func.max(Forward.forwarded_at)).where(
            Forward.cluster_id == cluster.id
        )
    ).one()
    cluster.first_at, cluster.last_at = first, last
    cluster.unanswered_since = db.session.scalar(
        sa.select(sa.func.min(Forward.forwarded_at)).where(
            Forward.cluster_id == cluster.id, Forward.answer_id.is_(None)
        )
    )


def aggregate_of(cluster: Cluster) -> dict[str, Any]:
    """A cluster's stored figures as a `participate.core.cascade` aggregate."""
    agg = cascade.empty_aggregate()
    agg.update(
        size=cluster.size,
        councils=cluster.councils,
        places=cluster.places,
        supporters={**agg["supporters"], **(cluster.supporters or {})},
        members={**agg["members"], **(cluster.members or {})},
        supporters_total=cluster.supporters_total,
        bridging=cluster.bridging,
        tallied=cluster.tallied,
        support_sum=cluster.support_sum,
        first_at=cluster.first_at,
        last_at=cluster.last_at,
        unanswered=cluster.unanswered,
        unanswered_since=cluster.unanswered_since,
    )
    return agg


def snapshot(forward: Forward) -> dict[str, Any]:
    """What the aggregates need of a forwarded proposal."""
    return {
        "id": forward.id,
        "council": forward.origin_council_id,
        "place": forward.origin_place_id,
        "region": forward.region_id,
        "supports": dict(forward.supports or {}),
        "members": dict(forward.members or {}),
        "themes": list(forward.themes or []),
        "forwarded_at": forward.forwarded_at,
        "answered": forward.answer_id is not None,
        "weighted_support": (forward.tally or {}).get("weighted_support"),
    }


def load_rows(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(ids)
    out = {}
    for chunk in _chunks(ids):
        for forward in db.session.scalars(sa.select(Forward).where(Forward.id.in_(chunk))):
            out[forward.id] = snapshot(forward)
    return out
