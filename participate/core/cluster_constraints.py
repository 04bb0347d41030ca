"""Clerks' corrections to an inbox's clusters, kept as constraints between proposals.

Persisted as JSON ``{"must_link": [[id, id], ...], "cannot_link": [[id, id], ...]}``
(the ``constraints`` of an upward inbox). A pair is never both: the later correction
replaces the earlier. :mod:`participate.core.clustering` never joins or merges across a
cannot-link, and a clerk's merge adds must-links that hold the merged group together.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Any

ItemId = Hashable

MUST = "must_link"
CANNOT = "cannot_link"


def _pair(a: ItemId, b: ItemId) -> frozenset[ItemId]:
    return frozenset((a, b))


class Constraints:
    """Clerks' corrections: pairs of proposals that must / cannot share a cluster.

    Persist with :meth:`to_dict` (plain JSON, ``{"must_link": [[id, id], ...],
    "cannot_link": [[id, id], ...]}`` in the order the pairs were made) and
    restore with :meth:`from_dict`. A pair is in at most one of the two lists:
    the later correction replaces the earlier one.
    """

    def __init__(self) -> None:
        self._pairs: dict[str, dict[frozenset[ItemId], tuple[ItemId, ItemId]]] = {
            MUST: {},
            CANNOT: {},
        }
        self._adjacent: dict[str, dict[ItemId, set[ItemId]]] = {MUST: {}, CANNOT: {}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Constraints:
        out = cls()
        for a, b in (data or {}).get(MUST, ()):
            out.link(a, b)
        for a, b in (data or {}).get(CANNOT, ()):
            out.separate(a, b)
        return out

    def to_dict(self) -> dict[str, list[list[ItemId]]]:
        return {kind: [list(p) for p in pairs.values()] for kind, pairs in self._pairs.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Constraints):
            return NotImplemented
        return all(self._pairs[k].keys() == other._pairs[k].keys() for k in (MUST, CANNOT))

    def __len__(self) -> int:
        return len(self._pairs[MUST]) + len(self._pairs[CANNOT])

    def _add(self, kind: str, a: ItemId, b: ItemId) -> None:
        if a == b:
            return
        self._drop(MUST if kind == CANNOT else CANNOT, a, b)
        if _pair(a, b) not in self._pairs[kind]:
            self._pairs[kind][_pair(a, b)] = (a, b)
            self._adjacent[kind].setdefault(a, set()).add(b)
            self._adjacent[kind].setdefault(b, set()).add(a)

    def _drop(self, kind: str, a: ItemId, b: ItemId) -> None:
        if self._pairs[kind].pop(_pair(a, b), None) is None:
            return
        for x, y in ((a, b), (b, a)):
            partners = self._adjacent[kind][x]
            partners.discard(y)
            if not partners:
                del self._adjacent[kind][x]

    def link(self, a: ItemId, b: ItemId) -> None:
        """``a`` and ``b`` must share a cluster (replaces a cannot-link between them)."""
        self._add(MUST, a, b)

    def separate(self, a: ItemId, b: ItemId) -> None:
        """``a`` and ``b`` cannot share a cluster (replaces a must-link between them)."""
        self._add(CANNOT, a, b)

    def unseparate(self, a: ItemId, b: ItemId) -> None:
        self._drop(CANNOT, a, b)

    def linked(self, item_id: ItemId) -> set[ItemId]:
        """The proposals ``item_id`` has a must-link with."""
        return set(self._adjacent[MUST].get(item_id, ()))

    def separated(self, item_id: ItemId) -> set[ItemId]:
        """The proposals ``item_id`` has a cannot-link with."""
        return set(self._adjacent[CANNOT].get(item_id, ()))

    def cannot(self, a: ItemId, b: ItemId) -> bool:
        return _pair(a, b) in self._pairs[CANNOT]

    def must(self, a: ItemId, b: ItemId) -> bool:
        return _pair(a, b) in self._pairs[MUST]

    @property
    def pinned(self) -> set[ItemId]:
        """Every proposal a clerk's correction names."""
        return set(self._adjacent[MUST]) | set(self._adjacent[CANNOT])

    def conflict(self, group_a: Iterable[ItemId], group_b: Collection[ItemId]) -> bool:
        """Whether some proposal of ``group_a`` cannot share a cluster with one of ``group_b``."""
        adjacent = self._adjacent[CANNOT]
        if not adjacent:
            return False
        return any(not adjacent[x].isdisjoint(group_b) for x in group_a if x in adjacent)

    def release(self, item_id: ItemId) -> None:
        """Drop the must-links of ``item_id``, keeping its partners linked to each other."""
        partners = sorted(self.linked(item_id), key=repr)
        for other in partners:
            self._drop(MUST, item_id, other)
        for a, b in zip(partners, partners[1:], strict=False):
            self.link(a, b)

    def groups(self, ids: Iterable[ItemId]) -> list[list[ItemId]]:
        """``ids`` partitioned into must-link groups (links to other ids are ignored);
        each group in the order of ``ids``, groups ordered by their first member."""
        order = list(dict.fromkeys(ids))
        position = {i: n for n, i in enumerate(order)}
        parent = list(range(len(order)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in self._pairs[MUST].values():
            if a in position and b in position:
                ra, rb = find(position[a]), find(position[b])
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        grouped: dict[int, list[ItemId]] = {}
        for n, i in enumerate(order):
            grouped.setdefault(find(n), []).append(i)
        return list(grouped.values())
