"""The arithmetic of batch counting and the geometry of the signatures chart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participate.core import petitions as rules
from participate.core import signature_batches, signature_chart

T0 = datetime(2026, 3, 1, 9, 30)


@pytest.mark.parametrize(
    ("refreshed", "now", "stale"),
    [
        (None, T0, True),
        (T0, T0, False),
        (T0, T0 + timedelta(seconds=1.9), False),
        (T0, T0 + timedelta(seconds=2), True),
        (T0, T0 + timedelta(hours=1), True),
    ],
)
def test_a_counter_is_stale_after_the_batch_interval(refreshed, now, stale):
    assert signature_batches.is_stale(refreshed, now) is stale


@pytest.mark.parametrize(
    ("cached", "threshold", "near"),
    [(0, 100, False), (74, 100, False), (75, 100, True), (99, 100, True), (100, 100, False)],
)
def test_near_threshold_is_within_the_margin_and_below(cached, threshold, near):
    assert signature_batches.near_threshold(cached, threshold, margin=25) is near
    assert signature_batches.near_threshold(cached, None) is False


def test_merge_counts_adds_and_drops_zeroes():
    assert signature_batches.merge_counts(
        {"citizen": 3, "employee": 1}, {"citizen": 2, "employee": -1}
    ) == {"citizen": 5}


def test_summarise_batch_folds_rows_into_dimensions():
    batch = signature_batches.summarise_batch(
        [
            signature_batches.BatchRow("citizen", 7, "2026-03-01 09", 4),
            signature_batches.BatchRow("employee", 7, "2026-03-01 10", 1),
            signature_batches.BatchRow("citizen", 8, "2026-03-01 10", 2),
            signature_batches.BatchRow("citizen", 8, "2026-03-01 10", 0),
        ]
    )
    assert batch.total == 7
    assert batch.by["constituency"] == {"citizen": 6, "employee": 1}
    assert batch.by["place"] == {"7": 5, "8": 2}
    assert batch.by["hour"] == {"2026-03-01 09": 4, "2026-03-01 10": 3}


def test_tally_changes_lists_every_difference():
    stored = {"constituency": {"citizen": 5}, "place": {"7": 5}, "hour": {}}
    true = {"constituency": {"citizen": 4, "employee": 1}, "place": {"7": 5}, "hour": {}}
    assert signature_batches.tally_changes(stored, true) == [
        ("constituency", "citizen", 5, 4),
        ("constituency", "employee", 0, 1),
    ]
    assert signature_batches.tally_changes(true, true) == []


@pytest.mark.parametrize(
    ("previous", "total", "threshold", "expected"),
    [
        (0, 9, None, []),
        (0, 10, None, [(10, 10)]),
        (5, 200, None, [(10, 5), (100, 95)]),
        (95, 10, 100, [(100, 5)]),
        (5680, 20, 5690, [(5690, 10)]),
        (990, 20, 1000, [(1000, 10)]),
        (100, 0, 150, []),
        (100, -5, 150, []),
    ],
)
def test_milestone_positions_name_the_signature_that_crossed(previous, total, threshold, expected):
    assert (
        signature_batches.milestone_positions(
            previous, total, (10, 100, 1000, 10000), threshold=threshold
        )
        == expected
    )


@given(
    previous=st.integers(0, 20_000),
    total=st.integers(0, 20_000),
    threshold=st.integers(1, 20_000),
)
def test_milestone_positions_are_inside_the_batch(previous, total, threshold):
    for milestone, position in signature_batches.milestone_positions(
        previous, total, (10, 100, 1000, 10000), threshold=threshold
    ):
        assert 1 <= position <= total
        assert previous + position == milestone


def test_progress_is_a_share_capped_at_one():
    assert signature_batches.progress(50, 200) == 0.25
    assert signature_batches.progress(500, 200) == 1.0
    assert signature_batches.progress(5, None) == 0.0


@pytest.mark.parametrize(
    ("value", "sort"),
    [
        ("newest", "newest"),
        ("closing_soon", "closing_soon"),
        ("bogus", "most_signed"),
        (None, "most_signed"),
    ],
)
def test_unknown_sorts_fall_back_to_most_signed(value, sort):
    assert rules.sort_or_default(value) == sort


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (timedelta(hours=5), "hour"),
        (timedelta(days=3), "hour"),
        (timedelta(days=10), "day"),
        (timedelta(days=120), "day"),
        (timedelta(days=180), "week"),
    ],
)
def test_the_chart_step_follows_the_span(span, step):
    assert signature_chart.choose_step(span) == step


def test_cumulative_series_fills_empty_steps_and_runs_a_total():
    hourly = {"2026-03-01 09": 3, "2026-03-03 14": 2, "2026-03-05 08": 5}
    step, series = signature_chart.cumulative_series(hourly, T0, T0 + timedelta(days=5))
    assert step == "day"
    assert [s[0].day for s in series] == [1, 2, 3, 4, 5, 6]
    assert [s[1] for s in series] == [3, 0, 2, 0, 5, 0]
    assert [s[2] for s in series] == [3, 3, 5, 5, 10, 10]


def test_weekly_steps_start_on_mondays():
    hourly = {"2026-03-04 09": 1}  # a Wednesday
    step, series = signature_chart.cumulative_series(hourly, T0, T0 + timedelta(days=200))
    assert step == "week"
    assert all(moment.weekday() == 0 for moment, _a, _c in series)
    assert sum(a for _m, a, _c in series) == 1


@pytest.mark.parametrize(
    ("value", "nice"), [(0, 1), (1, 1), (7, 10), (101, 200), (5690 * 1.05, 10000), (2400, 2500)]
)
def test_nice_ceiling(value, nice):
    assert signature_chart.nice_ceiling(value) == nice


def test_chart_geometry_scales_to_the_threshold():
    hourly = {"2026-03-01 09": 40, "2026-03-02 09": 60}
    chart = signature_chart.chart(hourly, T0, T0 + timedelta(days=4), threshold=500)
    left, top, right, bottom = chart.plot
    assert chart.total == 100
    assert chart.step == "day"
    points = [tuple(map(float, p.split(","))) for p in chart.points.split()]
    assert points[0][0] == left and points[-1][0] == right
    assert all(top <= y <= bottom for _x, y in points)
    # the line rises and never falls
    ys = [y for _x, y in points]
    assert ys == sorted(ys, reverse=True)
    # y axis goes to a round number above the threshold; the threshold line is inside it
    assert chart.y_ticks[-1].label == "1,000"
    assert chart.threshold_y is not None and top < chart.threshold_y < bottom
    assert chart.area.startswith("M") and chart.area.endswith("Z")
    assert len(chart.x_ticks) <= 6


def test_chart_of_a_new_petition_is_a_flat_line():
    chart = signature_chart.chart({}, T0, T0, threshold=100)
    assert chart.total == 0
    assert len(chart.points.split()) == 2
    assert chart.series[0][2] == 0
