"""Clusters of similar forwarded proposals in an upward inbox (DESIGN.md section 5).

The one clustering engine of the project: the app's inbox (its index in the database,
`participate.upward.store.SqlStore`), consultations' amendment groups and the
benchmarks all place proposals with :func:`assign` over a :class:`Store`;
:class:`participate.core.cluster_memory.MemoryStore` is the same store in plain dicts.

Similarity
----------
A proposal is a vector (:mod:`participate.core.text_features`): a unit text part
(stemmed words of title, body and subsidiarity statement, the title's character
n-grams, sublinear TF-IDF with the inbox's document frequencies at the moment it
arrived) and a unit theme part (its tags). Its similarity with a cluster is the cosine
of the text part with the cluster's text centroid, **strengthened** by the tags:

    similarity = text cosine * (1 + THEME_BOOST * theme cosine)

where the theme cosine is scaled by the tags' specificity (a tag nearly every proposal
carries counts for nearly nothing, :func:`~participate.core.text_features.specificity`).
So the same tags raise a textual match by at most ``THEME_BOOST`` (1.5) times itself,
and never make one: proposals that share tags but no words have similarity 0, and
"same theme tags *and* similar text" is what joins them. The same rule compares two
clusters' centroids.

Incremental assignment: :func:`assign`
--------------------------------------
No re-clustering. Each cluster keeps the sum of its members' vectors and the squared
norms of its text and theme parts; an inverted index maps each feature to the clusters
holding it. A new proposal is compared exactly only with candidate clusters reached
through its ``CANDIDATE_TERMS`` (12) rarest text features (tags find no candidates: they
cannot make a match), each held by at most ``MAX_POSTINGS`` (1,000) clusters, at most
``CANDIDATE_LIMIT`` (64) of them, ranked by the part of the cosine those features give.
It joins the most similar cluster if the similarity reaches ``JOIN_THRESHOLD_SINGLE``
(0.16) for a one-proposal cluster or ``JOIN_THRESHOLD`` (0.2) for a larger one (the cosine with the
centroid of several texts on one topic is higher than with any single one); otherwise
it founds a new cluster. Arrival order can split one topic into fragments, so two
repairs stay local: other clusters the new proposal also reaches are merged into its
cluster when the two centroids' similarity is at least ``MERGE_THRESHOLD`` (0.3); and when a
cluster's size passes a power of two, its centroid looks up its own candidates
(through its heaviest features, best ``RESCAN_LIMIT``) and merges those it is that
close to. Merges never cross a cannot-link, keep the older (smaller) key and are
reported in :class:`Placement`. All of this depends on sizes and contents only, so the
store acts the same in every process.

Clerks' corrections (:class:`~participate.core.cluster_constraints.Constraints`):
:func:`split` moves a proposal to a cluster of its own, kept apart from its former mates
by cannot-links; :func:`merge` joins two clusters for good with must-links.

Determinism: the same proposals in the same order give the same clusters and keys.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from participate.core.cluster_constraints import Constraints
from participate.core.text_features import (
    TAG,
    Vector,
    dot,
    features,
    idf,
    is_tag,
    split_norms,
    tokenize,
    unit,
    weigh,
)

__all__ = [
    "TAG",
    "ClusterState",
    "Constraints",
    "Placement",
    "Store",
    "assign",
    "features",
    "merge",
    "representative_title",
    "split",
    "split_norms",
    "weigh",
]

Key = int
ItemId = Hashable

THEME_BOOST = 1.5
JOIN_THRESHOLD_SINGLE = 0.16
JOIN_THRESHOLD = 0.2
MERGE_THRESHOLD = 0.3
CANDIDATE_TERMS = 12
MAX_POSTINGS = 1000
CANDIDATE_LIMIT = 64
RESCAN_LIMIT = 16


# ---------------------------------------------------------------------------
# Similarity
# ---------------------------------------------------------------------------


def boost(text: float, theme: float | None) -> float:
    """The text cosine strengthened by the theme cosine (text alone without tags)."""
    if theme is None or text <= 0.0:
        return max(text, 0.0)
    return text * (1.0 + THEME_BOOST * theme)


def threshold(size: int) -> float:
    """The similarity a cluster of ``size`` proposals needs to take a new one."""
    return JOIN_THRESHOLD_SINGLE if size <= 1 else JOIN_THRESHOLD


@dataclass
class ClusterState:
    size: int
    text_sq: float
    theme_sq: float

    @property
    def has_text(self) -> bool:
        return self.text_sq > 1e-12

    @property
    def has_theme(self) -> bool:
        return self.theme_sq > 1e-12


def similarity(dots: tuple[float, float], vector_has_theme: bool, state: ClusterState) -> float:
    """Similarity of a proposal with a cluster's centroid, from the dot products of its
    text and theme parts with the cluster's summed vector."""
    text = dots[0] / math.sqrt(state.text_sq) if state.has_text else 0.0
    if not vector_has_theme or not state.has_theme:
        return boost(text, None)
    return boost(text, dots[1] / math.sqrt(state.theme_sq))


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------


class Store(Protocol):
    """What :func:`assign`, :func:`split` and :func:`merge` need to read and write."""

    def count_document(self, feats: Iterable[str]) -> tuple[dict[str, int], int]:
        """Count one more proposal holding each of ``feats``; return their document
        frequencies and the inbox size, both including this proposal."""
        ...

    def postings(self, feats: Iterable[str]) -> dict[str, int]:
        """How many clusters hold each feature (0 if none)."""
        ...

    def best(self, weighted: Sequence[tuple[str, float]], limit: int) -> list[Key]:
        """The clusters holding one of the features, each scored by its partial dot
        product (the sum of weight x the cluster's summed weight of the feature); when
        there are more than ``limit``, the ``limit`` best by partial / sqrt(text_sq)
        (text_sq 0 counts as 1), ties to the smaller key; in key order.
        (:func:`rank_partial` is the rule in Python.)"""
        ...

    def states(self, keys: Iterable[Key]) -> dict[Key, ClusterState]: ...

    def dots(
        self, keys: Sequence[Key], vector: Mapping[str, float]
    ) -> dict[Key, tuple[float, float]]:
        """(text dot, theme dot) of ``vector`` with each cluster's summed vector."""
        ...

    def centroid_dot(self, a: Key, b: Key) -> tuple[float, float]:
        """(text dot, theme dot) of two clusters' summed vectors."""
        ...

    def heaviest(self, key: Key, n: int) -> list[tuple[str, float]]:
        """At least the ``n`` heaviest text features and ``n`` heaviest theme features of
        a cluster's summed vector, with their summed weights."""
        ...

    def create(self, item: ItemId, vector: Mapping[str, float]) -> Key:
        """A new cluster holding ``item`` alone; its key is larger than any before."""
        ...

    def attach(
        self, key: Key, item: ItemId, vector: Mapping[str, float], dot: tuple[float, float]
    ) -> None:
        """Add ``item`` (with ``vector``, whose dots with the cluster are ``dot``)."""
        ...

    def detach(self, key: Key, item: ItemId, vector: Mapping[str, float]) -> None:
        """Take ``item`` out of cluster ``key`` (which keeps at least one member)."""
        ...

    def absorb(self, keep: Key, gone: Key) -> None:
        """Move every member of ``gone`` into ``keep``; ``gone`` ceases to exist."""
        ...

    def members(self, key: Key, among: Iterable[ItemId] | None = None) -> list[ItemId]:
        """The members of a cluster (only those in ``among`` when given)."""
        ...


# ---------------------------------------------------------------------------
# Assignment
# ---------------------------------------------------------------------------


@dataclass
class Placement:
    """Where a new proposal went: ``cluster``; ``founded`` if it started it; ``absorbed``:
    clusters merged into ``cluster`` on the way (their members now belong to it)."""

    cluster: Key
    vector: Vector
    founded: bool = False
    absorbed: list[Key] = field(default_factory=list)


def candidates(
    store: Store, vector: Mapping[str, float], *, rarest: bool = True, limit: int | None = None
) -> list[Key]:
    """Clusters worth an exact comparison with ``vector``, in key order: reached through
    up to ``CANDIDATE_TERMS`` of its text features (the rarest, or the heaviest), each
    held by at most ``MAX_POSTINGS`` clusters; the best ``limit`` by the part of the dot
    product those features give, scaled by the cluster's text norm."""
    limit = CANDIDATE_LIMIT if limit is None else limit
    text = {f: w for f, w in vector.items() if not is_tag(f)}
    post = store.postings(text.keys())
    found = []
    for f, w in text.items():
        n = post.get(f, 0)
        if n and n <= MAX_POSTINGS:
            found.append((n if rarest else -w, f, w))
    found.sort()
    return store.best([(f, w) for _rank, f, w in found[:CANDIDATE_TERMS]], limit)


def rank_partial(
    partial: Mapping[Key, float], text_sq: Mapping[Key, float], limit: int
) -> list[Key]:
    """The candidate rule of :meth:`Store.best` over computed partial scores."""
    if len(partial) <= limit:
        return sorted(partial)
    ranked = sorted(partial, key=lambda k: (-partial[k] / math.sqrt(text_sq[k] or 1.0), k))
    return sorted(ranked[:limit])


def affinity(store: Store, a: Key, b: Key, states: Mapping[Key, ClusterState]) -> float:
    """Similarity of two clusters' centroids (text cosine strengthened by the themes)."""
    sa, sb = states[a], states[b]
    text_dot, theme_dot = store.centroid_dot(a, b)
    text = text_dot / math.sqrt(sa.text_sq * sb.text_sq) if sa.has_text and sb.has_text else 0.0
    if not sa.has_theme or not sb.has_theme:
        return boost(text, None)
    # The cosine of the theme sums, times how specific the two clusters' tags are (the
    # length of a theme sum over the cluster's size: at most its members' mean specificity).
    strength = math.sqrt(math.sqrt(sa.theme_sq) / sa.size * math.sqrt(sb.theme_sq) / sb.size)
    return boost(text, min(1.0, strength) * theme_dot / math.sqrt(sa.theme_sq * sb.theme_sq))


def _conflict(store: Store, cons: Constraints, a: Key, b: Key) -> bool:
    pinned = cons.pinned
    if not pinned:
        return False
    in_a = store.members(a, pinned)
    if not in_a:
        return False
    in_b = store.members(b, pinned)
    return bool(in_b) and cons.conflict(in_a, set(in_b))


def _mergeable(store: Store, cons: Constraints, a: Key, b: Key) -> bool:
    if a == b:
        return False
    states = store.states([a, b])
    if a not in states or b not in states:
        return False
    if affinity(store, a, b, states) < MERGE_THRESHOLD:
        return False
    return not _conflict(store, cons, a, b)


def _join(store: Store, a: Key, b: Key) -> Key:
    keep, gone = (a, b) if a < b else (b, a)
    store.absorb(keep, gone)
    return keep


def assign(
    store: Store,
    item: ItemId,
    counts: Mapping[str, float],
    constraints: Constraints | None = None,
) -> Placement:
    """Place one new proposal (its :func:`features`) without re-clustering the inbox.

    It joins the most similar candidate cluster that reaches the join threshold (and
    that no cannot-link keeps it from), else founds a cluster. Other clusters it also
    reaches are merged into its cluster when the two centroids are close enough; when
    the cluster's size passes a power of two, its centroid looks for such clusters too.
    """
    cons = constraints if constraints is not None else Constraints()
    df, n = store.count_document(counts.keys())
    vector = weigh(counts, df, n)
    has_theme = any(is_tag(f) for f in vector)
    keys = candidates(store, vector)
    states = store.states(keys)
    dots = store.dots(keys, vector) if keys else {}
    pinned = cons.pinned
    scored = []
    for key in keys:
        sim = similarity(dots.get(key, (0.0, 0.0)), has_theme, states[key])
        if sim < threshold(states[key].size):
            continue
        if item in pinned and cons.conflict([item], set(store.members(key, pinned))):
            continue
        scored.append((-sim, key))
    if not scored:
        return Placement(store.create(item, vector), vector, founded=True)
    scored.sort()
    home = scored[0][1]
    size_before = states[home].size
    store.attach(home, item, vector, dots[home])
    absorbed: list[Key] = []
    for _neg, key in scored[1:]:
        if _mergeable(store, cons, home, key):
            absorbed.append(max(home, key))
            home = _join(store, home, key)
    size_after = store.states([home])[home].size
    if size_after.bit_length() > size_before.bit_length():
        home = rescan(store, cons, home, absorbed)
    return Placement(home, vector, absorbed=sorted(absorbed))


def rescan(store: Store, cons: Constraints, home: Key, absorbed: list[Key]) -> Key:
    """Merge into ``home`` the clusters its centroid finds mergeable; return the
    surviving key and append the absorbed keys to ``absorbed``."""
    state = store.states([home])[home]
    centroid: Vector = {}
    for f, w in store.heaviest(home, CANDIDATE_TERMS):
        sq = state.theme_sq if is_tag(f) else state.text_sq
        if sq > 1e-12:
            centroid[f] = w / math.sqrt(sq)
    for other in candidates(store, centroid, rarest=False, limit=RESCAN_LIMIT):
        if other == home or not store.states([other]):
            continue
        if _mergeable(store, cons, home, other):
            absorbed.append(max(home, other))
            home = _join(store, home, other)
    return home


# ---------------------------------------------------------------------------
# Clerks' corrections
# ---------------------------------------------------------------------------


def split(
    store: Store, cons: Constraints, key: Key, item: ItemId, vector: Mapping[str, float]
) -> Key:
    """Move ``item`` out of cluster ``key`` into a new cluster of its own, kept apart
    from every proposal it was grouped with (cannot-links); its must-links are dropped.
    Returns the new key (``key`` itself if the item was alone)."""
    mates = [m for m in store.members(key) if m != item]
    cons.release(item)
    for mate in mates:
        cons.separate(item, mate)
    if not mates:
        return key
    store.detach(key, item, vector)
    return store.create(item, vector)


def merge(store: Store, cons: Constraints, key_a: Key, key_b: Key) -> Key:
    """Move every proposal of cluster ``key_b`` into ``key_a`` for good: cannot-links
    between the two are lifted and must-links hold the merged group together."""
    if key_a == key_b:
        return key_a
    a_members = store.members(key_a)
    b_members = store.members(key_b)
    in_a = set(a_members)
    for x in b_members:
        for y in cons.separated(x) & in_a:
            cons.unseparate(x, y)
    store.absorb(key_a, key_b)
    groups = cons.groups([*a_members, *b_members])
    anchor = groups[0][0]
    for group in groups[1:]:
        cons.link(anchor, group[0])
    return key_a


# ---------------------------------------------------------------------------
# Presentation
# ---------------------------------------------------------------------------


def item_features(item: Mapping[str, Any]) -> dict[str, float]:
    """:func:`features` of a mapping with title, body, subsidiarity (or statement), themes."""
    themes = item.get("themes") or ()
    if isinstance(themes, str):
        themes = (themes,)
    return features(
        str(item.get("title") or ""),
        str(item.get("body") or ""),
        [str(t) for t in themes],
        str(item.get("subsidiarity") or item.get("statement") or ""),
    )


def representative_title(
    items: Iterable[Mapping[str, Any]], df: Mapping[str, int] | None = None, n: int = 0
) -> str:
    """The title closest to the cluster's centroid (earliest wins a tie), ``""`` if none.

    The centroid is the mean of the proposals' word vectors; titles are compared as
    vectors of their own words. With the inbox's document frequencies ``df`` over ``n``
    proposals, words are weighted by IDF, so a title naming what sets the cluster apart
    beats a generic one."""
    rows = list(items)
    if not rows:
        return ""

    def vector(counts: Mapping[str, int]) -> Vector:
        weight = (lambda t: idf(df.get(t, 0), n)) if df is not None else (lambda _t: 1.0)
        return unit({t: (1.0 + math.log(c)) * weight(t) for t, c in counts.items()})

    centroid: Vector = {}
    for row in rows:
        words = Counter(tokenize(str(row.get("title") or "")) * 2)
        words.update(tokenize(str(row.get("body") or "")))
        for t, w in vector(words).items():
            centroid[t] = centroid.get(t, 0.0) + w
    scores = [dot(vector(Counter(tokenize(str(r.get("title") or "")))), centroid) for r in rows]
    best = max(range(len(rows)), key=lambda k: (scores[k], -k))
    return str(rows[best].get("title") or "")
