"""Incremental clustering of an upward inbox whose index lives in a store (the database).

The method, its similarity and its thresholds are those of
:mod:`participate.core.clustering` (read its docstring): the same tokenizer and theme
keys, sublinear TF-IDF with the inbox's document frequencies, cosine similarity with
each cluster's centroid blended with the theme cosine, candidates found through the
proposal's rarest features, the join thresholds, bridging merges at
``MERGE_THRESHOLD`` that never cross a clerk's cannot-link, and a rescan of a cluster's
own candidates each time its size passes a power of two. The thresholds are read from
that module at call time, so tuning them there tunes this too.

What differs is where the index is kept. :class:`participate.core.clustering.ClusterIndex`
holds every proposal's vector in memory and is rebuilt from the persisted keys when a
process starts: with 100,000 forwarded proposals that is seconds of work and hundreds
of megabytes in every server process. Here the state an assignment needs is in a
:class:`Store`, which the app implements with a few indexed tables:

- document frequency of each feature (word, or ``#tag`` for a theme) and the inbox size;
- for each cluster: its size and the squared norms of its text and theme sums;
- for each (cluster, feature): the sum of its members' weights, and how many members
  hold it (the inverted index: which clusters hold a feature, and how many clusters).

So an assignment costs a handful of indexed reads and writes, whatever the inbox size,
every server process shares one index and nothing is rebuilt at start.
:class:`MemoryStore` is the same store in memory (tests, benchmarks, batch seeding).

A proposal's vector is fixed when it arrives (weights from the document frequencies at
that moment, as in ``ClusterIndex``); it is kept with the row so that a clerk's split
can take exactly it out of its cluster again.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from participate.core import clustering as C

Key = int
ItemId = Hashable
Vector = dict[str, float]  # features: "word" for text, "#tag" for a theme

TAG = "#"
FEATURE_MAX = 80  # longest feature kept (the database column's width)


# ---------------------------------------------------------------------------
# Vectors
# ---------------------------------------------------------------------------


def features(title: str, body: str = "", themes: Iterable[str] = ()) -> Counter[str]:
    """Term counts of a proposal: title words count ``TITLE_WEIGHT`` times, body words
    once (``clustering.tokenize``); each theme tag is one ``#key`` feature."""
    counts: Counter[str] = Counter()
    for word in C.tokenize(title or ""):
        counts[word[:FEATURE_MAX]] += C.TITLE_WEIGHT
    for word in C.tokenize(body or ""):
        counts[word[:FEATURE_MAX]] += 1
    for tag in themes or ():
        key = C.theme_key(str(tag))
        if key:
            counts[(TAG + key)[:FEATURE_MAX]] += 1
    return counts


def is_tag(feature: str) -> bool:
    return feature.startswith(TAG)


def weigh(counts: Mapping[str, int], df: Mapping[str, int], n: int) -> Vector:
    """Sublinear TF-IDF, text and theme parts each scaled to unit length."""
    text: Vector = {}
    theme: Vector = {}
    for f, tf in counts.items():
        w = (1.0 + math.log(tf)) * (1.0 + math.log((n + 1) / (df.get(f, 0) + 1)))
        (theme if is_tag(f) else text)[f] = w
    out: Vector = {}
    for part in (text, theme):
        norm = math.sqrt(sum(w * w for w in part.values()))
        if norm:
            out.update({f: w / norm for f, w in part.items()})
    return out


def split_norms(vector: Mapping[str, float]) -> tuple[float, float]:
    """Squared norms of the text part and the theme part of a vector."""
    text = theme = 0.0
    for f, w in vector.items():
        if is_tag(f):
            theme += w * w
        else:
            text += w * w
    return text, theme


def blend(text: float, theme: float | None) -> float:
    """Text cosine and theme cosine combined; text alone when one side has no tags."""
    if theme is None:
        return text
    return (1 - C.THEME_WEIGHT) * text + C.THEME_WEIGHT * theme


def threshold(size: int) -> float:
    """The similarity a cluster of ``size`` proposals needs to take a new one."""
    return C.JOIN_THRESHOLD_SINGLE if size <= 1 else C.JOIN_THRESHOLD


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------


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


def _share(feature: str) -> float:
    return C.THEME_WEIGHT if is_tag(feature) else 1 - C.THEME_WEIGHT


def candidates(
    store: Store, vector: Mapping[str, float], *, rarest: bool = True, limit: int | None = None
) -> list[Key]:
    """Clusters worth an exact comparison with ``vector``, in key order: reached through
    up to ``CANDIDATE_TERMS`` of its features (the rarest, or the heaviest), each held by
    at most ``MAX_POSTINGS`` clusters; the best ``limit`` by the part of the dot product
    those features give, scaled by the cluster's text norm."""
    limit = C.CANDIDATE_LIMIT if limit is None else limit
    post = store.postings(vector.keys())
    found = []
    for f, w in vector.items():
        n = post.get(f, 0)
        if n and n <= C.MAX_POSTINGS:
            found.append((n if rarest else -w * _share(f), f, w * _share(f)))
    found.sort()
    return store.best([(f, w) for _rank, f, w in found[: C.CANDIDATE_TERMS]], limit)


def rank_partial(
    partial: Mapping[Key, float], text_sq: Mapping[Key, float], limit: int
) -> list[Key]:
    """The candidate rule of :meth:`Store.best` over computed partial scores."""
    if len(partial) <= limit:
        return sorted(partial)
    ranked = sorted(partial, key=lambda k: (-partial[k] / math.sqrt(text_sq[k] or 1.0), k))
    return sorted(ranked[:limit])


def similarity(dot: tuple[float, float], vector_has_theme: bool, state: ClusterState) -> float:
    """Cosine of a proposal with a cluster's centroid, text and themes blended."""
    text = dot[0] / math.sqrt(state.text_sq) if state.has_text else 0.0
    if not vector_has_theme or not state.has_theme:
        return text
    return blend(text, dot[1] / math.sqrt(state.theme_sq))


def affinity(store: Store, a: Key, b: Key, states: Mapping[Key, ClusterState]) -> float:
    """Cosine of two clusters' centroids, text and themes blended."""
    sa, sb = states[a], states[b]
    text_dot, theme_dot = store.centroid_dot(a, b)
    text = text_dot / math.sqrt(sa.text_sq * sb.text_sq) if sa.has_text and sb.has_text else 0.0
    if not sa.has_theme or not sb.has_theme:
        return text
    return blend(text, theme_dot / math.sqrt(sa.theme_sq * sb.theme_sq))


def _conflict(store: Store, cons: C.Constraints, a: Key, b: Key) -> bool:
    pinned = cons.pinned
    if not pinned:
        return False
    in_a = store.members(a, pinned)
    if not in_a:
        return False
    in_b = store.members(b, pinned)
    return bool(in_b) and cons.conflict(in_a, set(in_b))


def _mergeable(store: Store, cons: C.Constraints, a: Key, b: Key) -> bool:
    if a == b:
        return False
    states = store.states([a, b])
    if a not in states or b not in states:
        return False
    if affinity(store, a, b, states) < C.MERGE_THRESHOLD:
        return False
    return not _conflict(store, cons, a, b)


def _join(store: Store, a: Key, b: Key) -> Key:
    keep, gone = (a, b) if a < b else (b, a)
    store.absorb(keep, gone)
    return keep


def assign(
    store: Store,
    item: ItemId,
    counts: Mapping[str, int],
    constraints: C.Constraints | None = None,
) -> Placement:
    """Place one new proposal (its :func:`features`) without re-clustering the inbox.

    It joins the most similar candidate cluster that reaches the join threshold (and
    that no cannot-link keeps it from), else founds a cluster. Other clusters it also
    reaches are merged into its cluster when the two centroids are close enough; when
    the cluster's size passes a power of two, its centroid looks for such clusters too.
    """
    cons = constraints if constraints is not None else C.Constraints()
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


def rescan(store: Store, cons: C.Constraints, home: Key, absorbed: list[Key]) -> Key:
    """Merge into ``home`` the clusters its centroid finds mergeable; return the
    surviving key and append the absorbed keys to ``absorbed``."""
    state = store.states([home])[home]
    unit: Vector = {}
    for f, w in store.heaviest(home, C.CANDIDATE_TERMS):
        sq = state.theme_sq if is_tag(f) else state.text_sq
        if sq > 1e-12:
            unit[f] = w / math.sqrt(sq)
    limit = getattr(C, "RESCAN_LIMIT", C.CANDIDATE_LIMIT)
    for other in candidates(store, unit, rarest=False, limit=limit):
        if other == home or not store.states([other]):
            continue
        if _mergeable(store, cons, home, other):
            absorbed.append(max(home, other))
            home = _join(store, home, other)
    return home


# ---------------------------------------------------------------------------
# Clerks' corrections (the constraints follow clustering.ClusterIndex.split / merge)
# ---------------------------------------------------------------------------


def split(
    store: Store, cons: C.Constraints, key: Key, item: ItemId, vector: Mapping[str, float]
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


def merge(store: Store, cons: C.Constraints, key_a: Key, key_b: Key) -> Key:
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
# The store in memory
# ---------------------------------------------------------------------------


class MemoryStore:
    """:class:`Store` in plain dicts: for tests, benchmarks and batch work."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        self.sums: dict[Key, Vector] = {}
        self.holders: dict[Key, Counter[str]] = {}
        self.member_lists: dict[Key, dict[ItemId, None]] = {}
        self.post: dict[str, set[Key]] = {}
        self.next_key = 1

    # reading
    def count_document(self, feats: Iterable[str]) -> tuple[dict[str, int], int]:
        feats = list(feats)
        self.df.update(feats)
        self.n += 1
        return {f: self.df[f] for f in feats}, self.n

    def postings(self, feats: Iterable[str]) -> dict[str, int]:
        return {f: len(self.post.get(f, ())) for f in feats}

    def best(self, weighted: Sequence[tuple[str, float]], limit: int) -> list[Key]:
        partial: dict[Key, float] = {}
        for f, w in weighted:
            for key in self.post.get(f, ()):
                partial[key] = partial.get(key, 0.0) + w * self.sums[key].get(f, 0.0)
        if len(partial) <= limit:
            return sorted(partial)
        states = self.states(partial)
        return rank_partial(partial, {k: st.text_sq for k, st in states.items()}, limit)

    def states(self, keys: Iterable[Key]) -> dict[Key, ClusterState]:
        out = {}
        for key in keys:
            if key in self.sums:
                text, theme = split_norms(self.sums[key])
                out[key] = ClusterState(len(self.member_lists[key]), text, theme)
        return out

    def dots(
        self, keys: Sequence[Key], vector: Mapping[str, float]
    ) -> dict[Key, tuple[float, float]]:
        out = {}
        for key in keys:
            total = self.sums[key]
            text = theme = 0.0
            for f, w in vector.items():
                v = total.get(f, 0.0)
                if is_tag(f):
                    theme += w * v
                else:
                    text += w * v
            out[key] = (text, theme)
        return out

    def centroid_dot(self, a: Key, b: Key) -> tuple[float, float]:
        return self.dots([b], self.sums[a])[b]

    def heaviest(self, key: Key, n: int) -> list[tuple[str, float]]:
        items = sorted(self.sums[key].items(), key=lambda fw: (-fw[1], fw[0]))
        text = [fw for fw in items if not is_tag(fw[0])][:n]
        theme = [fw for fw in items if is_tag(fw[0])][:n]
        return text + theme

    def members(self, key: Key, among: Iterable[ItemId] | None = None) -> list[ItemId]:
        found = list(self.member_lists.get(key, {}))
        if among is None:
            return found
        wanted = set(among)
        return [m for m in found if m in wanted]

    # writing
    def _add(self, key: Key, vector: Mapping[str, float], sign: int) -> None:
        total, held = self.sums[key], self.holders[key]
        for f, w in vector.items():
            total[f] = total.get(f, 0.0) + sign * w
            held[f] += sign
            if held[f] <= 0:
                del held[f]
                total.pop(f, None)
                self.post[f].discard(key)
            else:
                self.post.setdefault(f, set()).add(key)

    def create(self, item: ItemId, vector: Mapping[str, float]) -> Key:
        key = self.next_key
        self.next_key += 1
        self.sums[key], self.holders[key], self.member_lists[key] = {}, Counter(), {}
        self.attach(key, item, vector, (0.0, 0.0))
        return key

    def attach(
        self, key: Key, item: ItemId, vector: Mapping[str, float], dot: tuple[float, float]
    ) -> None:
        self.member_lists[key][item] = None
        self._add(key, vector, 1)

    def detach(self, key: Key, item: ItemId, vector: Mapping[str, float]) -> None:
        del self.member_lists[key][item]
        self._add(key, vector, -1)

    def absorb(self, keep: Key, gone: Key) -> None:
        for f, w in self.sums[gone].items():
            self.sums[keep][f] = self.sums[keep].get(f, 0.0) + w
            self.holders[keep][f] += self.holders[gone][f]
            self.post[f].discard(gone)
            self.post[f].add(keep)
        self.member_lists[keep].update(self.member_lists[gone])
        for table in (self.sums, self.holders, self.member_lists):
            del table[gone]  # type: ignore[attr-defined]

    def assignments(self) -> dict[ItemId, Key]:
        return {i: k for k, ms in self.member_lists.items() for i in ms}


def cluster_items(items: Iterable[Mapping[str, Any]], constraints: C.Constraints | None = None):
    """Assign ``items`` (mappings with id, title, body, themes) one by one into a
    :class:`MemoryStore`; returns ``(store, {id: key})``."""
    store = MemoryStore()
    for item in items:
        assign(
            store,
            item["id"],
            features(item.get("title", ""), item.get("body", ""), item.get("themes") or ()),
            constraints,
        )
    return store, store.assignments()
