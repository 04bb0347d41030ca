"""Upward targets, cascade sets, cluster aggregates and consultation aggregation
(participate.core.cascade): plain rules, no app."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participate.core import cascade, forum_graph

NODES = [
    ("health-england", "nation", "health"),
    ("health-north-west", "region", "health"),
    ("health-yorkshire", "region", "health"),
    ("health-manchester", "local", "health"),
    ("health-salford", "local", "health"),
    ("health-leeds", "local", "health"),
    ("schools-england", "nation", "schools"),
    ("schools-manchester", "local", "schools"),
    ("forum-manchester", "local", None),
]
LINKS = [
    ("health-north-west", "health-england", "reports_to"),
    ("health-yorkshire", "health-england", "reports_to"),
    ("health-manchester", "health-north-west", "reports_to"),
    ("health-salford", "health-north-west", "reports_to"),
    ("health-leeds", "health-yorkshire", "reports_to"),
    ("health-manchester", "forum-manchester", "ringmaster"),
    ("schools-manchester", "schools-england", "reports_to"),
    ("schools-manchester", "forum-manchester", "ringmaster"),
]


@pytest.fixture(scope="module")
def graph():
    return forum_graph.build_graph(NODES, LINKS)


def test_forward_targets_are_the_parents_reports_to_first(graph):
    assert cascade.forward_targets(graph, "health-manchester") == [
        ("health-north-west", "reports_to"),
        ("forum-manchester", "ringmaster"),
    ]
    assert cascade.forward_targets(graph, "health-north-west") == [("health-england", "reports_to")]
    assert cascade.forward_targets(graph, "health-england") == []


def test_forward_choices_offer_every_ancestor_direct_parents_first(graph):
    choices = cascade.forward_choices(graph, "health-manchester")
    assert [(c.slug, c.kind, c.skipped) for c in choices] == [
        ("health-north-west", "reports_to", ()),
        ("forum-manchester", "ringmaster", ()),
        ("health-england", "reports_to", ("health-north-west",)),
    ]
    assert [c.direct for c in choices] == [True, True, False]
    assert [c.slug for c in cascade.forward_choices(graph, "schools-manchester")] == [
        "schools-england",
        "forum-manchester",
    ]
    assert cascade.forward_choices(graph, "health-england") == []


def test_a_level_reached_only_through_a_place_forum_is_a_ringmaster_choice():
    graph = forum_graph.build_graph(
        [*NODES, ("forum-north-west", "region", None)],
        [*LINKS, ("forum-manchester", "forum-north-west", "reports_to")],
    )
    choices = cascade.forward_choices(graph, "health-manchester")
    assert [c.slug for c in choices] == [
        "health-north-west",
        "forum-manchester",
        "forum-north-west",
        "health-england",
    ]
    assert (choices[2].kind, choices[2].skipped) == ("ringmaster", ("forum-manchester",))


def test_check_targets_names_councils_by_name_where_given(graph):
    names = {"health-manchester": "Health council, Manchester", "health-england": "NHS England"}
    with pytest.raises(cascade.FlowError) as error:
        cascade.check_targets(graph, "health-manchester", ["schools-england"], names)
    message = error.value.message
    assert "schools-england is not above Health council, Manchester (health-manchester)" in message
    assert "NHS England (health-england)" in message and "forum-manchester, " in message


def test_check_targets_accepts_any_ancestor_and_names_the_choices(graph):
    assert cascade.check_targets(
        graph, "health-manchester", ["forum-manchester", "forum-manchester"]
    ) == ["forum-manchester"]
    assert cascade.check_targets(graph, "health-manchester", ["health-england"]) == [
        "health-england"
    ]
    for wrong in ("health-salford", "schools-england", "health-yorkshire"):
        with pytest.raises(cascade.FlowError) as error:
            cascade.check_targets(graph, "health-manchester", [wrong])
        assert error.value.code == "not_a_parent"
        assert wrong in error.value.message and "not above health-manchester" in error.value.message
        assert "health-north-west, forum-manchester, health-england" in error.value.message
    with pytest.raises(cascade.FlowError) as error:
        cascade.check_targets(graph, "health-manchester", [])
    assert error.value.code == "no_target"
    with pytest.raises(cascade.FlowError) as error:
        cascade.check_targets(graph, "health-england", ["x"])
    assert error.value.code == "no_parent"


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "subsidiarity_required"),
        ("   ", "subsidiarity_required"),
        ("too short", "subsidiarity_too_short"),
        ("x" * 6000, "subsidiarity_too_long"),
    ],
)
def test_subsidiarity_statement_is_required(text, code):
    with pytest.raises(cascade.FlowError) as error:
        cascade.check_subsidiarity(text)
    assert error.value.code == code and error.value.field == "subsidiarity"


def test_subsidiarity_statement_is_trimmed():
    assert cascade.check_subsidiarity("  Set by the national contract, not by us.  ") == (
        "Set by the national contract, not by us."
    )


def test_cascade_reaches_every_descendant_higher_levels_first(graph):
    assert cascade.cascade(graph, "health-england") == [
        "health-north-west",
        "health-yorkshire",
        "health-leeds",
        "health-manchester",
        "health-salford",
    ]
    # A place forum is a parent of local councils, not below the national council.
    assert "forum-manchester" not in cascade.cascade(graph, "health-england")
    assert cascade.cascade(graph, "forum-manchester") == ["health-manchester", "schools-manchester"]
    assert cascade.cascade(graph, "health-leeds") == []


def test_cascade_equals_the_networkx_descendant_set_on_a_large_network():
    from participate.seed.geography import structure

    data = structure(5)
    graph = forum_graph.build_graph(
        [(c["slug"], _level(data, c["place"]), c.get("service")) for c in data["councils"]],
        [(link["from"], link["to"], link["kind"]) for link in data["links"]],
    )
    below = cascade.cascade(graph, "health-england")
    assert set(below) == forum_graph.descendants(graph, "health-england")
    assert len(below) == 9 + 19 * 5
    assert all(slug.startswith("health-") for slug in below)


def _level(data, place):
    return next(p["level"] for p in data["places"] if p["slug"] == place)


T0 = datetime(2026, 1, 1)


def _row(council, place, supports, members, day, answered=False, support=None, id_=0):
    return {
        "id": id_,
        "council": council,
        "place": place,
        "region": None,
        "supports": supports,
        "members": members,
        "forwarded_at": T0 + timedelta(days=day),
        "answered": answered,
        "weighted_support": support,
    }


def test_aggregate_counts_councils_and_places_once_and_sums_supporters():
    rows = [
        _row(1, 10, {"citizen": 3, "employee": 1}, {"citizen": 10, "employee": 5}, 0, support=0.7),
        _row(1, 10, {"citizen": 2}, {"citizen": 10, "employee": 5}, 3, answered=True, id_=1),
        _row(2, 11, {"leader": 1}, {"citizen": 4, "leader": 2}, 1, support=0.5, id_=2),
    ]
    agg = cascade.aggregate(rows)
    assert agg["size"] == 3 and agg["councils"] == 2 and agg["places"] == 2
    assert agg["supporters"]["citizen"] == 5 and agg["supporters_total"] == 7
    # A council's members count once per cluster.
    assert agg["members"] == {"citizen": 14, "employee": 5, "leader": 2, "elected": 0, "partner": 0}
    assert agg["first_at"] == T0 and agg["last_at"] == T0 + timedelta(days=3)
    assert agg["unanswered"] == 2 and agg["unanswered_since"] == T0
    assert agg["tallied"] == 2 and agg["support_sum"] == pytest.approx(1.2)
    expected = (5 + 1) / (14 + 2) * (1 + 1) / (5 + 2) * (1 + 1) / (2 + 2)
    assert agg["bridging"] == pytest.approx(expected)


def test_bridging_ranks_support_across_constituencies_above_one_group():
    members = {"citizen": 10, "employee": 10, "leader": 10}
    one_group = cascade.bridging({"citizen": 9}, members)
    spread = cascade.bridging({"citizen": 3, "employee": 3, "leader": 3}, members)
    assert spread > one_group


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 5), st.integers(0, 30), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_incremental_aggregate_equals_the_batch_aggregate(rows):
    built = [
        _row(c, c * 10, {"citizen": s}, {"citizen": 20, "employee": 3}, day, answered=a, id_=i)
        for i, (c, s, day, a) in enumerate(rows)
    ]
    agg = cascade.empty_aggregate()
    seen_councils, seen_places = set(), set()
    for row in sorted(built, key=lambda r: (r["forwarded_at"], r["id"])):
        agg = cascade.add_to_aggregate(
            agg,
            row,
            new_council=row["council"] not in seen_councils,
            new_place=row["place"] not in seen_places,
        )
        seen_councils.add(row["council"])
        seen_places.add(row["place"])
    assert agg == cascade.aggregate(built)


def test_turnout_weight_is_the_mean_constituency_turnout():
    tally = {
        "constituencies": {
            "citizen": {"eligible": 10, "voted": 5, "turnout": 0.5},
            "employee": {"eligible": 4, "voted": 4, "turnout": 1.0},
            "leader": {"eligible": 0, "voted": 0, "turnout": None},
        }
    }
    assert cascade.turnout_weight(tally) == pytest.approx(0.75)
    assert cascade.turnout_weight(None) is None
    assert cascade.turnout_weight({"constituencies": {}}) is None


def test_aggregate_positions_by_stance_level_region_and_weight():
    positions = [
        {"stance": "support", "level": "local", "region": "north-west", "weight": 0.8},
        {"stance": "support", "level": "region", "region": "north-west", "weight": None},
        {"stance": "amend", "level": "local", "region": "yorkshire", "weight": 0.2},
        {"stance": "oppose", "level": "local", "region": "yorkshire", "weight": 0.0},
    ]
    agg = cascade.aggregate_positions(
        positions, {"level": {"region": 2, "local": 6}, "region": {"north-west": 4, "yorkshire": 4}}
    )
    assert agg["councils"] == 8 and agg["responded"] == 4 and agg["response_rate"] == 0.5
    assert agg["by_stance"] == {"support": 2, "oppose": 1, "amend": 1}
    assert agg["weighted_shares"]["support"] == pytest.approx(0.8)
    assert agg["weighted_shares"]["amend"] == pytest.approx(0.2)
    assert agg["unweighted"] == 1
    assert list(agg["by_level"]) == ["region", "local"]
    assert agg["by_level"]["local"] == {
        "councils": 6,
        "responded": 3,
        "support": 1,
        "oppose": 1,
        "amend": 1,
    }
    assert agg["by_region"]["north-west"]["support"] == 2
    assert agg["leading"] == "support"


def test_aggregate_positions_with_nothing_yet():
    agg = cascade.aggregate_positions([], {"level": {"local": 3}})
    assert agg["responded"] == 0 and agg["leading"] is None and agg["response_rate"] == 0


def test_aggregate_positions_refuses_an_unknown_stance():
    with pytest.raises(ValueError):
        cascade.aggregate_positions([{"stance": "maybe", "level": "local", "region": None}])


@pytest.mark.parametrize(
    "stance, text, code",
    [
        ("maybe", "", "bad_stance"),
        ("amend", "", "text_required"),
        ("oppose", "no", "text_required"),
    ],
)
def test_positions_need_a_stance_and_text_where_it_matters(stance, text, code):
    with pytest.raises(cascade.FlowError) as error:
        cascade.check_position(stance, text)
    assert error.value.code == code


def test_support_needs_no_text():
    assert cascade.check_position("support", "  ") == ("support", "")


def test_consultation_state():
    closes = T0 + timedelta(days=30)
    assert cascade.consultation_state(closes, T0) == "open"
    assert cascade.consultation_state(closes, closes) == "closed"
    assert cascade.consultation_state(closes, T0, adopted_at=closes) == "adopted"


def test_tally_summary_keeps_the_constituency_figures():
    result = {
        "method": "binary",
        "passed": True,
        "weighted_support": 0.75,
        "minority": ["leader"],
        "constituencies": {
            "citizen": {
                "eligible": 3,
                "voted": 3,
                "turnout": 1.0,
                "support": 1.0,
                "counts": True,
                "secret": "x",
            }
        },
    }
    summary = cascade.tally_summary(result)
    assert summary["passed"] is True and summary["minority"] == ["leader"]
    assert summary["constituencies"]["citizen"]["turnout"] == 1.0
    assert "secret" not in summary["constituencies"]["citizen"]
    assert cascade.tally_summary(None) is None


def test_cascade_of_random_dags_is_the_descendant_set():
    rng = random.Random(5)
    nodes = (
        [("n", "nation", "s")]
        + [(f"r{i}", "region", "s") for i in range(4)]
        + [(f"l{i}", "local", "s") for i in range(20)]
    )
    links = [(f"r{i}", "n", "reports_to") for i in range(4)] + [
        (f"l{i}", f"r{rng.randrange(4)}", "reports_to") for i in range(20)
    ]
    graph = forum_graph.build_graph(nodes, links)
    for slug in ("n", "r0", "r1"):
        assert set(cascade.cascade(graph, slug)) == forum_graph.descendants(graph, slug)
