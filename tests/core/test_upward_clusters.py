"""The inbox's incremental clustering over a store (participate.core.upward_clusters).

It must place proposals exactly as the clustering core's in-memory index does (same method,
same thresholds), reach the core's quality floor on the labelled set, and apply the clerk's
split and merge with the same constraints."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from participate.core import clustering as C
from participate.core import upward_clusters as U

DATA = Path(__file__).resolve().parents[1] / "data" / "forwarded_proposals.json"
ITEMS = json.loads(DATA.read_text())
TRUTH = {i["id"]: i["topic"] for i in ITEMS}
# The core's own floor for incremental assignment in a random order (tests/core/test_clustering.py).
INCREMENTAL_ARI_FLOOR = 0.65


def shuffled(seed: int) -> list[dict]:
    order = list(ITEMS)
    random.Random(seed).shuffle(order)
    return order


@pytest.mark.parametrize("seed", range(4))
def test_assignments_match_the_clustering_core_exactly(seed):
    order = shuffled(seed)
    _store, mine = U.cluster_items(order)
    core = C.build_index(order).assignments()
    assert C.adjusted_rand_index(core, mine) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(4))
def test_quality_on_the_labelled_set_reaches_the_floor(seed):
    _store, mine = U.cluster_items(shuffled(seed))
    assert C.adjusted_rand_index(TRUTH, mine) >= INCREMENTAL_ARI_FLOOR


def test_features_weigh_title_words_twice_and_themes_as_tags():
    counts = U.features("Dentists", "dentists for adults", ["NHS dentistry"])
    assert counts["dentist"] == 3  # twice from the title, once from the body
    assert counts["#nhs-dentistry"] == 1
    vector = U.weigh(counts, {f: 1 for f in counts}, 10)
    text, theme = U.split_norms(vector)
    assert text == pytest.approx(1.0) and theme == pytest.approx(1.0)


def test_a_new_proposal_joins_its_topic_or_founds_a_cluster():
    store = U.MemoryStore()
    first = U.assign(store, 1, U.features("Book GP appointments ahead", "GP appointments", ["gp"]))
    assert first.founded
    same = U.assign(store, 2, U.features("GP appointments bookable ahead", "book GP", ["gp"]))
    assert same.cluster == first.cluster and not same.founded
    other = U.assign(store, 3, U.features("Free hospital parking", "parking charges", ["parking"]))
    assert other.founded and other.cluster != first.cluster
    assert store.members(first.cluster) == [1, 2]


def test_split_keeps_the_item_apart_when_similar_proposals_arrive():
    store = U.MemoryStore()
    cons = C.Constraints()
    texts = ["Book GP appointments ahead", "GP appointments bookable ahead", "Advance GP booking"]
    for i, title in enumerate(texts):
        U.assign(store, i, U.features(title, "GP appointment booking", ["gp"]), cons)
    key = store.assignments()[0]
    vector = U.weigh(U.features(texts[1], "GP appointment booking", ["gp"]), store.df, store.n)
    new_key = U.split(store, cons, key, 1, vector)
    assert new_key != key and store.members(new_key) == [1]
    assert cons.separated(1) == {0, 2}
    placed = U.assign(
        store, 9, U.features("GP appointments ahead", "GP appointment booking", ["gp"]), cons
    )
    assert placed.cluster in (key, new_key)
    # the split item's cluster never absorbs its old mates
    assert set(store.members(key)).isdisjoint(store.members(new_key))


def test_merge_joins_for_good_and_lifts_cannot_links():
    store = U.MemoryStore()
    cons = C.Constraints()
    a = U.assign(
        store, "a", U.features("Free hospital parking", "parking", ["parking"]), cons
    ).cluster
    b = U.assign(
        store, "b", U.features("Dentists for adults", "dentist", ["dentistry"]), cons
    ).cluster
    cons.separate("a", "b")
    assert U.merge(store, cons, a, b) == a
    assert sorted(store.members(a)) == ["a", "b"]
    assert not cons.separated("a") and cons.linked("a") == {"b"}


def test_bridging_merges_never_cross_a_cannot_link():
    store = U.MemoryStore()
    cons = C.Constraints()
    U.assign(store, 1, U.features("GP booking ahead", "gp booking", ["gp"]), cons)
    key1 = store.assignments()[1]
    key2 = store.create(
        2, U.weigh(U.features("GP booking ahead", "gp booking", ["gp"]), store.df, store.n)
    )
    cons.separate(1, 2)
    placed = U.assign(store, 3, U.features("GP booking ahead", "gp booking", ["gp"]), cons)
    assert placed.cluster in (key1, key2)
    assert store.assignments()[1] != store.assignments()[2]
