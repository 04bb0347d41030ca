"""SQL shared by the inbox's index (`participate.upward.store`) and the cluster figures
(`participate.upward.aggregates`): statements written once, as text where they are hot
(building SQLAlchemy constructs per call costs more than running them), and small helpers.
``INSERT ... ON CONFLICT ... DO UPDATE`` is the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from participate.extensions import db
from participate.upward.models import (
    Cluster,
    ClusterFeature,
    ClusterRegion,
    ClusterTheme,
    Forward,
    Term,
)

CF = ClusterFeature.__table__
TERMS = Term.__table__
CLUSTERS = Cluster.__table__
FORWARDS = Forward.__table__
THEMES = ClusterTheme.__table__
REGIONS = ClusterRegion.__table__

CHUNK = 500  # parameters per IN (...) list


def _text(sql: str, *expanding: str) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(name, expanding=True) for name in expanding))


# The hot path of a forward, written once: building SQLAlchemy constructs per call costs
# more than running them. ON CONFLICT ... DO UPDATE is the same on SQLite and PostgreSQL.
SQL = {
    "bump_inbox": _text(
        "UPDATE upward_inboxes SET size = size + 1 WHERE council_id = :c RETURNING size"
    ),
    "count_terms": _text(
        "INSERT INTO upward_terms (council_id, feature, df, clusters) VALUES (:c, :f, 1, 0) "
        "ON CONFLICT (council_id, feature) DO UPDATE SET df = upward_terms.df + 1"
    ),
    "terms": _text(
        "SELECT feature, df, clusters FROM upward_terms WHERE council_id = :c AND feature IN :feats",
        "feats",
    ),
    "partial": _text(
        "SELECT cluster_id, feature, weight FROM upward_cluster_features "
        "WHERE council_id = :c AND feature IN :feats",
        "feats",
    ),
    "states": _text(
        "SELECT id, size, text_sq, theme_sq FROM upward_clusters "
        "WHERE id IN :ids AND merged_into_id IS NULL AND size > 0",
        "ids",
    ),
    "dots": _text(
        "SELECT cluster_id, feature, weight FROM upward_cluster_features "
        "WHERE cluster_id IN :ids AND feature IN :feats",
        "ids",
        "feats",
    ),
    "centroid_dot": _text(
        "SELECT substr(a.feature, 1, 1) = '#' AS tag, SUM(a.weight * b.weight) "
        "FROM upward_cluster_features a JOIN upward_cluster_features b "
        "ON b.cluster_id = :b AND b.feature = a.feature WHERE a.cluster_id = :a GROUP BY 1"
    ),
    "heaviest_text": _text(
        "SELECT feature, weight FROM upward_cluster_features WHERE cluster_id = :k "
        "AND feature NOT LIKE '#%' ORDER BY weight DESC, feature LIMIT :n"
    ),
    "heaviest_theme": _text(
        "SELECT feature, weight FROM upward_cluster_features WHERE cluster_id = :k "
        "AND feature LIKE '#%' ORDER BY weight DESC, feature LIMIT :n"
    ),
    "add_features": _text(
        "INSERT INTO upward_cluster_features (cluster_id, feature, council_id, weight, holders) "
        "VALUES (:k, :f, :c, :w, 1) ON CONFLICT (cluster_id, feature) DO UPDATE SET "
        "weight = upward_cluster_features.weight + excluded.weight, "
        "holders = upward_cluster_features.holders + 1"
    ),
    "count_clusters": _text(
        "UPDATE upward_terms SET clusters = clusters + :d WHERE council_id = :c AND feature IN :feats",
        "feats",
    ),
    "grow_norms": _text(
        "UPDATE upward_clusters SET text_sq = text_sq + :dt, theme_sq = theme_sq + :dh WHERE id = :k"
    ),
    "set_cluster": _text("UPDATE upward_forwards SET cluster_id = :k WHERE id = :i"),
    "has_council": _text(
        "SELECT 1 FROM upward_forwards WHERE cluster_id = :k AND origin_council_id = :v LIMIT 1"
    ),
    "has_place": _text(
        "SELECT 1 FROM upward_forwards WHERE cluster_id = :k AND origin_place_id = :v LIMIT 1"
    ),
    "add_themes": _text(
        "INSERT INTO upward_cluster_themes (cluster_id, theme, council_id, n) VALUES (:k, :t, :c, 1) "
        "ON CONFLICT (cluster_id, theme) DO UPDATE SET n = upward_cluster_themes.n + 1"
    ),
    "add_inbox_themes": _text(
        "INSERT INTO upward_inbox_themes (council_id, theme, n) VALUES (:c, :t, 1) "
        "ON CONFLICT (council_id, theme) DO UPDATE SET n = upward_inbox_themes.n + 1"
    ),
    "drop_inbox_theme": _text(
        "UPDATE upward_inbox_themes SET n = n - 1 WHERE council_id = :c AND theme = :t"
    ),
    "add_region": _text(
        "INSERT INTO upward_cluster_regions (cluster_id, region_id, council_id, councils, forwards) "
        "VALUES (:k, :r, :c, :n, 1) ON CONFLICT (cluster_id, region_id) DO UPDATE SET "
        "councils = upward_cluster_regions.councils + excluded.councils, "
        "forwards = upward_cluster_regions.forwards + 1"
    ),
    "held": _text(
        "SELECT feature FROM upward_cluster_features WHERE cluster_id = :k AND feature IN :feats",
        "feats",
    ),
    "members": _text("SELECT id FROM upward_forwards WHERE cluster_id = :k ORDER BY id"),
    "members_among": _text(
        "SELECT id FROM upward_forwards WHERE cluster_id = :k AND id IN :ids ORDER BY id", "ids"
    ),
}
AGG_COLUMNS = (
    "size",
    "councils",
    "places",
    "supporters",
    "members",
    "supporters_total",
    "bridging",
    "tallied",
    "support_sum",
    "first_at",
    "last_at",
    "unanswered",
    "unanswered_since",
)
READ_AGGREGATE = sa.select(*(CLUSTERS.c[c] for c in AGG_COLUMNS)).where(
    CLUSTERS.c.id == sa.bindparam("key_")
)
WRITE_AGGREGATE = sa.update(CLUSTERS).where(CLUSTERS.c.id == sa.bindparam("key_"))


@cache
def _other(model):
    """An alias of ``model`` made once, on first use (not at import: that would configure
    every mapper before all models are imported)."""
    return aliased(model)


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert_add(table, rows: list[dict], keys: Sequence[str], adds: Sequence[str]) -> None:
    """Insert rows; where the key exists, add the rows' values of ``adds`` to it."""
    if not rows:
        return
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={col: table.c[col] + stmt.excluded[col] for col in adds},
    )
    db.session.execute(stmt, rows)


def _chunks(values: Sequence, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _expire(*keys: int) -> None:
    """Forget loaded copies of clusters a Core UPDATE just changed (after a flush)."""
    for key in keys:
        obj = db.session.identity_map.get(identity_key(Cluster, key))
        if obj is not None:
            db.session.expire(obj)
