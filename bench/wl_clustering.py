"""Incremental clustering of an upward inbox, in process on plain data (no database).

``clustering_assign_one``: milliseconds for :func:`participate.core.clustering.assign`
to place one more forwarded proposal into an index that already holds 100,000
(quick mode: 10,000, named in the entry's ``index_items``), median over 200 new
proposals, p95 and max reported too. The inbox is synthetic: sentences of the
labelled data set (``tests/data/forwarded_proposals.json``) recombined within a
topic (one in ten mixes two topics), with council and place names in the text,
tags drawn from the topic's tags and now and then a neighbouring topic's. The
index is built as the app builds it: a first pass assigns every proposal
incrementally (``build_index(items)``, skipped in quick mode, where the keys are
the synthetic topics), then the app's restart path restores it from the
persisted keys (``build_index(items, assignments)``); both are timed.

``clustering_assign_one_many_clusters``: the same, into 5,000 distinct clusters
(quick: 500) restored from keys. Each cluster has a few invented words of its
own on top of the recombined sentences, so the everyday words of the data set
are shared by thousands of clusters, the case the inverted index's caps exist for.

Baseline for both: the same 200 proposals through the cheapest thing an
assignment must do anyway, ``tokenize`` of title and body and a dict lookup per
word, in the same run.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from pathlib import Path

from participate.core.clustering import assign, build_index, tokenize

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "forwarded_proposals.json"
TARGET_MS = 50.0
SAMPLES = 200
SEED = 20240601

PLACES = (
    "Barnsley Blackpool Bolton Bradford Brighton Bristol Burnley Cambridge Carlisle Cornwall "
    "Coventry Croydon Cumbria Darlington Derby Devon Doncaster Dorset Durham Gateshead "
    "Gloucester Halton Harrow Hartlepool Hastings Hull Ipswich Kent Kirklees Knowsley Lambeth "
    "Lancashire Leeds Leicester Lewisham Lincoln Liverpool Luton Manchester Middlesbrough "
    "Newcastle Newham Norfolk Northumberland Norwich Nottingham Oldham Oxford Peterborough "
    "Plymouth Portsmouth Reading Redcar Rochdale Rotherham Salford Sandwell Sefton Sheffield "
    "Shropshire Slough Solihull Somerset Southampton Southend Southwark Stockport Stoke "
    "Suffolk Sunderland Swindon Tameside Telford Torbay Trafford Wakefield Walsall Wigan "
    "Wirral Wolverhampton Worcester York"
).split()
SERVICES = ("health", "schools", "policing", "housing", "employment", "skills", "probation")
VOICES = (
    "{place} {service} council forwards this. ",
    "Members of the {place} council agreed: ",
    "",
    "After a round in {place}, ",
    "Citizens and staff in {place} say: ",
)
SYLLABLES = (
    "ba be bi bo ka ke ko la le li lo ma me mi mo na ne no ra re ri ro sa se ta te to va vi".split()
)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _pools() -> dict[str, dict[str, list[str]]]:
    topics: dict[str, list[dict]] = {}
    for row in json.loads(DATA.read_text()):
        topics.setdefault(row["topic"], []).append(row)
    return {
        t: {
            "titles": [r["title"] for r in rows],
            "sentences": [s for r in rows for s in _sentences(r["body"])],
            "themes": sorted({tag for r in rows for tag in r["themes"]}),
        }
        for t, rows in sorted(topics.items())
    }


def _proposal(rng: random.Random, pools: dict, topic: str, ident: str) -> dict:
    names = list(pools)
    pool = pools[topic]
    place = rng.choice(PLACES)
    body = rng.choice(VOICES).format(place=place, service=rng.choice(SERVICES))
    sentences = rng.sample(pool["sentences"], rng.randint(1, 3))
    if rng.random() < 0.1:  # a proposal that touches two topics
        sentences.append(rng.choice(pools[rng.choice(names)]["sentences"]))
    themes = rng.sample(pool["themes"], rng.randint(1, 2))
    if rng.random() < 0.15:  # a tag borrowed from a neighbouring topic
        themes.append(rng.choice(pools[names[(names.index(topic) + 1) % len(names)]]["themes"]))
    title = rng.choice(pool["titles"])
    if rng.random() < 0.3:
        title = f"{title} ({place})"
    body += " ".join(sentences)
    return {"id": ident, "topic": topic, "title": title, "body": body, "themes": themes}


def synthetic_inbox(size: int, seed: int = SEED) -> list[dict]:
    """``size`` proposals recombined from the labelled data set."""
    rng = random.Random(seed)
    pools = _pools()
    names = list(pools)
    return [_proposal(rng, pools, rng.choice(names), f"syn-{seed}-{n}") for n in range(size)]


def many_cluster_inbox(
    size: int, clusters: int, seed: int = SEED, item_seed: int | None = None
) -> tuple[list[dict], dict]:
    """``size`` proposals in ``clusters`` groups with words of their own, and their keys.
    The groups follow ``seed``; the proposals follow ``item_seed`` (default ``seed``)."""
    rng = random.Random(seed)
    pools = _pools()
    names = list(pools)
    groups = []
    for _ in range(clusters):
        words = ["".join(rng.sample(SYLLABLES, 3)).capitalize() for _ in range(4)]
        groups.append((rng.choice(names), words))
    if item_seed is not None:
        rng = random.Random(item_seed)
    items, keys = [], {}
    for n in range(size):
        key = rng.randrange(clusters)
        topic, words = groups[key]
        item = _proposal(rng, pools, topic, f"many-{seed}-{item_seed}-{n}")
        item["title"] = f"{words[0]} {words[1]}: {item['title']}"
        item["body"] += f" The {words[0]} {rng.choice(words[2:])} scheme."
        item["themes"].append(f"{words[0]}-{words[1]}".lower())
        items.append(item)
        keys[item["id"]] = key
    return items, keys


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(name: str, index, fresh: list[dict], extra: dict) -> dict:
    vocabulary: dict[str, int] = {}
    baseline_ms = []
    for item in fresh:
        started = time.perf_counter()
        for word in tokenize(item["title"] + " " + item["body"]):
            vocabulary.get(word)
        baseline_ms.append((time.perf_counter() - started) * 1000)
    assign_ms = []
    merges = 0
    for item in fresh:
        started = time.perf_counter()
        placement = assign(item, index)
        assign_ms.append((time.perf_counter() - started) * 1000)
        merges += len(placement.absorbed)
    value = statistics.median(assign_ms)
    baseline = statistics.median(baseline_ms)
    return {
        "name": name,
        "value": round(value, 3),
        "unit": "ms",
        "target": TARGET_MS,
        "baseline": round(baseline, 4),
        "ratio": round(value / baseline, 1) if baseline else None,
        "lost": None,
        "duplicated": None,
        "pass": value < TARGET_MS,
        "p95_ms": round(_percentile(assign_ms, 0.95), 3),
        "max_ms": round(max(assign_ms), 3),
        "samples": len(fresh),
        "merges_during_run": merges,
        **extra,
    }


def run(quick: bool) -> list[dict]:
    size = 10_000 if quick else 100_000
    items = synthetic_inbox(size)
    assign_all_s = None
    if quick:
        # Quick mode skips the one-by-one pass: the inbox is restored from its topics,
        # which is what that pass makes of it (24 topics -> 23 to 25 clusters).
        topics = sorted({item["topic"] for item in items})
        keys = {item["id"]: topics.index(item["topic"]) for item in items}
    else:
        started = time.perf_counter()
        keys = build_index(items).assignments()
        assign_all_s = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    index = build_index(items, keys)
    restore_s = time.perf_counter() - started
    first = _measure(
        "clustering_assign_one",
        index,
        synthetic_inbox(SAMPLES, seed=SEED + 1),
        {
            "index_items": size,
            "quick": quick,
            "clusters": len(index.clusters()),
            "build_index_assign_all_s": assign_all_s,
            "build_index_restore_s": round(restore_s, 2),
        },
    )
    del index, items

    clusters = 500 if quick else 5_000
    items, keys = many_cluster_inbox(size, clusters)
    index = build_index(items, keys)
    # The same groups, new proposals (and new ids).
    fresh, _ = many_cluster_inbox(SAMPLES, clusters, item_seed=SEED + 1)
    second = _measure(
        "clustering_assign_one_many_clusters",
        index,
        fresh,
        {"index_items": size, "quick": quick, "clusters": clusters},
    )
    return [first, second]
