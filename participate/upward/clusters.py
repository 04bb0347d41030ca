"""The upward inbox: placing forwarded proposals in clusters, the clerk's corrections, reading.

Placing is incremental (`participate.core.clustering.assign` over the database
store), inside the forwarding transaction, under the inbox lock: the first statement
of any change to an inbox is an UPDATE of its ``upward_inboxes`` row, which takes the
row lock on PostgreSQL and the write lock on SQLite, so concurrent forwards to one
inbox queue instead of racing over the same clusters.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key

from participate.audit.services import record_event
from participate.core import clustering
from participate.councils.models import Council
from participate.councils.services import require_inbox_keeper
from participate.errors import Conflict, DomainError, NotFound
from participate.extensions import db
from participate.upward.aggregates import load_rows, snapshot
from participate.upward.models import (
    Cluster,
    Forward,
    Inbox,
    Term,
)
from participate.upward.store import SqlStore
from participate.util import utcnow

TITLE_SAMPLE = 60  # members a representative title is chosen from, in a big cluster


# ---------------------------------------------------------------- the inbox lock


_ENSURE_INBOX = sa.text(
    "INSERT INTO upward_inboxes (council_id, size, updated_at) VALUES (:c, 0, :now) "
    "ON CONFLICT (council_id) DO NOTHING"
)
_TOUCH_INBOX = sa.text("UPDATE upward_inboxes SET updated_at = :now WHERE council_id = :c")
_CONSTRAINTS = sa.select(Inbox.constraints).where(Inbox.council_id == sa.bindparam("c"))
_ONE_MORE_UNANSWERED = sa.text(
    "UPDATE upward_inboxes SET unanswered = unanswered + :n WHERE council_id = :c"
)
_CLUSTER_TITLE = sa.text("SELECT size, titled_at_size, title FROM upward_clusters WHERE id = :k")
_SET_TITLE = sa.text("UPDATE upward_clusters SET title = :t, titled_at_size = :n WHERE id = :k")


def lock_inbox(council_id: int) -> None:
    """Create the inbox row if needed and take its lock for this transaction (the UPDATE:
    a row lock on PostgreSQL, the database write lock on SQLite)."""
    now = utcnow()
    db.session.execute(_ENSURE_INBOX, {"c": council_id, "now": now})
    db.session.execute(_TOUCH_INBOX, {"c": council_id, "now": now})


def inbox_of(council_id: int) -> Inbox:
    inbox = db.session.get(Inbox, council_id, populate_existing=True)
    assert inbox is not None
    return inbox


def constraints_of(inbox: Inbox) -> clustering.Constraints:
    return clustering.Constraints.from_dict(inbox.constraints)


# ---------------------------------------------------------------- placing


def features_of(forward: Forward) -> dict[str, float]:
    """The clustering features of a forwarded proposal: title, body, subsidiarity
    statement and theme tags."""
    return clustering.features(
        forward.title, forward.body, forward.themes or (), forward.subsidiarity or ""
    )


def place(forward: Forward) -> clustering.Placement:
    """Put a new forwarded proposal into its cluster (the caller holds the inbox lock)."""
    saved = db.session.execute(_CONSTRAINTS, {"c": forward.to_council_id}).scalar()
    store = SqlStore(forward.to_council_id, {forward.id: snapshot(forward)})
    placement = clustering.assign(
        store, forward.id, features_of(forward), clustering.Constraints.from_dict(saved)
    )
    forward.vector = {f: round(w, 6) for f, w in placement.vector.items()}
    forward.cluster_id = placement.cluster
    db.session.execute(_ONE_MORE_UNANSWERED, {"c": forward.to_council_id, "n": 1})
    retitle(placement.cluster)
    return placement


def retitle(cluster_id: int, force: bool = False) -> None:
    """Choose the cluster's representative title again while it is small, and each time
    its size passes a power of two after that (the centroid moves less and less)."""
    found = db.session.execute(_CLUSTER_TITLE, {"k": cluster_id}).first()
    if found is None or found.size == 0:
        return
    size, titled_at, title = found
    grown = size.bit_length() > titled_at.bit_length()
    if not (force or size <= 8 or grown or not title):
        return
    half = TITLE_SAMPLE // 2
    query = sa.select(Forward.id, Forward.title, Forward.body, Forward.themes).where(
        Forward.cluster_id == cluster_id
    )
    rows = list(db.session.execute(query.order_by(Forward.forwarded_at, Forward.id).limit(half)))
    if size > half:
        seen = {r.id for r in rows}
        rows += [
            r
            for r in db.session.execute(
                query.order_by(Forward.forwarded_at.desc(), Forward.id.desc()).limit(half)
            )
            if r.id not in seen
        ]
    items = [{"id": r.id, "title": r.title, "body": r.body, "themes": r.themes or []} for r in rows]
    chosen = clustering.representative_title(items)[:200] or items[0]["title"]
    db.session.execute(_SET_TITLE, {"t": chosen, "n": size, "k": cluster_id})
    cached = db.session.identity_map.get(identity_key(Cluster, cluster_id))
    if cached is not None:
        db.session.expire(cached)


# ---------------------------------------------------------------- clerks' corrections


def _live_cluster(council: Council, cluster_id: int) -> Cluster:
    cluster = db.session.get(Cluster, cluster_id, populate_existing=True)
    if cluster is None or cluster.council_id != council.id:
        raise NotFound(f"{council.name}'s inbox has no cluster {cluster_id}.")
    if cluster.merged_into_id is not None:
        raise Conflict(
            f"Cluster {cluster_id} was merged into cluster {cluster.merged_into_id}; "
            "work on that one.",
            code="cluster_merged",
        )
    return cluster


def split_forward(actor, council: Council, cluster_id: int, forward_id: int) -> Cluster:
    """A clerk moves a wrongly grouped proposal out of its cluster into one of its own.
    Cannot-links keep it apart from its former cluster mates when new proposals arrive."""
    require_inbox_keeper(actor, council)
    lock_inbox(council.id)
    cluster = _live_cluster(council, cluster_id)
    forward = db.session.get(Forward, forward_id)
    if forward is None or forward.cluster_id != cluster.id:
        raise DomainError(
            f"Proposal {forward_id} is not in cluster {cluster_id}; reload the cluster.",
            code="not_in_cluster",
            field="forward",
        )
    if cluster.size < 2:
        raise DomainError(
            "This proposal is already alone in its cluster: there is nothing to split.",
            code="already_alone",
            field="forward",
        )
    inbox = inbox_of(council.id)
    cons = constraints_of(inbox)
    store = SqlStore(council.id, load_rows([forward.id]))
    new_key = clustering.split(
        store, cons, cluster.id, forward.id, forward.vector or _vector_now(forward)
    )
    inbox.constraints = cons.to_dict()
    retitle(cluster.id, force=True)
    retitle(new_key, force=True)
    record_event(
        "upward.cluster_split",
        actor=actor,
        council=council,
        subject=cluster,
        data={"forward": forward.id, "title": forward.title, "into": new_key},
    )
    db.session.commit()
    result = db.session.get(Cluster, new_key)
    assert result is not None
    return result


def _vector_now(forward: Forward) -> dict[str, float]:
    """A forwarded proposal's vector weighed with today's document frequencies: for rows
    bulk-loaded without their arrival vector (benchmark data). Taking it out of its cluster
    then leaves a small residue in the centroid, the drift since it arrived."""
    counts = features_of(forward)
    df = dict(
        db.session.execute(
            sa.select(Term.feature, Term.df).where(
                Term.council_id == forward.to_council_id, Term.feature.in_(list(counts))
            )
        ).all()
    )
    size = db.session.scalar(sa.select(Inbox.size).where(Inbox.council_id == forward.to_council_id))
    return clustering.weigh(counts, df, size or 1)


def merge_clusters(actor, council: Council, keep_id: int, other_id: int) -> Cluster:
    """A clerk merges cluster ``other_id`` into ``keep_id`` for good (must-links)."""
    require_inbox_keeper(actor, council)
    if keep_id == other_id:
        raise DomainError(
            "Choose another cluster to merge with this one.", code="same_cluster", field="other"
        )
    lock_inbox(council.id)
    keep = _live_cluster(council, keep_id)
    other = _live_cluster(council, other_id)
    inbox = inbox_of(council.id)
    cons = constraints_of(inbox)
    store = SqlStore(council.id)
    title_other = other.title
    clustering.merge(store, cons, keep.id, other.id)
    inbox.constraints = cons.to_dict()
    retitle(keep.id, force=True)
    record_event(
        "upward.cluster_merged",
        actor=actor,
        council=council,
        subject=keep,
        data={"merged": other_id, "merged_title": title_other, "into_title": keep.title},
    )
    db.session.commit()
    return keep


# Reading the inbox lives in participate.upward.inbox; re-exported so callers import one module.
from participate.upward.inbox import (  # noqa: E402
    PER_PAGE,
    SORTS,
    STATUSES,
    ClusterCard,
    InboxPage,
    answer_json,
    answers_for,
    cards_for,
    cluster_json,
    cluster_members,
    get_cluster,
    inbox_themes,
    list_clusters,
    merge_candidates,
    query_from,
    waiting_days,
)

__all__ = [
    "PER_PAGE",
    "SORTS",
    "STATUSES",
    "ClusterCard",
    "InboxPage",
    "answer_json",
    "answers_for",
    "cards_for",
    "cluster_json",
    "cluster_members",
    "get_cluster",
    "inbox_themes",
    "list_clusters",
    "lock_inbox",
    "merge_candidates",
    "merge_clusters",
    "query_from",
    "place",
    "retitle",
    "split_forward",
    "waiting_days",
]
