"""How well a clustering matches labelled topics: the adjusted Rand index and pairwise
precision / recall / F1. Used by ``bench/wl_clustering.py`` and the clustering tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


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
