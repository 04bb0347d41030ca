"""Clusters of similar forwarded proposals in a council's upward inbox (DESIGN.md section 5).

Plain data in, plain data out: proposals are :class:`Proposal` or mappings with
``id``, ``title``, ``body`` and ``themes`` (tag strings); cluster keys are ints.

Similarity
----------
Each proposal becomes two sparse unit vectors:

- **text**: title and body :func:`tokenize`-d (lower case, accents and
  apostrophes dropped, ``A&E`` -> ``ae``, English and council-boilerplate stop
  words removed, a light suffix stemmer: plurals, ``-ing``/``-ed``/``-er``, a
  final ``e``, ``-ize`` -> ``-ise``), title words counted ``TITLE_WEIGHT`` (2)
  times, weighted by sublinear TF-IDF ``(1 + ln tf) * (1 + ln((N + 1) / (df + 1)))``;
- **themes**: one feature per tag (:func:`theme_key`), IDF-weighted the same way.

``similarity = (1 - THEME_WEIGHT) * cos(text) + THEME_WEIGHT * cos(themes)``
with ``THEME_WEIGHT`` = 0.25 (text alone when one side has no tags). A shared
rare tag is a strong signal, a shared common tag (``rural``, ``schools``) a weak
one, and text alone can still group proposals that councils tagged differently.

Full clustering: :func:`cluster_all`
------------------------------------
A k-nearest-neighbour similarity graph in networkx: each proposal is linked to
its ``NEIGHBOURS`` (4) most similar proposals whose similarity is at least
``EDGE_THRESHOLD`` (0.1), edges weighted by similarity. Candidate pairs come from
an inverted index (feature -> proposals), so proposals sharing no word or tag
are never compared; a feature held by more than ``BATCH_MAX_DF`` (500)
proposals is left out (its IDF is low and it would make the work quadratic).
Clusters are the graph's Louvain communities (``RESOLUTION`` 6, fixed seed):
plain connected components chain neighbouring topics together through one
ambiguous proposal, and Louvain at the default resolution 1 merges small topics.
A high resolution may instead cut a large, uniform topic into pieces, so the
communities are then consolidated the way the incremental index does it
(below): two clusters whose centroids reach ``MERGE_THRESHOLD`` are joined. The
cost grows with the number of proposals times the postings of their features:
about 1 s for 2,000 proposals and 10 s for 10,000 on one core, so a full
recluster of a very large inbox belongs in a background job, while
:func:`assign` keeps it current.

Incremental assignment: :func:`assign`
--------------------------------------
No re-clustering. Each cluster keeps the sum of its members' vectors (its
centroid, up to scale) and that sum's squared norm; an inverted index maps each
word and tag to the clusters holding it. A new proposal is compared exactly
only with candidate clusters reached through its ``CANDIDATE_TERMS`` (12)
rarest features (a feature in more than ``MAX_POSTINGS`` (1,000) clusters is
not used to find candidates, and no more than ``POSTINGS_BUDGET`` (1,500)
postings are read), at most ``CANDIDATE_LIMIT`` (64) of them, ranked by the
part of the cosine those features give. It joins the most similar
cluster if the cosine with its centroid reaches ``JOIN_THRESHOLD_SINGLE``
(0.16) for a one-proposal cluster or ``JOIN_THRESHOLD`` (0.2) for a larger one
(the cosine with the centroid of several texts on one topic is higher than with
any single one); otherwise it founds a new cluster. Arrival order can split
one topic into fragments, so two repairs stay local: other clusters the new
proposal also reaches the threshold for are merged into its cluster when the
two centroids' similarity is at least ``MERGE_THRESHOLD`` (0.3); and when a
cluster's size passes a power of two, its centroid looks up its own candidates
(through its ``CANDIDATE_TERMS`` heaviest features, best ``RESCAN_LIMIT`` (16))
and merges those it is that close to. Merges never cross a cannot-link, keep the
older (smaller) key and are reported in :class:`Placement`, so the caller can
re-key the absorbed rows. All of this depends on sizes and contents only, so an
index restored from persisted keys acts exactly like the one that wrote them.
The cost depends on the proposal's length and on how many clusters share its
rare words, not on the inbox size: well under a millisecond typically with
100,000 proposals indexed, a few milliseconds with 5,000 clusters
(``bench/wl_clustering.py``).

Clerks' corrections
-------------------
Kept as constraints between proposals (:class:`Constraints`, persisted as JSON
``{"must_link": [[id, id], ...], "cannot_link": [[id, id], ...]}``):

- ``index.split(item)`` moves a proposal to a cluster of its own and adds a
  cannot-link between it and each proposal it was grouped with (its own
  must-links are dropped, its partners stay linked to each other);
- ``index.merge(a, b)`` moves cluster ``b`` into ``a`` and adds must-links that
  hold the whole merged group together; cannot-links between the two go.

A pair is never both: the later correction replaces the earlier. Incremental
assignment never joins or merges across a cannot-link, so a split proposal is
not put back; merged clusters are only ever joined, never separated. A full
:func:`cluster_all` contracts each must-link group into one node before
community detection and then divides any community holding a cannot-link pair.
The proposals named in constraints are :attr:`Constraints.pinned`.

Determinism
-----------
The same proposals in the same order give the same clusters and keys: new
clusters take the next integer key, so keys follow the order clusters were
founded; :func:`cluster_all` numbers clusters by their first proposal, or keeps
the persisted keys with ``previous=``.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import networkx as nx

ItemId = Hashable
ClusterKey = int
Vector = dict[str, float]

TITLE_WEIGHT = 2
THEME_WEIGHT = 0.25
# full clustering
EDGE_THRESHOLD = 0.1
NEIGHBOURS = 4
RESOLUTION = 6.0
LOUVAIN_SEED = 20240601
BATCH_MAX_DF = 500
# incremental assignment
JOIN_THRESHOLD_SINGLE = 0.16
JOIN_THRESHOLD = 0.2
MERGE_THRESHOLD = 0.3
CANDIDATE_TERMS = 12
MAX_POSTINGS = 1000
POSTINGS_BUDGET = 1500
CANDIDATE_LIMIT = 64
RESCAN_LIMIT = 16

MUST = "must_link"
CANNOT = "cannot_link"

# fmt: off
STOP_WORDS = frozenset("""
a about above after again against all almost also am an and any are aren around as at
be because been before being below between both but by can cannot could couldn did
didn do does doesn doing don down during each either else enough even ever every few
for from further get gets getting give given go goes going got had hadn has hasn have
haven having he her here hers herself him himself his how however i if in into is
isn it its itself just least less let like made make makes making many may me might
more most much must mustn my myself need needs neither no nor not now of off often on
once one only or other others our ours ourselves out over own per please put quite
rather really same say says shall she should shouldn since so some still such than
that the their theirs them themselves then there these they this those though through
thus to too toward towards under until up upon us use used very via was wasn way we
well were weren what when where whether which while who whom whose why will with
within without won would wouldn yet you your yours yourself yourselves
ask asked asking asks council councils propose proposed proposes proposal
proposals request requests resident residents people person want wants new
""".split())
# fmt: on

# Spellings folded together before stemming (the UK form wins).
SPELLINGS = {
    "center": "centre",
    "centers": "centres",
    "program": "programme",
    "programs": "programmes",
    "color": "colour",
    "behavior": "behaviour",
    "neighbor": "neighbour",
    "neighborhood": "neighbourhood",
    "neighborhoods": "neighbourhoods",
    "labor": "labour",
    "pediatric": "paediatric",
    "mom": "mum",
    "moms": "mums",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")
_JOINERS = re.compile(r"['\u2019&]")


@dataclass(frozen=True)
class Proposal:
    """A forwarded proposal as the clustering sees it."""

    id: ItemId
    title: str
    body: str = ""
    themes: tuple[str, ...] = ()


ItemLike = Proposal | Mapping[str, Any]


def as_proposal(item: ItemLike) -> Proposal:
    """A :class:`Proposal` from a proposal or a mapping with id, title, body, themes."""
    if isinstance(item, Proposal):
        return item
    themes = item.get("themes") or ()
    if isinstance(themes, str):
        themes = (themes,)
    return Proposal(
        id=item["id"],
        title=str(item.get("title") or ""),
        body=str(item.get("body") or ""),
        themes=tuple(str(t) for t in themes),
    )


# ---------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, accents removed, ``'`` and ``&`` joined, other punctuation as spaces."""
    folded = text.lower()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _JOINERS.sub("", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light, predictable suffix stripper (not Porter): enough to fold plurals and
    verb forms of the same word together without merging unrelated words."""
    word = SPELLINGS.get(word, word)
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ization"):
        word = word[:-7] + "isation"
    elif word.endswith(("ize", "izes", "ized", "izing")):
        word = word.replace("iz", "is")
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed", "er"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if len(word) >= 5 and word.endswith("e"):
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """The stemmed content words of ``text``, in order (stop words and 1-letter words dropped)."""
    return [w for w in map(_content_word, normalise(text).split()) if w]


@lru_cache(maxsize=1 << 16)
def _content_word(word: str) -> str:
    """The stem of a normalised word, or ``""`` for a stop word or a single letter."""
    if len(word) < 2 or word in STOP_WORDS:
        return ""
    word = stem(word)
    return "" if word in STOP_WORDS else word


def theme_key(tag: str) -> str:
    """A theme tag in canonical form: ``"Mental health"`` and ``"mental-health"`` agree."""
    return "-".join(stem(w) for w in normalise(tag).split())


def _text_terms(p: Proposal) -> Counter[str]:
    terms: Counter[str] = Counter()
    for word in tokenize(p.title):
        terms[word] += TITLE_WEIGHT
    terms.update(tokenize(p.body))
    return terms


def _theme_terms(p: Proposal) -> Counter[str]:
    return Counter(k for k in (theme_key(t) for t in p.themes) if k)


def _idf(df: int, n: int) -> float:
    return 1.0 + math.log((n + 1) / (df + 1))


def _weigh(terms: Mapping[str, int], df: Mapping[str, int], n: int) -> Vector:
    vec = {t: (1.0 + math.log(tf)) * _idf(df.get(t, 0), n) for t, tf in terms.items()}
    norm = math.sqrt(sum(w * w for w in vec.values()))
    if norm == 0:
        return {}
    return {t: w / norm for t, w in vec.items()}


def _dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum([w * get(t, 0.0) for t, w in a.items()])


# ---------------------------------------------------------------------------
# Constraints
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Incremental index
# ---------------------------------------------------------------------------


class Placement(NamedTuple):
    """Where :func:`assign` put a new proposal.

    ``absorbed`` lists clusters the new proposal bridged into ``cluster``: every
    proposal that carried one of those keys now belongs to ``cluster``.
    """

    cluster: ClusterKey
    absorbed: tuple[ClusterKey, ...] = ()


class _Entry:
    __slots__ = ("cluster", "terms", "tags", "text", "theme")

    def __init__(self, terms: tuple[str, ...], tags: tuple[str, ...]) -> None:
        self.cluster: ClusterKey = -1
        self.terms = terms
        self.tags = tags
        self.text: Vector = {}
        self.theme: Vector = {}


class _Cluster:
    __slots__ = ("key", "members", "text", "text_sq", "theme", "theme_sq")

    def __init__(self, key: ClusterKey) -> None:
        self.key = key
        self.members: dict[ItemId, None] = {}
        self.text: Vector = {}
        self.text_sq = 0.0
        self.theme: Vector = {}
        self.theme_sq = 0.0


def _add_into(total: Vector, vec: Mapping[str, float], sign: float = 1.0) -> float:
    """Add ``sign * vec`` into ``total``; return the change of ``|total|^2``."""
    dot = 0.0
    square = 0.0
    for t, w in vec.items():
        old = total.get(t, 0.0)
        dot += old * w
        square += w * w
        new = old + sign * w
        if sign < 0 and abs(new) < 1e-9:
            total.pop(t, None)
        else:
            total[t] = new
    return 2 * sign * dot + square


def _blend(text: float, theme: float | None) -> float:
    # Without tags on one side, the text alone decides.
    if theme is None:
        return text
    return (1 - THEME_WEIGHT) * text + THEME_WEIGHT * theme


class ClusterIndex:
    """The inbox's clusters, kept up to date one proposal at a time.

    Build it with :func:`build_index`, then :func:`assign` each new proposal and
    :meth:`split` / :meth:`merge` for a clerk's corrections. :attr:`constraints`
    holds the corrections, to persist with ``constraints.to_dict()``.
    """

    def __init__(self, constraints: Constraints | None = None) -> None:
        self.constraints = constraints if constraints is not None else Constraints()
        self._entries: dict[ItemId, _Entry] = {}
        self._clusters: dict[ClusterKey, _Cluster] = {}
        self._df: Counter[str] = Counter()
        self._tag_df: Counter[str] = Counter()
        # word or tag -> {key: cluster} for every cluster whose sum holds it
        self._words: dict[str, dict[ClusterKey, _Cluster]] = {}
        self._tags: dict[str, dict[ClusterKey, _Cluster]] = {}
        self._next_key = 0

    # -- reading ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._entries

    def cluster_of(self, item_id: ItemId) -> ClusterKey:
        return self._entries[item_id].cluster

    def members(self, key: ClusterKey) -> list[ItemId]:
        """The proposals of cluster ``key``, in the order they joined it."""
        return list(self._clusters[key].members)

    def clusters(self) -> dict[ClusterKey, list[ItemId]]:
        """Every cluster's members, clusters in key order."""
        return {k: list(self._clusters[k].members) for k in sorted(self._clusters)}

    def assignments(self) -> dict[ItemId, ClusterKey]:
        """``{item id: cluster key}`` for every proposal, in the order they were added."""
        return {i: e.cluster for i, e in self._entries.items()}

    def idf(self, term: str) -> float:
        """The inverse document frequency of a (stemmed) term in this inbox."""
        return _idf(self._df.get(term, 0), len(self._entries))

    # -- building blocks -------------------------------------------------------

    def _entry_for(self, p: Proposal) -> _Entry:
        terms = _text_terms(p)
        tags = _theme_terms(p)
        entry = _Entry(tuple(terms), tuple(tags))
        self._df.update(entry.terms)
        self._tag_df.update(entry.tags)
        n = len(self._entries) + 1
        entry.text = _weigh(terms, self._df, n)
        entry.theme = _weigh(tags, self._tag_df, n)
        return entry

    def _new_cluster(self, key: ClusterKey | None = None) -> _Cluster:
        if key is None:
            key = self._next_key
        if key in self._clusters:
            raise ValueError(f"cluster {key!r} already exists")
        self._next_key = max(self._next_key, key + 1)
        cluster = _Cluster(key)
        self._clusters[key] = cluster
        return cluster

    def _attach(self, item_id: ItemId, entry: _Entry, cluster: _Cluster) -> None:
        entry.cluster = cluster.key
        cluster.members[item_id] = None
        cluster.text_sq += _add_into(cluster.text, entry.text)
        cluster.theme_sq += _add_into(cluster.theme, entry.theme)
        for postings, features in ((self._words, entry.text), (self._tags, entry.theme)):
            for f in features:
                postings.setdefault(f, {})[cluster.key] = cluster

    def _detach(self, item_id: ItemId, entry: _Entry) -> None:
        cluster = self._clusters[entry.cluster]
        del cluster.members[item_id]
        entry.cluster = -1
        _add_into(cluster.text, entry.text, -1.0)
        _add_into(cluster.theme, entry.theme, -1.0)
        if not cluster.members:
            cluster.text.clear()
            cluster.theme.clear()
            del self._clusters[cluster.key]
        # Recomputing the norms (not subtracting) keeps rounding from accumulating.
        cluster.text_sq = sum(w * w for w in cluster.text.values())
        cluster.theme_sq = sum(w * w for w in cluster.theme.values())
        # A feature leaves the postings when no member holds it any more, which is
        # when it leaves the cluster's sum.
        for postings, features, left in (
            (self._words, entry.text, cluster.text),
            (self._tags, entry.theme, cluster.theme),
        ):
            for f in features:
                if f not in left:
                    post = postings[f]
                    del post[cluster.key]
                    if not post:
                        del postings[f]

    def _absorb(self, into: _Cluster, other: _Cluster) -> None:
        """Move every member of ``other`` into ``into`` in time linear in ``other``."""
        for postings, features in ((self._words, other.text), (self._tags, other.theme)):
            for f in features:
                post = postings[f]
                del post[other.key]
                post[into.key] = into
        into.text_sq += other.text_sq + 2 * _dot(into.text, other.text)
        into.theme_sq += other.theme_sq + 2 * _dot(into.theme, other.theme)
        _add_into(into.text, other.text)
        _add_into(into.theme, other.theme)
        for item_id in other.members:
            self._entries[item_id].cluster = into.key
            into.members[item_id] = None
        del self._clusters[other.key]

    def _similarity(self, entry: _Entry, cluster: _Cluster) -> float:
        text = _dot(entry.text, cluster.text) / math.sqrt(cluster.text_sq) if cluster.text else 0.0
        if not entry.theme or not cluster.theme:
            return text
        return _blend(text, _dot(entry.theme, cluster.theme) / math.sqrt(cluster.theme_sq))

    def _affinity(self, a: _Cluster, b: _Cluster) -> float:
        """Cosine similarity of two clusters' centroids."""
        text = 0.0
        if a.text_sq > 0 and b.text_sq > 0:
            text = _dot(a.text, b.text) / math.sqrt(a.text_sq * b.text_sq)
        if not a.theme or not b.theme:
            return text
        return _blend(text, _dot(a.theme, b.theme) / math.sqrt(a.theme_sq * b.theme_sq))

    def _candidates(
        self, text: Vector, theme: Vector, rarest: bool = True, limit: int = CANDIDATE_LIMIT
    ) -> list[_Cluster]:
        """Clusters worth an exact comparison with a vector pair: found through up to
        ``CANDIDATE_TERMS`` of its features (the rarest, or the heaviest) while the
        postings read stay within ``POSTINGS_BUDGET``; the best ``limit`` by the part
        of the cosine those features give."""
        found: list[tuple[float, int, str, float, bool]] = []
        for features, postings, share, tag in (
            (text, self._words, 1 - THEME_WEIGHT, False),
            (theme, self._tags, THEME_WEIGHT, True),
        ):
            for t, w in features.items():
                size = len(postings.get(t, ()))
                if 0 < size <= MAX_POSTINGS:
                    found.append((size if rarest else -w * share, size, t, w * share, tag))
        found.sort()
        partial: dict[ClusterKey, float] = {}
        get = partial.get
        budget = POSTINGS_BUDGET
        for n, (_rank, size, term, weight, tag) in enumerate(found[:CANDIDATE_TERMS]):
            if n and size > budget:
                continue
            budget -= size
            if tag:
                for key, cluster in self._tags[term].items():
                    partial[key] = get(key, 0.0) + weight * cluster.theme[term]
            else:
                for key, cluster in self._words[term].items():
                    partial[key] = get(key, 0.0) + weight * cluster.text[term]
        clusters = self._clusters
        if len(partial) > limit:
            scores = {k: v / math.sqrt(clusters[k].text_sq or 1.0) for k, v in partial.items()}
            ranked = heapq.nsmallest(limit, scores, key=lambda k: (-scores[k], k))
            return [clusters[k] for k in sorted(ranked)]
        return [clusters[k] for k in sorted(partial)]

    def _mergeable(self, a: _Cluster, b: _Cluster) -> bool:
        if a is b or self._affinity(a, b) < MERGE_THRESHOLD:
            return False
        small, large = sorted((a, b), key=lambda c: len(c.members))
        return not self.constraints.conflict(small.members, large.members)

    def _join(self, a: _Cluster, b: _Cluster) -> _Cluster:
        """Merge two clusters into the older one (smaller key); return it."""
        keep, gone = (a, b) if a.key < b.key else (b, a)
        self._absorb(keep, gone)
        return keep

    @staticmethod
    def _threshold(size: int) -> float:
        # The cosine with the centroid of n texts on one topic grows with n, so a lone
        # proposal is joined on a lower score than a large cluster.
        return JOIN_THRESHOLD_SINGLE if size <= 1 else JOIN_THRESHOLD

    # -- changing --------------------------------------------------------------

    def assign(self, item: ItemLike) -> Placement:
        """Place one new proposal; see :func:`assign`."""
        p = as_proposal(item)
        if p.id in self._entries:
            raise ValueError(f"proposal {p.id!r} is already in the index")
        entry = self._entry_for(p)
        self._entries[p.id] = entry
        cons = self.constraints
        linked = sorted({self._entries[o].cluster for o in cons.linked(p.id) if o in self._entries})
        if linked:
            # A proposal restored with must-links goes where its partners are.
            home = self._clusters[linked[0]]
            self._attach(p.id, entry, home)
            for key in linked[1:]:
                home = self._join(home, self._clusters[key])
            return Placement(home.key, tuple(linked[1:]))
        scored = []
        for cluster in self._candidates(entry.text, entry.theme):
            sim = self._similarity(entry, cluster)
            if sim >= self._threshold(len(cluster.members)) and not cons.conflict(
                [p.id], cluster.members
            ):
                scored.append((-sim, cluster.key))
        if not scored:
            home = self._new_cluster()
            self._attach(p.id, entry, home)
            return Placement(home.key)
        scored.sort()
        home = self._clusters[scored[0][1]]
        size_before = len(home.members)
        self._attach(p.id, entry, home)
        absorbed = []
        # The new proposal may bridge clusters that are one topic split by arrival
        # order: join those whose centroids are close, unless a clerk said no.
        for _neg, key in scored[1:]:
            other = self._clusters[key]
            if self._mergeable(home, other):
                absorbed.append(max(home.key, other.key))
                home = self._join(home, other)
        if len(home.members).bit_length() > size_before.bit_length():
            # Each time a cluster passes a power of two, its centroid is sharper than
            # when its first members arrived: look again for fragments of its topic.
            # (Decided by size alone, so an index restored from persisted keys acts
            # exactly like the one that wrote them.)
            home = self._rescan(home, absorbed)
        return Placement(home.key, tuple(sorted(absorbed)))

    def _rescan(self, home: _Cluster, absorbed: list[ClusterKey]) -> _Cluster:
        """Merge into ``home`` the clusters its centroid finds mergeable; return the
        surviving cluster and append the absorbed keys to ``absorbed``."""
        text, theme = _unit(home.text), _unit(home.theme)
        for other in self._candidates(text, theme, rarest=False, limit=RESCAN_LIMIT):
            if self._clusters.get(other.key) is other and self._mergeable(home, other):
                absorbed.append(max(home.key, other.key))
                home = self._join(home, other)
        return home

    def consolidate(self) -> list[ClusterKey]:
        """Merge every pair of clusters whose centroids are mergeable (as :func:`assign`
        does locally), oldest clusters first; return the absorbed keys."""
        absorbed: list[ClusterKey] = []
        for key in sorted(self._clusters):
            cluster = self._clusters.get(key)
            if cluster is not None:
                self._rescan(cluster, absorbed)
        return sorted(absorbed)

    def place(self, item: ItemLike, key: ClusterKey) -> None:
        """Add a proposal straight into cluster ``key`` (restoring a persisted assignment)."""
        p = as_proposal(item)
        if p.id in self._entries:
            raise ValueError(f"proposal {p.id!r} is already in the index")
        entry = self._entry_for(p)
        self._entries[p.id] = entry
        cluster = self._clusters.get(key) or self._new_cluster(key)
        self._attach(p.id, entry, cluster)

    def remove(self, item_id: ItemId) -> None:
        """Take a proposal out (it was withdrawn); an emptied cluster disappears.
        Its constraints go too; proposals it was must-linked with stay linked."""
        entry = self._entries.pop(item_id)
        self._detach(item_id, entry)
        self.constraints.release(item_id)
        for other in self.constraints.separated(item_id):
            self.constraints.unseparate(item_id, other)
        self._df.subtract(entry.terms)
        self._tag_df.subtract(entry.tags)

    def split(self, item_id: ItemId) -> ClusterKey:
        """Move ``item_id`` to a new cluster of its own and keep it apart from every
        proposal it was grouped with (cannot-links); its must-links are dropped.
        Returns its new cluster key (its old one if it was already alone)."""
        entry = self._entries[item_id]
        mates = [m for m in self._clusters[entry.cluster].members if m != item_id]
        self.constraints.release(item_id)
        for mate in mates:
            self.constraints.separate(item_id, mate)
        if not mates:
            return entry.cluster
        self._detach(item_id, entry)
        cluster = self._new_cluster()
        self._attach(item_id, entry, cluster)
        return cluster.key

    def merge(self, key_a: ClusterKey, key_b: ClusterKey) -> ClusterKey:
        """Move every proposal of cluster ``key_b`` into ``key_a`` for good: must-links
        hold the merged group together and cannot-links between the two are dropped.
        Returns ``key_a``."""
        a, b = self._clusters[key_a], self._clusters[key_b]
        if a is b:
            return key_a
        cons = self.constraints
        for x in b.members:
            for y in cons.separated(x) & a.members.keys():
                cons.unseparate(x, y)
        self._absorb(a, b)
        groups = cons.groups(a.members)
        anchor = groups[0][0]
        for group in groups[1:]:
            cons.link(anchor, group[0])
        return key_a


def build_index(
    items: Iterable[ItemLike],
    assignments: Mapping[ItemId, ClusterKey] | None = None,
    constraints: Constraints | Mapping[str, Any] | None = None,
) -> ClusterIndex:
    """An index over ``items``, taken in order.

    With ``assignments`` (the cluster keys persisted on the rows) each listed
    proposal is restored into its cluster with no similarity work, in time linear
    in the text; proposals without a key are then assigned one by one.
    ``constraints`` is a :class:`Constraints` or its :meth:`~Constraints.to_dict`.
    """
    if not isinstance(constraints, Constraints):
        constraints = Constraints.from_dict(constraints)
    index = ClusterIndex(constraints)
    pending = []
    for item in items:
        p = as_proposal(item)
        if assignments is not None and p.id in assignments:
            index.place(p, assignments[p.id])
        else:
            pending.append(p)
    for p in pending:
        index.assign(p)
    return index


def assign(item: ItemLike, index: ClusterIndex) -> Placement:
    """Place one new proposal into ``index`` without re-clustering the inbox.

    It joins the most similar cluster whose similarity reaches the join threshold,
    or founds a new cluster. If it is also close to other clusters whose centroids
    are close to its own, those are merged into the oldest of them (never across a
    cannot-link) and listed in ``Placement.absorbed``.
    """
    return index.assign(item)


# ---------------------------------------------------------------------------
# Full clustering
# ---------------------------------------------------------------------------


def _vectors(props: Sequence[Proposal]) -> tuple[list[Vector], list[Vector]]:
    texts = [_text_terms(p) for p in props]
    tags = [_theme_terms(p) for p in props]
    df: Counter[str] = Counter()
    tag_df: Counter[str] = Counter()
    for t in texts:
        df.update(t.keys())
    for t in tags:
        tag_df.update(t.keys())
    n = len(props)
    return [_weigh(t, df, n) for t in texts], [_weigh(t, tag_df, n) for t in tags]


def _sum(vectors: Iterable[Mapping[str, float]]) -> Vector:
    total: Vector = {}
    for v in vectors:
        _add_into(total, v)
    return total


def _unit(v: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in v.values()))
    return {t: w / norm for t, w in v.items()} if norm else {}


def _neighbours(texts: Sequence[Vector], themes: Sequence[Vector]) -> list[list[tuple[float, int]]]:
    """For each node, its ``NEIGHBOURS`` most similar nodes at ``EDGE_THRESHOLD`` or more.

    Pairs are found through an inverted index; a feature held by more than
    ``BATCH_MAX_DF`` nodes is left out of the scores (its IDF is low and it would
    make the work quadratic)."""
    n = len(texts)
    # feature -> (nodes in order, their weights); a cursor per feature marks where
    # the node being scored sits, so each pair is scored once, from its first node.
    postings: dict[str, tuple[list[int], list[float]]] = {}
    for node, (text, theme) in enumerate(zip(texts, themes, strict=True)):
        for features, prefix in ((text, ""), (theme, "#")):
            for t, w in features.items():
                nodes, weights = postings.setdefault(prefix + t, ([], []))
                nodes.append(node)
                weights.append(w)
    cursor: Counter[str] = Counter()
    best: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for node in range(n):
        text_dot: dict[int, float] = {}
        tag_dot: dict[int, float] = {}
        for dots, features, prefix in ((text_dot, texts[node], ""), (tag_dot, themes[node], "#")):
            for t, w in features.items():
                key = prefix + t
                nodes, weights = postings[key]
                start = cursor[key] + 1
                cursor[key] = start
                if len(nodes) > BATCH_MAX_DF:
                    continue
                get = dots.get
                for other, w2 in zip(nodes[start:], weights[start:], strict=True):
                    dots[other] = get(other, 0.0) + w * w2
        has_tags = bool(themes[node])
        for other in sorted(text_dot.keys() | tag_dot.keys()):
            tags = tag_dot.get(other, 0.0) if has_tags and themes[other] else None
            sim = _blend(text_dot.get(other, 0.0), tags)
            if sim >= EDGE_THRESHOLD:
                _keep(best[node], (sim, -other))
                _keep(best[other], (sim, -node))
    return [[(sim, -neg) for sim, neg in sorted(row, reverse=True)] for row in best]


def _keep(heap: list[tuple[float, int]], entry: tuple[float, int]) -> None:
    if len(heap) < NEIGHBOURS:
        heapq.heappush(heap, entry)
    elif entry > heap[0]:
        heapq.heapreplace(heap, entry)


def similarity_graph(
    texts: Sequence[Vector], themes: Sequence[Vector], groups: Sequence[Sequence[ItemId]]
) -> nx.Graph:
    """The k-nearest-neighbour similarity graph: node ``n`` stands for ``groups[n]``
    (attribute ``ids``); an edge joins each node to its nearest neighbours."""
    graph = nx.Graph()
    for node, ids in enumerate(groups):
        graph.add_node(node, ids=list(ids))
    for node, row in enumerate(_neighbours(texts, themes)):
        for sim, other in row:
            graph.add_edge(min(node, other), max(node, other), weight=sim)
    return graph


def communities(graph: nx.Graph) -> list[list[int]]:
    """Louvain communities of ``graph`` at ``RESOLUTION`` (fixed seed), as sorted
    node lists ordered by their first node."""
    if graph.number_of_edges() == 0:
        return [[n] for n in sorted(graph)]
    resolution = RESOLUTION
    found = nx.community.louvain_communities(
        graph, weight="weight", resolution=resolution, seed=LOUVAIN_SEED
    )
    return sorted((sorted(c) for c in found), key=lambda c: c[0])


def cluster_all(
    items: Iterable[ItemLike],
    constraints: Constraints | Mapping[str, Any] | None = None,
    previous: Mapping[ItemId, ClusterKey] | None = None,
) -> dict[ItemId, ClusterKey]:
    """Cluster the whole inbox from scratch: ``{item id: cluster key}``, in input order.

    Must-link groups stay together and cannot-link pairs apart. Keys are
    ``0, 1, 2...`` in order of each cluster's first proposal; with ``previous``
    (the keys persisted now) a cluster keeps the old key most of its proposals
    had, where it can, and new clusters take keys above every old one.
    """
    if not isinstance(constraints, Constraints):
        constraints = Constraints.from_dict(constraints)
    props = list({p.id: p for p in map(as_proposal, items)}.values())
    if not props:
        return {}
    texts, themes = _vectors(props)
    position = {p.id: n for n, p in enumerate(props)}
    groups = constraints.groups(position)
    if len(groups) < len(props):
        texts = [_unit(_sum(texts[position[i]] for i in g)) for g in groups]
        themes = [_unit(_sum(themes[position[i]] for i in g)) for g in groups]
    graph = similarity_graph(texts, themes, groups)
    parts: list[list[int]] = []
    for community in communities(graph):
        parts.extend(_apart(community, groups, graph, constraints))
    parts.sort(key=lambda part: part[0])
    labels: dict[ItemId, int] = {}
    for label, part in enumerate(parts):
        for node in part:
            for i in groups[node]:
                labels[i] = label
    # Louvain may cut a large, uniform topic into pieces; rejoin pieces whose
    # centroids are as close as incremental assignment would require.
    index = build_index(props, labels, constraints)
    index.consolidate()
    found = index.assignments()
    first: dict[ClusterKey, int] = {}
    for p in props:
        first.setdefault(found[p.id], len(first))
    return _relabel({p.id: first[found[p.id]] for p in props}, previous)


def _apart(
    nodes: list[int], groups: Sequence[Sequence[ItemId]], graph: nx.Graph, cons: Constraints
) -> list[list[int]]:
    """Divide one community so that no part holds a cannot-link pair: groups with
    conflicts first, each joining the part it has most edge weight to among the
    parts it does not conflict with."""
    if len(nodes) < 2 or not any(cons.separated(i) for n in nodes for i in groups[n]):
        return [nodes]
    clash = {
        n: {m for m in nodes if m != n and cons.conflict(groups[n], set(groups[m]))} for n in nodes
    }
    if not any(clash.values()):
        return [nodes]
    parts: list[list[int]] = []
    for node in sorted(nodes, key=lambda n: (-len(clash[n]), -len(groups[n]), n)):
        best: tuple[float, int] | None = None
        for k, part in enumerate(parts):
            if clash[node].isdisjoint(part):
                weight = sum(graph[node][m]["weight"] for m in part if graph.has_edge(node, m))
                if best is None or weight > best[0]:
                    best = (weight, k)
        if best is None or (best[0] == 0 and clash[node]):
            parts.append([node])
        else:
            parts[best[1]].append(node)
    return [sorted(part) for part in parts]


def _relabel(
    labels: Mapping[ItemId, int], previous: Mapping[ItemId, ClusterKey] | None
) -> dict[ItemId, ClusterKey]:
    if not previous:
        return dict(labels)
    by_label: dict[int, list[ItemId]] = {}
    for i, label in labels.items():
        by_label.setdefault(label, []).append(i)
    # Larger clusters choose first; an old key is reused at most once.
    taken: set[ClusterKey] = set()
    mapping: dict[int, ClusterKey] = {}
    for label in sorted(by_label, key=lambda lab: (-len(by_label[lab]), lab)):
        votes = Counter(previous[i] for i in by_label[label] if i in previous)
        for key, _count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if key not in taken:
                mapping[label] = key
                taken.add(key)
                break
    fresh = max([*previous.values(), -1]) + 1
    for label in sorted(by_label):
        if label not in mapping:
            mapping[label] = fresh
            fresh += 1
    return {i: mapping[label] for i, label in labels.items()}


# ---------------------------------------------------------------------------
# Presentation and quality measures
# ---------------------------------------------------------------------------


def representative_title(items: Iterable[ItemLike], index: ClusterIndex | None = None) -> str:
    """The title closest to the cluster's centroid (earliest wins a tie), ``""`` if none.

    The centroid is the mean of the proposals' text vectors; titles are compared as
    vectors of their own words. With ``index``, words are weighted by the inbox's
    IDF, so a title naming what sets the cluster apart beats a generic one."""
    props = [as_proposal(i) for i in items]
    if not props:
        return ""

    def vector(counts: Mapping[str, int]) -> Vector:
        idf = index.idf if index is not None else (lambda _term: 1.0)
        return _unit({t: (1.0 + math.log(c)) * idf(t) for t, c in counts.items()})

    centroid = _sum(vector(_text_terms(p)) for p in props)
    scores = [_dot(vector(Counter(tokenize(p.title))), centroid) for p in props]
    best = max(range(len(props)), key=lambda n: (scores[n], -n))
    return props[best].title


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def adjusted_rand_index(truth: Mapping[Any, Any], predicted: Mapping[Any, Any]) -> float:
    """Adjusted Rand index of two labellings of the same items (Hubert and Arabie, 1985):
    1 for identical partitions, about 0 for chance agreement."""
    if truth.keys() != predicted.keys():
        raise ValueError("both labellings must cover the same items")
    n = len(truth)
    if n < 2:
        return 1.0
    together = sum(_pairs(c) for c in Counter((truth[k], predicted[k]) for k in truth).values())
    sum_a = sum(_pairs(c) for c in Counter(truth.values()).values())
    sum_b = sum(_pairs(c) for c in Counter(predicted.values()).values())
    expected = sum_a * sum_b / _pairs(n)
    best = (sum_a + sum_b) / 2
    if best == expected:
        return 1.0
    return (together - expected) / (best - expected)


def pairwise_scores(
    truth: Mapping[Any, Any], predicted: Mapping[Any, Any]
) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1, a pair counting as positive when its two
    items share a cluster."""
    if truth.keys() != predicted.keys():
        raise ValueError("both labellings must cover the same items")
    together = sum(_pairs(c) for c in Counter((truth[k], predicted[k]) for k in truth).values())
    predicted_pairs = sum(_pairs(c) for c in Counter(predicted.values()).values())
    true_pairs = sum(_pairs(c) for c in Counter(truth.values()).values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
