"""The inbox's clustering index in the database.

:class:`SqlStore` implements `participate.core.clustering.Store` for one inbox on
the current session: every read is an indexed lookup, every write an upsert, so a
forward costs the same with 100 or 100,000 proposals in the inbox. Whenever a cluster's
membership changes (create, attach, detach, absorb) it keeps in step the index
(``upward_cluster_features``, ``upward_terms``), the membership
(``upward_forwards.cluster_id``) and, through its :class:`ClusterFigures` half
(`participate.upward.aggregates`), the cluster's figures, so the inbox page never
computes anything.

The caller holds the inbox lock (see `participate.upward.clusters.lock_inbox`) for the
whole transaction: JSON figures are read, changed and written back under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from participate.core import cascade
from participate.core.clustering import TAG, ClusterState, split_norms
from participate.extensions import db
from participate.upward.aggregates import (  # noqa: F401  (snapshot, _refresh_dates re-exported)
    ClusterFigures,
    _refresh_dates,
    cluster_row,
    snapshot,
)
from participate.upward.models import Cluster, ClusterFeature, Term
from participate.upward.statements import CF, CLUSTERS, SQL, _chunks, _expire, _insert, _other
from participate.util import utcnow


def _weights_table(weighted: Sequence[tuple[str, float]]) -> tuple[str, dict[str, Any]]:
    """The rows of a ``VALUES`` table of (feature, weight) and their parameters. Only bind
    parameter names (:f0, :w0, ...) go into the SQL text, never a value."""
    values = ", ".join(f"(:f{i}, CAST(:w{i} AS FLOAT))" for i in range(len(weighted)))
    params: dict[str, Any] = {}
    for i, (feature, weight) in enumerate(weighted):
        params[f"f{i}"], params[f"w{i}"] = feature, weight
    return values, params


class SqlStore(ClusterFigures):
    """One inbox's index and aggregates (`participate.core.clustering.Store`)."""

    def __init__(self, council_id: int, rows: Mapping[int, Mapping[str, Any]] | None = None):
        self.council_id = council_id
        # Forward id -> its snapshot (council, place, region, supports, members, themes,
        # forwarded_at, answered, weighted_support) for aggregates of attached items.
        self.rows: dict[int, Mapping[str, Any]] = dict(rows or {})
        # Reads repeated within one assignment; any write clears them.
        self._states: dict[int, ClusterState | None] = {}
        self._postings: dict[str, int] = {}
        self.touched: set[int] = set()

    def _changed(self) -> None:
        self._states.clear()
        self._postings.clear()

    def _run(self, name: str, params=None):
        return db.session.execute(SQL[name], params or {})

    # ------------------------------------------------------------------ reading

    def count_document(self, feats: Iterable[str]) -> tuple[dict[str, int], int]:
        feats = list(feats)
        size = self._run("bump_inbox", {"c": self.council_id}).scalar_one()
        if feats:
            self._run("count_terms", [{"c": self.council_id, "f": f} for f in feats])
        df: dict[str, int] = {}
        self._changed()
        for chunk in _chunks(feats):
            for feature, count, clusters in self._run(
                "terms", {"c": self.council_id, "feats": list(chunk)}
            ):
                df[feature] = count
                self._postings[feature] = clusters
        return df, size

    def postings(self, feats: Iterable[str]) -> dict[str, int]:
        feats = list(feats)
        missing = [f for f in feats if f not in self._postings]
        for chunk in _chunks(missing):
            found = dict(
                (f, clusters)
                for f, _df, clusters in self._run(
                    "terms", {"c": self.council_id, "feats": list(chunk)}
                )
            )
            for f in chunk:
                self._postings[f] = found.get(f, 0)
        return {f: self._postings.get(f, 0) for f in feats}

    def best(self, weighted: Sequence[tuple[str, float]], limit: int) -> list[int]:
        # One query ranks the candidates in SQL (partial^2 / text_sq orders like
        # partial / sqrt(text_sq): partials are never negative), returning at most `limit`.
        if not weighted:
            return []
        values, params = _weights_table(weighted)
        params.update(c=self.council_id, lim=limit)
        rows = db.session.execute(
            sa.text(
                f"WITH q(feature, w) AS (VALUES {values}) "  # nosec B608
                "SELECT cf.cluster_id, SUM(q.w * cf.weight) AS p, MAX(c.text_sq) AS t "
                "FROM q JOIN upward_cluster_features cf "
                "ON cf.council_id = :c AND cf.feature = q.feature "
                "JOIN upward_clusters c ON c.id = cf.cluster_id "
                "GROUP BY cf.cluster_id "
                "ORDER BY SUM(q.w * cf.weight) * SUM(q.w * cf.weight) / "
                "(CASE WHEN MAX(c.text_sq) > 0 THEN MAX(c.text_sq) ELSE 1 END) DESC, "
                "cf.cluster_id LIMIT :lim"
            ),
            params,
        ).all()
        return sorted(key for key, _p, _t in rows)

    def states(self, keys: Iterable[int]) -> dict[int, ClusterState]:
        keys = list(keys)
        missing = [k for k in keys if k not in self._states]
        for chunk in _chunks(missing):
            for k in chunk:
                self._states[k] = None
            for key, size, text_sq, theme_sq in self._run("states", {"ids": list(chunk)}):
                self._states[key] = ClusterState(size, text_sq, theme_sq)
        return {k: st for k in keys if (st := self._states.get(k)) is not None}

    def dots(
        self, keys: Sequence[int], vector: Mapping[str, float]
    ) -> dict[int, tuple[float, float]]:
        out = {k: (0.0, 0.0) for k in keys}
        if not keys or not vector:
            return out
        values, params = _weights_table(list(vector.items()))
        params["ids"] = list(keys)
        statement = sa.text(
            f"WITH q(feature, w) AS (VALUES {values}) "  # nosec B608
            "SELECT cf.cluster_id, substr(cf.feature, 1, 1) = '#' AS tag, SUM(q.w * cf.weight) "
            "FROM q JOIN upward_cluster_features cf ON cf.feature = q.feature "
            "WHERE cf.cluster_id IN :ids GROUP BY cf.cluster_id, substr(cf.feature, 1, 1) = '#'"
        ).bindparams(sa.bindparam("ids", expanding=True))
        for key, tag, total in db.session.execute(statement, params):
            text, theme = out[key]
            out[key] = (text, float(total)) if tag else (float(total), theme)
        return out

    def held(self, key: int, feats: Sequence[str]) -> set[str]:
        """Which of ``feats`` cluster ``key`` already holds."""
        found: set[str] = set()
        for chunk in _chunks(list(feats)):
            found.update(self._run("held", {"k": key, "feats": list(chunk)}).scalars())
        return found

    def centroid_dot(self, a: int, b: int) -> tuple[float, float]:
        # Walk the smaller cluster's features, look each up in the other (primary key).
        sizes = self.states([a, b])
        if a in sizes and b in sizes and sizes[a].size > sizes[b].size:
            a, b = b, a
        text = theme = 0.0
        for flag, total in self._run("centroid_dot", {"a": a, "b": b}):
            if flag:
                theme = float(total or 0.0)
            else:
                text = float(total or 0.0)
        return text, theme

    def heaviest(self, key: int, n: int) -> list[tuple[str, float]]:
        out = list(self._run("heaviest_text", {"k": key, "n": n}))
        out += list(self._run("heaviest_theme", {"k": key, "n": n}))
        return [(f, float(w)) for f, w in out]

    def members(self, key: int, among: Iterable[Any] | None = None) -> list[Any]:
        if among is None:
            return list(self._run("members", {"k": key}).scalars())
        wanted = [int(i) for i in among]
        found: list[Any] = []
        for chunk in _chunks(wanted):
            found.extend(self._run("members_among", {"k": key, "ids": list(chunk)}).scalars())
        return sorted(found)

    # ------------------------------------------------------------------ writing: index

    def _count_clusters(self, feats: Iterable[str], delta: int) -> None:
        feats = list(feats)
        for chunk in _chunks(feats):
            self._run("count_clusters", {"c": self.council_id, "d": delta, "feats": list(chunk)})

    def _add_features(self, key: int, vector: Mapping[str, float], new: set[str]) -> None:
        if vector:
            self._run(
                "add_features",
                [{"k": key, "f": f, "c": self.council_id, "w": w} for f, w in vector.items()],
            )
        self._count_clusters(new, 1)

    def _norms(self, key: int) -> tuple[float, float]:
        is_theme = sa.func.substr(ClusterFeature.feature, 1, 1) == TAG
        text = theme = 0.0
        for flag, total in db.session.execute(
            sa.select(is_theme, sa.func.sum(ClusterFeature.weight * ClusterFeature.weight))
            .where(ClusterFeature.cluster_id == key)
            .group_by(is_theme)
        ):
            if flag:
                theme = float(total or 0.0)
            else:
                text = float(total or 0.0)
        return text, theme

    def create(self, item: Any, vector: Mapping[str, float]) -> int:
        text_sq, theme_sq = split_norms(vector)
        agg = cascade.empty_aggregate()
        key = db.session.execute(
            sa.insert(CLUSTERS)
            .values(
                council_id=self.council_id,
                text_sq=text_sq,
                theme_sq=theme_sq,
                created_at=utcnow(),
                **cluster_row(agg),
            )
            .returning(CLUSTERS.c.id)
        ).scalar_one()
        self._changed()
        self._add_features(key, vector, set(vector))
        self._join_rows(key, [item])
        return key

    def attach(
        self, key: int, item: Any, vector: Mapping[str, float], dot: tuple[float, float]
    ) -> None:
        held = self.held(key, list(vector))
        text_sq, theme_sq = split_norms(vector)
        self._changed()
        self._add_features(key, vector, set(vector) - held)
        self._run(
            "grow_norms",
            {"k": key, "dt": 2 * dot[0] + text_sq, "dh": 2 * dot[1] + theme_sq},
        )
        _expire(key)
        self._join_rows(key, [item])

    def detach(self, key: int, item: Any, vector: Mapping[str, float]) -> None:
        self._changed()
        feats = list(vector)
        db.session.execute(
            sa.update(CF)
            .where(CF.c.cluster_id == key, CF.c.feature == sa.bindparam("f"))
            .values(weight=CF.c.weight - sa.bindparam("w"), holders=CF.c.holders - 1),
            [{"f": f, "w": w} for f, w in vector.items()],
        )
        gone = [
            f
            for chunk in _chunks(feats)
            for f in db.session.scalars(
                sa.select(ClusterFeature.feature).where(
                    ClusterFeature.cluster_id == key,
                    ClusterFeature.feature.in_(chunk),
                    ClusterFeature.holders <= 0,
                )
            )
        ]
        for chunk in _chunks(gone):
            db.session.execute(
                sa.delete(ClusterFeature).where(
                    ClusterFeature.cluster_id == key, ClusterFeature.feature.in_(chunk)
                )
            )
        self._count_clusters(gone, -1)
        text_sq, theme_sq = self._norms(key)
        db.session.execute(
            sa.update(Cluster).where(Cluster.id == key).values(text_sq=text_sq, theme_sq=theme_sq)
        )
        _expire(key)
        self._leave_rows(key, [item])

    def absorb(self, keep: int, gone: int) -> None:
        self._changed()
        other = _other(ClusterFeature)
        shared = (
            sa.select(ClusterFeature.feature)
            .join(other, sa.and_(other.cluster_id == keep, other.feature == ClusterFeature.feature))
            .where(ClusterFeature.cluster_id == gone)
        )
        # A feature both clusters held is now held by one cluster fewer.
        db.session.execute(
            sa.update(Term)
            .where(Term.council_id == self.council_id, Term.feature.in_(shared.scalar_subquery()))
            .values(clusters=Term.clusters - 1)
        )
        stmt = _insert(CF).from_select(
            ["cluster_id", "feature", "council_id", "weight", "holders"],
            sa.select(
                sa.literal(keep), CF.c.feature, CF.c.council_id, CF.c.weight, CF.c.holders
            ).where(CF.c.cluster_id == gone),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["cluster_id", "feature"],
            set_={
                "weight": CF.c.weight + stmt.excluded.weight,
                "holders": CF.c.holders + stmt.excluded.holders,
            },
        )
        db.session.execute(stmt)
        db.session.execute(sa.delete(ClusterFeature).where(ClusterFeature.cluster_id == gone))
        text_sq, theme_sq = self._norms(keep)
        self._merge_aggregates(keep, gone)
        db.session.execute(
            sa.update(Cluster).where(Cluster.id == keep).values(text_sq=text_sq, theme_sq=theme_sq)
        )
        db.session.execute(
            sa.update(Cluster)
            .where(Cluster.id == gone)
            .values(merged_into_id=keep, size=0, unanswered=0, text_sq=0.0, theme_sq=0.0)
        )
        db.session.execute(
            sa.update(Cluster).where(Cluster.merged_into_id == gone).values(merged_into_id=keep)
        )
        _expire(keep, gone)
        self.touched.update((keep, gone))

    # ------------------------------------------------------------------ writing: aggregates
