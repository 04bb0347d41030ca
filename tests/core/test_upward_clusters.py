"""The clustering engine over a store (participate.core.clustering with the in-memory
store of participate.core.cluster_memory): features and weights, placing a proposal,
the clerk's split and merge, and restoring a store from persisted keys."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from participate.core import clustering as C
from participate.core import text_features as T
from participate.core.cluster_memory import MemoryStore, cluster_items, restore

DATA = Path(__file__).resolve().parents[1] / "data" / "forwarded_proposals.json"
ITEMS = json.loads(DATA.read_text())


def shuffled(seed: int) -> list[dict]:
    order = list(ITEMS)
    random.Random(seed).shuffle(order)
    return order


def test_features_weigh_title_words_twice_and_themes_as_tags():
    counts = C.features("Dentists", "dentists for adults", ["NHS dentistry"])
    assert counts["dentist"] == 3  # twice from the title, once from the body
    assert counts["#nhs-dentistri"] == 1
    assert any(f.startswith(T.NGRAM_MARK) for f in counts)  # the title's n-grams
    vector = C.weigh(counts, {f: 1 for f in counts}, 10)
    text, theme = C.split_norms(vector)
    assert text == pytest.approx(1.0)
    assert theme == pytest.approx((1 - 1 / 10) ** 2)  # the tag's specificity, squared


def test_subsidiarity_statements_count_less_than_titles_and_bodies():
    counts = C.features("Bus routes", "Keep the bus", [], "Only Parliament can change bus law")
    assert counts["bus"] == 2 + 1 + T.STATEMENT_WEIGHT
    assert counts["parliament"] == T.STATEMENT_WEIGHT


def test_a_tag_every_proposal_carries_weighs_nothing():
    counts = C.features("Free hospital parking", "", ["health"])
    vector = C.weigh(counts, {f: 5 for f in counts}, 5)
    assert not any(T.is_tag(f) for f in vector)
    assert C.split_norms(vector)[0] == pytest.approx(1.0)


def test_a_new_proposal_joins_its_topic_or_founds_a_cluster():
    store = MemoryStore()
    first = C.assign(store, 1, C.features("Book GP appointments ahead", "GP appointments", ["gp"]))
    assert first.founded
    same = C.assign(store, 2, C.features("GP appointments bookable ahead", "book GP", ["gp"]))
    assert same.cluster == first.cluster and not same.founded
    other = C.assign(store, 3, C.features("Free hospital parking", "parking charges", ["parking"]))
    assert other.founded and other.cluster != first.cluster
    assert store.members(first.cluster) == [1, 2]


def test_identical_tags_without_shared_words_never_join():
    store = MemoryStore()
    tags = ["public-services", "rural"]
    first = C.assign(store, 1, C.features("Dredge the river", "", tags))
    second = C.assign(store, 2, C.features("Reopen the youth club", "", tags))
    assert second.founded and second.cluster != first.cluster


def test_split_keeps_the_item_apart_when_similar_proposals_arrive():
    store = MemoryStore()
    cons = C.Constraints()
    texts = ["Book GP appointments ahead", "GP appointments bookable ahead", "Advance GP booking"]
    for i, title in enumerate(texts):
        C.assign(store, i, C.features(title, "GP appointment booking", ["gp"]), cons)
    key = store.assignments()[0]
    new_key = C.split(store, cons, key, 1, store.vectors[1])
    assert new_key != key and store.members(new_key) == [1]
    assert cons.separated(1) == {0, 2}
    placed = C.assign(
        store, 9, C.features("GP appointments ahead", "GP appointment booking", ["gp"]), cons
    )
    assert placed.cluster in (key, new_key)
    # the split item's cluster never absorbs its old mates
    assert set(store.members(key)).isdisjoint(store.members(new_key))


def test_merge_joins_for_good_and_lifts_cannot_links():
    store = MemoryStore()
    cons = C.Constraints()
    a = C.assign(
        store, "a", C.features("Free hospital parking", "parking", ["parking"]), cons
    ).cluster
    b = C.assign(
        store, "b", C.features("Dentists for adults", "dentist", ["dentistry"]), cons
    ).cluster
    cons.separate("a", "b")
    assert C.merge(store, cons, a, b) == a
    assert sorted(store.members(a)) == ["a", "b"]
    assert not cons.separated("a") and cons.linked("a") == {"b"}


def test_bridging_merges_never_cross_a_cannot_link():
    store = MemoryStore()
    cons = C.Constraints()
    C.assign(store, 1, C.features("GP booking ahead", "gp booking", ["gp"]), cons)
    key1 = store.assignments()[1]
    key2 = store.create(
        2, C.weigh(C.features("GP booking ahead", "gp booking", ["gp"]), store.df, store.n)
    )
    cons.separate(1, 2)
    placed = C.assign(store, 3, C.features("GP booking ahead", "gp booking", ["gp"]), cons)
    assert placed.cluster in (key1, key2)
    assert store.assignments()[1] != store.assignments()[2]


def test_a_store_restored_from_persisted_keys_behaves_like_the_original():
    order = shuffled(4)
    cons = C.Constraints()
    original, keys = cluster_items(order[:200], cons)
    victim = order[3]["id"]
    C.split(original, cons, keys[victim], victim, original.vectors[victim])
    keys = original.assignments()
    saved = C.Constraints.from_dict(json.loads(json.dumps(cons.to_dict())))
    restored = restore(order[:200], keys, saved)
    assert restored.assignments() == keys
    assert saved == cons
    for item in order[200:]:
        counts = C.item_features(item)
        mine = C.assign(restored, item["id"], counts, saved)
        theirs = C.assign(original, item["id"], counts, cons)
        assert (mine.cluster, mine.absorbed) == (theirs.cluster, theirs.absorbed)
    assert restored.assignments() == original.assignments()


def test_restore_assigns_items_without_a_persisted_key_and_keys_stay_above():
    _store, keys = cluster_items(ITEMS[:100])
    grown = restore(ITEMS[:120], keys)
    found = grown.assignments()
    assert set(found) == {p["id"] for p in ITEMS[:120]}
    groups: dict = {}
    for item_id, key in keys.items():
        groups.setdefault(key, set()).add(item_id)
    # Restored proposals that shared a cluster still do (clusters may only merge).
    for group in groups.values():
        assert len({found[i] for i in group}) == 1
    fresh = {found[p["id"]] for p in ITEMS[100:120]} - set(keys.values())
    assert all(k > max(keys.values()) for k in fresh)


def test_persisted_key_zero_is_restored_and_new_keys_follow():
    store = restore([{"id": "x", "title": "Dredge the river", "body": ""}], {"x": 0})
    assert store.assignments() == {"x": 0}
    placed = C.assign(store, "y", C.features("Reopen the youth club"))
    assert placed.founded and placed.cluster == 1


def test_repeated_ids_are_refused():
    with pytest.raises(ValueError, match="once"):
        cluster_items(ITEMS[:5] + ITEMS[:1])
    with pytest.raises(ValueError, match="once"):
        restore(ITEMS[:5] + ITEMS[:1], {})
