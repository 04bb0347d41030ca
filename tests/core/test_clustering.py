"""Clustering of forwarded proposals: quality on two labelled sets, incremental
assignment, clerks' corrections, determinism, text features and edge cases."""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.clustering_quality import adjusted_rand_index, pairwise_scores
from participate.core import clustering as C
from participate.core.cluster_constraints import Constraints
from participate.core.cluster_memory import MemoryStore, cluster_items
from participate.core.text_features import normalise, stem, theme_key, tokenize

HERE = Path(__file__).resolve().parents[1] / "data"
PROPOSALS: list[dict] = json.loads((HERE / "forwarded_proposals.json").read_text())
TRUTH = {p["id"]: p["topic"] for p in PROPOSALS}
# The harder set: 240 short proposals in 24 topics, 170 of them a title alone, worded
# differently within a topic, tagged with broad tags that many topics share.
VARIED: list[dict] = json.loads((HERE / "varied_proposals.json").read_text())
VARIED_TRUTH = {p["id"]: p["topic"] for p in VARIED}

# Quality floors of the live (incremental) path, a margin below what it reaches over
# the 8 orders ORDERS (measured: labelled set min 0.719 / mean 0.786; varied set with
# its tags min 0.259 / mean 0.307, without tags min 0.144 / mean 0.183; before the
# engine was rewritten the varied set gave a mean 0.32 with tags, 0.18 without, 0.00
# with one broad tag on every item).
INCREMENTAL_ARI_FLOOR = 0.65  # every random order, labelled set
INCREMENTAL_MEAN_ARI_FLOOR = 0.75  # mean over the orders, labelled set
VARIED_ARI_FLOOR = 0.22  # every order, varied set with its tags
VARIED_MEAN_ARI_FLOOR = 0.27
VARIED_UNTAGGED_ARI_FLOOR = 0.12  # every order, varied set, tags removed
ORDERS = range(8)


def shuffled(seed: int, items: list[dict] = PROPOSALS) -> list[dict]:
    order = items[:]
    random.Random(seed).shuffle(order)
    return order


def partition(assignments: dict) -> set[frozenset]:
    groups: dict = {}
    for item_id, key in assignments.items():
        groups.setdefault(key, set()).add(item_id)
    return {frozenset(g) for g in groups.values()}


def clustered(seed: int = 0, n: int = 200) -> tuple[MemoryStore, Constraints]:
    cons = Constraints()
    store, _keys = cluster_items(shuffled(seed)[:n], cons)
    return store, cons


def add(store: MemoryStore, item: dict, cons: Constraints) -> C.Placement:
    return C.assign(store, item["id"], C.item_features(item), cons)


# -- the labelled data sets -----------------------------------------------------


def test_data_set_is_large_varied_and_well_formed():
    assert len(PROPOSALS) >= 220
    ids = [p["id"] for p in PROPOSALS]
    assert len(set(ids)) == len(ids)
    topics = Counter(TRUTH.values())
    assert len(topics) >= 22
    assert all(8 <= n <= 12 for n in topics.values()), topics
    for p in PROPOSALS:
        assert set(p) == {"id", "topic", "title", "body", "themes"}
        assert p["title"].strip() and p["body"].strip()
        assert 1 <= len(re.findall(r"[.!?](\s|$)", p["body"])) <= 3, p["id"]
        assert 1 <= len(p["themes"]) <= 3, p["id"]
    assert len({p["title"] for p in PROPOSALS}) == len(PROPOSALS)
    assert len({p["body"] for p in PROPOSALS}) == len(PROPOSALS)


def test_data_set_tags_vary_within_topics():
    by_topic: dict[str, set[str]] = {}
    for p in PROPOSALS:
        by_topic.setdefault(p["topic"], set()).update(p["themes"])
    # No topic is tagged with one tag only, and tags are shared across topics.
    assert all(len(tags) >= 4 for tags in by_topic.values())
    topics_per_tag = Counter(t for tags in by_topic.values() for t in tags)
    assert sum(1 for n in topics_per_tag.values() if n > 1) >= 10


def test_varied_set_is_harder_short_and_shares_broad_tags():
    assert len(VARIED) >= 200 and len(set(VARIED_TRUTH)) == len(VARIED)
    topics = Counter(VARIED_TRUTH.values())
    assert len(topics) >= 20 and min(topics.values()) >= 8
    assert sum(1 for p in VARIED if not p["body"]) >= len(VARIED) // 2  # titles alone
    assert all(len(p["title"]) <= 80 and len(p["body"]) <= 200 for p in VARIED)
    assert len({p["title"] for p in VARIED}) == len(VARIED)
    topics_per_tag = Counter(t for p in VARIED for t in p["themes"])
    by_tag: dict[str, set[str]] = {}
    for p in VARIED:
        for t in p["themes"]:
            by_tag.setdefault(t, set()).add(p["topic"])
    assert sum(1 for t in topics_per_tag if len(by_tag[t]) >= 4) >= 5  # broad tags


# -- quality measures ------------------------------------------------------------


def test_adjusted_rand_index_matches_published_values():
    truth = dict(enumerate([0, 0, 0, 1, 1, 1]))
    assert adjusted_rand_index(truth, dict(enumerate([1, 1, 1, 0, 0, 0]))) == 1.0
    # scikit-learn's documented example: 0.24242424...
    ari = adjusted_rand_index(truth, dict(enumerate([0, 0, 1, 1, 2, 2])))
    assert ari == pytest.approx(0.242424, abs=1e-6)
    # Everything in one cluster against a real split: chance level.
    assert adjusted_rand_index(truth, dict.fromkeys(range(6), 0)) == pytest.approx(0.0)
    assert adjusted_rand_index({}, {}) == 1.0


def test_pairwise_scores():
    truth = dict(enumerate("aaabbb"))
    precision, recall, f1 = pairwise_scores(truth, dict(enumerate("xxxxyy")))
    # predicted pairs: 6 + 1 = 7, of which 3 (a-a) + 1 (b-b) are true; true pairs 6
    assert precision == pytest.approx(4 / 7)
    assert recall == pytest.approx(4 / 6)
    assert f1 == pytest.approx(2 * (4 / 7) * (4 / 6) / (4 / 7 + 4 / 6))
    with pytest.raises(ValueError):
        pairwise_scores(truth, {0: "x"})


# -- quality of the live path ------------------------------------------------------


def test_incremental_assignment_in_random_order_reaches_the_floors():
    scores = [adjusted_rand_index(TRUTH, cluster_items(shuffled(s))[1]) for s in ORDERS]
    assert min(scores) >= INCREMENTAL_ARI_FLOOR, scores
    assert statistics.mean(scores) >= INCREMENTAL_MEAN_ARI_FLOOR, scores


def test_the_varied_set_reaches_its_floors_with_and_without_tags():
    tagged, untagged = [], []
    for seed in ORDERS:
        order = shuffled(seed, VARIED)
        tagged.append(adjusted_rand_index(VARIED_TRUTH, cluster_items(order)[1]))
        bare = [dict(p, themes=[]) for p in order]
        untagged.append(adjusted_rand_index(VARIED_TRUTH, cluster_items(bare)[1]))
    assert min(tagged) >= VARIED_ARI_FLOOR, tagged
    assert statistics.mean(tagged) >= VARIED_MEAN_ARI_FLOOR, tagged
    assert min(untagged) >= VARIED_UNTAGGED_ARI_FLOOR, untagged


@pytest.mark.parametrize("seed", [0, 1])
def test_one_broad_tag_on_every_proposal_changes_nothing(seed):
    order = shuffled(seed, VARIED)
    broad = cluster_items([dict(p, themes=["public services"]) for p in order])[1]
    bare = cluster_items([dict(p, themes=[]) for p in order])[1]
    assert partition(broad) == partition(bare)
    assert len(set(broad.values())) >= 40  # not everything in one cluster


def test_identical_broad_tags_alone_never_join_unrelated_texts():
    # One proposal of each topic, all with the same two broad tags: none may join
    # another unless their words alone would have joined them.
    first: dict[str, dict] = {}
    for p in VARIED:
        first.setdefault(p["topic"], p)
    tagged = cluster_items([dict(p, themes=["health", "community"]) for p in first.values()])[1]
    bare = cluster_items([dict(p, themes=[]) for p in first.values()])[1]
    assert partition(tagged) == partition(bare)


def test_near_miss_proposals_stay_with_their_own_topic():
    found = cluster_items(PROPOSALS)[1]

    def majority(topic: str):
        return Counter(found[i] for i, t in TRUTH.items() if t == topic).most_common(1)[0][0]

    # Each shares words or a tag with a neighbouring topic but belongs to its own.
    near_misses = {
        "Literacy tutoring for people on probation": "adult-literacy-evening-classes",
        "Evening English lessons for migrant workers": "esol-english-classes",
        "Ambulances stuck outside A&E": "rural-ambulance-response",
        "Parking charges for parents of sick babies": "hospital-parking-charges",
        "Key-worker housing for teachers": "teacher-recruitment-and-retention",
    }
    titles = {p["title"]: p["id"] for p in PROPOSALS}
    wrong = [t for t, topic in near_misses.items() if found[titles[t]] != majority(topic)]
    assert len(wrong) <= 1, wrong


# -- incremental assignment ---------------------------------------------------------


def test_assign_returns_a_placement_and_new_clusters_take_the_next_key():
    store = MemoryStore()
    seen: set[int] = set()
    for item in PROPOSALS[:60]:
        placement = add(store, item, Constraints())
        assert isinstance(placement, C.Placement)
        if placement.cluster not in seen:
            assert placement.founded
            assert placement.cluster > max(seen, default=0)
            seen.add(placement.cluster)


def test_absorbed_clusters_are_reported_and_their_members_moved():
    for seed in ORDERS:
        store = MemoryStore()
        for item in shuffled(seed):
            before = store.assignments()
            placement = add(store, item, Constraints())
            after = store.assignments()
            assert after[item["id"]] == placement.cluster
            moved = {i for i in before if before[i] != after[i]}
            from_absorbed = {i for i in before if before[i] in placement.absorbed}
            assert moved == from_absorbed
            assert all(after[i] == placement.cluster for i in moved)
            for key in placement.absorbed:
                assert key not in store.clusters()
                assert key > placement.cluster  # the older cluster keeps its key


def test_a_proposal_with_no_words_still_gets_a_cluster():
    store, cons = clustered(0, 10)
    placement = add(store, {"id": "blank", "title": "", "body": "", "themes": []}, cons)
    assert store.members(placement.cluster) == ["blank"]


def test_incremental_assignment_is_deterministic():
    a = cluster_items(shuffled(6))[0]
    b = cluster_items(shuffled(6))[0]
    assert a.assignments() == b.assignments()
    assert a.clusters() == b.clusters()


# -- clerks' corrections ---------------------------------------------------------------


def test_split_moves_an_item_out_and_it_never_goes_back():
    store, cons = clustered()
    items = shuffled(0)
    key, members = max(store.clusters().items(), key=lambda kv: len(kv[1]))
    victim = members[len(members) // 2]
    mates = set(members) - {victim}
    new_key = C.split(store, cons, key, victim, store.vectors[victim])
    assert new_key != key and store.members(new_key) == [victim]
    assert victim in cons.pinned
    assert all(cons.cannot(victim, m) for m in mates)

    # Later proposals, including copies of the victim and of its former mates,
    # never bring it back: it is never in a cluster with a former mate.
    by_id = {p["id"]: p for p in items}
    for n, item in enumerate(items[200:]):
        add(store, item, cons)
        add(store, dict(by_id[victim], id=f"twin-{n}"), cons)
        for mate in sorted(mates)[:3]:
            add(store, dict(by_id[mate], id=f"copy-{n}-{mate}"), cons)
        victim_key = store.assignments()[victim]
        assert not mates & set(store.members(victim_key))


def test_merge_joins_two_clusters_for_good():
    store, cons = clustered(1)
    (key_a, a), (key_b, b) = sorted(store.clusters().items(), key=lambda kv: -len(kv[1]))[:2]
    survivor = C.merge(store, cons, key_a, key_b)
    assert survivor == key_a and key_b not in store.clusters()
    group = set(a) | set(b)
    assert set(store.members(key_a)) == group
    assert group <= cons.pinned
    for item in shuffled(1)[200:]:
        add(store, item, cons)
        assert group <= set(store.members(store.assignments()[a[0]]))


def test_constraints_survive_a_json_round_trip_and_hold_for_new_proposals():
    store, cons = clustered(2)
    keys = sorted(store.clusters(), key=lambda k: -len(store.members(k)))
    victim = store.members(keys[0])[1]
    C.split(store, cons, keys[0], victim, store.vectors[victim])
    C.merge(store, cons, keys[1], keys[2])
    restored = Constraints.from_dict(json.loads(json.dumps(cons.to_dict())))
    assert restored == cons
    assert restored.to_dict() == cons.to_dict()
    for item in shuffled(2)[200:]:
        add(store, item, restored)
    found = store.assignments()
    for a, b in restored.to_dict()["must_link"]:
        assert found[a] == found[b]
    for a, b in restored.to_dict()["cannot_link"]:
        assert found[a] != found[b]


def test_splitting_a_merged_item_keeps_the_rest_of_the_merge_together():
    store, cons = clustered(3)
    keys = sorted(store.clusters(), key=lambda k: -len(store.members(k)))
    C.merge(store, cons, keys[0], keys[1])
    group = store.members(keys[0])
    anchor = group[0]  # the must-link hub
    C.split(store, cons, keys[0], anchor, store.vectors[anchor])
    rest = [i for i in group if i != anchor]
    for item in shuffled(3)[200:]:
        add(store, item, cons)
    found = store.assignments()
    assert len({found[i] for i in rest}) == 1
    assert found[anchor] != found[rest[0]]


def test_merging_back_a_split_item_lifts_the_cannot_links():
    store, cons = clustered(4)
    key, members = max(store.clusters().items(), key=lambda kv: len(kv[1]))
    victim = members[0]
    alone = C.split(store, cons, key, victim, store.vectors[victim])
    C.merge(store, cons, key, alone)
    assert store.assignments()[victim] == key
    assert not any(cons.cannot(victim, m) for m in members)
    assert all(cons.must(*pair) for pair in cons.to_dict()["must_link"])


def test_constraint_pairs_replace_each_other():
    cons = Constraints()
    cons.link("a", "b")
    cons.separate("b", "a")
    assert cons.to_dict() == {"must_link": [], "cannot_link": [["b", "a"]]}
    cons.link("a", "b")
    assert cons.to_dict() == {"must_link": [["a", "b"]], "cannot_link": []}
    cons.link("a", "a")
    assert len(cons) == 1
    assert cons.groups(["c", "b", "a"]) == [["c"], ["b", "a"]]


# -- text features and the representative title ----------------------------------------


def test_tokenize_normalises_folds_and_drops_stop_words():
    assert normalise("Café  A&E—doctor’s!") == "cafe ae doctors"
    assert normalise("") == "" and tokenize("") == []
    assert tokenize("The doctors' appointments at A&E") == [
        stem("doctor"),
        stem("appointment"),
        "ae",
    ]
    assert tokenize("prioritise") == tokenize("prioritize")
    assert tokenize("housing houses") == ["hous", "hous"]
    assert tokenize("waiting lists") == tokenize("wait list")
    assert tokenize("buses") == tokenize("bus") and tokenize("GPs") == tokenize("GP")
    assert theme_key("Mental health") == theme_key("mental-health")


def test_representative_title_is_the_most_central_title():
    gp = [p for p in PROPOSALS if p["topic"] == "gp-appointment-access"]
    outlier = next(p for p in PROPOSALS if p["topic"] == "hospital-parking-charges")
    title = C.representative_title([outlier, *gp])
    assert title in {p["title"] for p in gp}
    assert C.representative_title([outlier, *gp]) == title
    assert C.representative_title([gp[0]]) == gp[0]["title"]
    assert C.representative_title([]) == ""
    store = cluster_items(PROPOSALS)[0]
    assert C.representative_title(gp, store.df, store.n) in {p["title"] for p in gp}


# -- properties ---------------------------------------------------------------------------

WORDS = st.sampled_from(
    "gp appointment bus hospital night damp mould school meals police patrol carer "
    "respite dentist ambulance rural shelter winter literacy evening english refuge".split()
)
TEXT = st.lists(WORDS, min_size=0, max_size=8).map(" ".join)
ITEMS = st.lists(st.tuples(TEXT, TEXT, st.lists(WORDS, max_size=3)), min_size=0, max_size=30).map(
    lambda rows: [
        {"id": n, "title": t, "body": b, "themes": themes} for n, (t, b, themes) in enumerate(rows)
    ]
)
OPS = st.lists(st.tuples(st.sampled_from(["split", "merge"]), st.integers(0, 10**6)), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=ITEMS, ops=OPS)
def test_every_item_ends_in_exactly_one_cluster_and_constraints_hold(items, ops):
    ids = [item["id"] for item in items]
    cons = Constraints()
    half = len(items) // 2
    store, _keys = cluster_items(items[:half], cons)
    for op, pick in ops:
        clusters = list(store.clusters())
        if not ids[:half]:
            break
        if op == "split":
            victim = ids[:half][pick % half]
            C.split(store, cons, store.assignments()[victim], victim, store.vectors[victim])
        elif len(clusters) > 1:
            a = clusters[pick % len(clusters)]
            b = clusters[(pick // 7) % len(clusters)]
            C.merge(store, cons, a, b)
    for item in items[half:]:
        add(store, item, cons)

    groups = store.clusters()
    members = [i for group in groups.values() for i in group]
    assert sorted(members) == sorted(ids)
    assert all(groups.values())
    assert store.assignments() == {i: k for k, group in groups.items() for i in group}
    saved = cons.to_dict()
    where = store.assignments()
    assert all(where[a] == where[b] for a, b in saved["must_link"])
    assert all(where[a] != where[b] for a, b in saved["cannot_link"])
