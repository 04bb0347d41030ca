"""The clustering engine's store in plain dicts: consultations' amendment groups (a few
dozen texts, rebuilt per request), tests and benchmarks.

:class:`MemoryStore` implements :class:`participate.core.clustering.Store` exactly as the
database store does, so the same proposals in the same order get the same clusters in
memory and in the inbox. :func:`restore` rebuilds one from persisted cluster keys;
:func:`cluster_items` assigns a list of proposals one by one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from participate.core.cluster_constraints import Constraints
from participate.core.clustering import (
    ClusterState,
    Key,
    assign,
    item_features,
    rank_partial,
)
from participate.core.text_features import Vector, is_tag, split_norms, weigh

ItemId = Hashable


class MemoryStore:
    """:class:`participate.core.clustering.Store` in plain dicts. It also keeps each
    proposal's vector (:attr:`vectors`), which a clerk's split takes out again."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        self.sums: dict[Key, Vector] = {}
        self.holders: dict[Key, Counter[str]] = {}
        self.member_lists: dict[Key, dict[ItemId, None]] = {}
        self.post: dict[str, set[Key]] = {}
        self.vectors: dict[ItemId, Vector] = {}
        self.next_key = 1
        self._norms: dict[Key, tuple[float, float]] = {}  # cache, dropped on change

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
                if key not in self._norms:
                    self._norms[key] = split_norms(self.sums[key])
                text, theme = self._norms[key]
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

    def assignments(self) -> dict[ItemId, Key]:
        """``{item: cluster key}`` for every proposal."""
        return {i: k for k, ms in self.member_lists.items() for i in ms}

    def clusters(self) -> dict[Key, list[ItemId]]:
        """Every cluster's members, in key order."""
        return {k: list(self.member_lists[k]) for k in sorted(self.member_lists)}

    # writing
    def _add(self, key: Key, vector: Mapping[str, float], sign: int) -> None:
        total, held = self.sums[key], self.holders[key]
        self._norms.pop(key, None)
        for f, w in vector.items():
            total[f] = total.get(f, 0.0) + sign * w
            held[f] += sign
            if held[f] <= 0:
                del held[f]
                total.pop(f, None)
                self.post[f].discard(key)
            else:
                self.post.setdefault(f, set()).add(key)

    def create(self, item: ItemId, vector: Mapping[str, float], key: Key | None = None) -> Key:
        """A new cluster holding ``item``: the next key, or ``key`` (restoring one)."""
        if key is None:
            key = self.next_key
        if key in self.sums:
            raise ValueError(f"cluster {key!r} already exists")
        self.next_key = max(self.next_key, key + 1)
        self.sums[key], self.holders[key], self.member_lists[key] = {}, Counter(), {}
        self.attach(key, item, vector, (0.0, 0.0))
        return key

    def attach(
        self, key: Key, item: ItemId, vector: Mapping[str, float], dot: tuple[float, float]
    ) -> None:
        self.member_lists[key][item] = None
        self.vectors[item] = dict(vector)
        self._add(key, vector, 1)

    def detach(self, key: Key, item: ItemId, vector: Mapping[str, float]) -> None:
        del self.member_lists[key][item]
        self._add(key, vector, -1)

    def absorb(self, keep: Key, gone: Key) -> None:
        self._norms.pop(keep, None)
        self._norms.pop(gone, None)
        for f, w in self.sums[gone].items():
            self.sums[keep][f] = self.sums[keep].get(f, 0.0) + w
            self.holders[keep][f] += self.holders[gone][f]
            self.post[f].discard(gone)
            self.post[f].add(keep)
        self.member_lists[keep].update(self.member_lists[gone])
        del self.sums[gone], self.holders[gone], self.member_lists[gone]


def _distinct(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    rows = list(items)
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("each proposal may be placed once: the ids repeat")
    return rows


def restore(
    items: Iterable[Mapping[str, Any]],
    keys: Mapping[ItemId, Key],
    constraints: Constraints | None = None,
) -> MemoryStore:
    """A store over ``items`` (mappings with id, title, body, themes), taken in order:
    an item with a persisted key goes straight into that cluster, weighed with the
    document frequencies of its arrival as :func:`assign` would have; an item without
    one is assigned. New clusters then take keys above every persisted one."""
    store = MemoryStore()
    for item in _distinct(items):
        counts = item_features(item)
        key = keys.get(item["id"])
        if key is None:
            assign(store, item["id"], counts, constraints)
            continue
        df, n = store.count_document(counts.keys())
        vector = weigh(counts, df, n)
        if key in store.sums:
            store.attach(key, item["id"], vector, (0.0, 0.0))
        else:
            store.create(item["id"], vector, key)
    return store


def cluster_items(
    items: Iterable[Mapping[str, Any]], constraints: Constraints | None = None
) -> tuple[MemoryStore, dict[ItemId, Key]]:
    """Assign ``items`` (mappings with id, title, body, subsidiarity, themes) one by one
    into a new :class:`MemoryStore`; returns ``(store, {id: key})``."""
    store = MemoryStore()
    for item in _distinct(items):
        assign(store, item["id"], item_features(item), constraints)
    return store, store.assignments()
