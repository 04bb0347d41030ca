"""Shared-ownership tallies (DESIGN §3): hand-computed cases, published Schulze
examples, the ballot-file contract and properties checked against a naive reference."""

from __future__ import annotations

import copy
import json
import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from participate.core.ballot_file import (
    BallotFile,
    BallotFileError,
    parse_ballot_file,
    tally_ballot_file,
)
from participate.core.tally import (
    BINARY_CHOICES,
    CONSTITUENCIES,
    METHODS,
    Rules,
    strongest_paths,
    tally_binary,
    tally_consent,
    tally_schulze,
)

ONE = Rules(quorum=0.1, min_constituencies=1)


def binary(counts, eligible, weights=None, **rules):
    """tally_binary with counts given as (yes, no, abstain) triples."""
    grouped = {c: dict(zip(BINARY_CHOICES, triple, strict=True)) for c, triple in counts.items()}
    return tally_binary(grouped, eligible, weights or {}, Rules(**rules))


def plain_schulze(votes, options=None, **rules):
    """One constituency of weight 1: plain Schulze on (count, "ACB") pairs."""
    grouped: dict[tuple[str, ...], int] = {}
    for count, order in votes:
        grouped[tuple(order)] = grouped.get(tuple(order), 0) + count
    voters = sum(grouped.values())
    options = options or sorted({o for _count, order in votes for o in order})
    rules = Rules(**({"min_constituencies": 1} | rules))
    return tally_schulze(options, {"citizen": grouped}, {"citizen": voters}, {"citizen": 1}, rules)


def file_from(method, ballots, constituencies, options=None, rules=None):
    """A ballot file; ballots are (constituency, choice-or-ranking) pairs."""
    key = "ranking" if method == "schulze" else "choice"
    data = {
        "method": method,
        "rules": rules if rules is not None else {"quorum": 0.1, "min_constituencies": 1},
        "constituencies": constituencies,
        "ballots": [
            {"constituency": c, "receipt": f"r{i:05d}", key: list(v) if key == "ranking" else v}
            for i, (c, v) in enumerate(ballots)
        ],
    }
    if options is not None:
        data["options"] = list(options)
    return data


# --- constants and rules ------------------------------------------------------------------


def test_constants():
    assert CONSTITUENCIES == ("citizen", "employee", "leader", "elected", "partner")
    assert METHODS == ("binary", "schulze", "consent")
    assert BINARY_CHOICES == ("yes", "no", "abstain")


def test_rules_defaults_and_round_trip():
    assert Rules() == Rules(0.1, 0.5, 2, False)
    assert Rules.from_dict({}) == Rules()
    rules = Rules.from_dict({"quorum": 0, "threshold": 1, "concurrent_majority": True})
    assert rules.to_dict() == {
        "quorum": 0,
        "threshold": 1,
        "min_constituencies": 2,
        "concurrent_majority": True,
    }
    assert Rules.from_dict(rules.to_dict()) == rules


@pytest.mark.parametrize(
    "data, message",
    [
        ({"quorum": 1.5}, "rules.quorum must be a number between 0 and 1"),
        ({"quorum": -0.1}, "rules.quorum must be a number between 0 and 1"),
        ({"threshold": "2/3"}, "rules.threshold must be a number between 0 and 1"),
        ({"threshold": float("nan")}, "rules.threshold must be a number between 0 and 1"),
        ({"quorum": True}, "rules.quorum must be a number between 0 and 1"),
        ({"min_constituencies": 1.0}, "rules.min_constituencies must be a whole number"),
        ({"min_constituencies": 6}, "rules.min_constituencies must be a whole number"),
        ({"concurrent_majority": "yes"}, "rules.concurrent_majority must be true or false"),
        ({"treshold": 0.5}, "rules.treshold is not a rule"),
        ([], "rules must be an object"),
    ],
)
def test_rules_refuse_bad_values(data, message):
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.")):
        Rules.from_dict(data)


# --- binary: hand-computed ----------------------------------------------------------------

# citizen: 40 of 100 voted, s = 30/40 = 3/4; employee: 25 of 50 voted, s = 10/25 = 2/5.
TWO = {"citizen": (30, 10, 0), "employee": (10, 15, 0)}
TWO_ELIGIBLE = {"citizen": 100, "employee": 50}


def test_binary_equal_weights_pass():
    result = binary(TWO, TWO_ELIGIBLE)
    # S = (3/4 + 2/5) / 2 = 23/40
    assert result["passed"] is True
    assert result["weighted_support"] == 0.575
    assert result["counting"] == 2
    assert result["reasons"] == []
    assert result["minority"] == ["employee"]
    citizen = result["constituencies"]["citizen"]
    assert citizen == {
        "eligible": 100,
        "voted": 40,
        "turnout": 0.4,
        "counts": True,
        "weight": 1.0,
        "note": None,
        "yes": 30,
        "no": 10,
        "abstain": 0,
        "support": 0.75,
        "majority": "yes",
    }
    assert result["constituencies"]["employee"]["majority"] == "no"


def test_binary_weights_change_the_outcome():
    result = binary(TWO, TWO_ELIGIBLE, {"citizen": 1, "employee": 3})
    # S = (3/4 + 3 * 2/5) / 4 = 39/80
    assert result["passed"] is False
    assert result["weighted_support"] == 0.4875
    assert result["reasons"] == ["weighted support 48.75% is not above the 50% threshold"]
    assert result["minority"] == ["citizen"]  # its majority (yes) lost


def test_binary_constituency_below_quorum_is_left_out():
    counts = TWO | {"leader": (0, 9, 0)}  # 9 of 100: 9% < 10%
    result = binary(counts, TWO_ELIGIBLE | {"leader": 100})
    assert result["passed"] is True
    assert result["weighted_support"] == 0.575
    leader = result["constituencies"]["leader"]
    assert leader["counts"] is False and leader["turnout"] == 0.09
    assert leader["note"] == "turnout 9% is below the 10% quorum"
    assert "leader" not in result["minority"]


def test_binary_quorum_is_exact():
    # 10 of 100 is exactly the 0.1 quorum (the float 0.1 is a hair above 1/10).
    result = binary(TWO | {"leader": (0, 10, 0)}, TWO_ELIGIBLE | {"leader": 100})
    assert result["constituencies"]["leader"]["counts"] is True
    assert result["weighted_support"] == pytest.approx((0.75 + 0.4 + 0) / 3)
    # 7 of 30 reaches a 0.7/3 quorum only with exact arithmetic.
    result = binary({"citizen": (7, 0, 0)}, {"citizen": 30}, quorum=7 / 30, min_constituencies=1)
    assert result["constituencies"]["citizen"]["counts"] is True


def test_binary_min_constituencies_failure():
    result = binary({"citizen": (30, 10, 0), "employee": (1, 0, 0)}, TWO_ELIGIBLE)
    assert result["passed"] is False
    assert result["counting"] == 1
    assert result["reasons"] == [
        "only 1 constituency counts; 2 are required (employee: turnout 2% is below the 10% quorum)"
    ]
    assert result["minority"] == ["citizen"]


def test_binary_concurrent_majority_veto():
    result = binary(TWO, TWO_ELIGIBLE, concurrent_majority=True)
    assert result["passed"] is False
    assert result["reasons"] == ["concurrent majority: employee support 40% is not above 50%"]
    assert result["minority"] == ["citizen"]
    # a constituency below quorum has no veto
    counts = {"citizen": (30, 10, 0), "employee": (10, 5, 0), "leader": (0, 5, 0)}
    result = binary(counts, TWO_ELIGIBLE | {"leader": 100}, concurrent_majority=True)
    assert result["passed"] is True and result["minority"] == []


def test_binary_minority_flags_only_the_losing_side():
    # passed: employee (2/5) lost; failed: citizen (3/4) lost. A tie (1/2) never lost.
    counts = TWO | {"leader": (5, 5, 0)}
    eligible = TWO_ELIGIBLE | {"leader": 20}
    passed = binary(counts, eligible)
    assert passed["passed"] and passed["minority"] == ["employee"]
    assert passed["constituencies"]["leader"]["majority"] == "tied"
    failed = binary(counts, eligible, threshold=0.6)
    assert not failed["passed"] and failed["minority"] == ["citizen"]


def test_binary_zero_eligible_and_all_abstain():
    counts = TWO | {"leader": (0, 0, 20)}
    result = binary(counts, TWO_ELIGIBLE | {"leader": 20, "partner": 0})
    partner = result["constituencies"]["partner"]
    assert partner["turnout"] is None and partner["support"] is None
    assert partner["counts"] is False and partner["note"] == "no eligible members"
    leader = result["constituencies"]["leader"]
    assert leader["support"] is None and leader["counts"] is False
    assert leader["note"] == "only abstentions: no support figure"
    assert result["weighted_support"] == 0.575 and result["counting"] == 2
    nobody = binary({}, {"citizen": 0, "employee": 0})
    assert nobody["passed"] is False and nobody["weighted_support"] == 0.0
    assert nobody["counting"] == 0


def test_binary_weight_zero_publishes_but_does_not_count():
    counts = TWO | {"partner": (0, 10, 0)}
    result = binary(
        counts, TWO_ELIGIBLE | {"partner": 10}, {"partner": 0}, concurrent_majority=True
    )
    partner = result["constituencies"]["partner"]
    assert partner["counts"] is False and partner["support"] == 0.0
    assert result["counting"] == 2
    assert result["reasons"] == ["concurrent majority: employee support 40% is not above 50%"]


def test_binary_threshold_is_strict_and_exact():
    # S exactly 2/3 does not pass a 2/3 threshold, though float(2/3) < 2/3.
    result = binary({"citizen": (2, 1, 0)}, {"citizen": 3}, threshold=2 / 3, min_constituencies=1)
    assert result["passed"] is False
    assert result["reasons"] == ["weighted support 66.6667% is not above the 66.6667% threshold"]
    assert binary({"citizen": (2, 1, 0)}, {"citizen": 3}, threshold=0.66, min_constituencies=1)[
        "passed"
    ]
    # S = (0.1*1 + 0.2*1 + 0.6*1/4) / 0.9 = 1/2 exactly; in floats it is 0.5000000000000001.
    counts = {"citizen": (1, 0, 0), "employee": (1, 0, 0), "leader": (1, 3, 0)}
    eligible = {"citizen": 1, "employee": 1, "leader": 4}
    weights = {"citizen": 0.1, "employee": 0.2, "leader": 0.6}
    result = binary(counts, eligible, weights)
    assert result["weighted_support"] == 0.5 and result["passed"] is False


def test_binary_refuses_inconsistent_counts():
    with pytest.raises(ValueError, match="11 ballots for 10 eligible"):
        binary({"citizen": (11, 0, 0)}, {"citizen": 10})
    with pytest.raises(ValueError, match="'guest' is not one of"):
        binary({}, {"guest": 10})
    with pytest.raises(ValueError, match="has ballots but no eligible count"):
        binary({"leader": (1, 0, 0)}, {"citizen": 10})
    with pytest.raises(ValueError, match="'maybe' is not one of yes, no, abstain"):
        tally_binary({"citizen": {"maybe": 1}}, {"citizen": 10}, {}, Rules())
    with pytest.raises(ValueError, match="weights"):
        binary({}, {"citizen": 10}, {"citizen": -1})


# --- consent ------------------------------------------------------------------------------


def test_consent_passes_without_objection_and_fails_on_one():
    eligible = {"citizen": 10, "employee": 5}
    ok = tally_consent({}, {"citizen": 4, "employee": 1}, eligible)
    assert ok["passed"] is True and ok["objections"] == 0 and ok["consents"] == 5
    assert ok["minority"] == [] and ok["reasons"] == []
    assert ok["constituencies"]["citizen"] == {
        "eligible": 10,
        "voted": 4,
        "turnout": 0.4,
        "objections": 0,
        "consents": 4,
    }
    blocked = tally_consent({"employee": 1}, {"citizen": 4, "employee": 0}, eligible)
    assert blocked["passed"] is False
    assert blocked["minority"] == ["citizen"]
    assert blocked["reasons"] == ["1 objection was lodged (employee 1)"]


def test_consent_ballot_file():
    data = file_from(
        "consent",
        [("citizen", "consent"), ("leader", "object")],
        {
            "citizen": {"eligible": 3},
            "leader": {"eligible": 2},
        },
    )
    result = tally_ballot_file(data)
    assert result["passed"] is False and result["objections"] == 1


# --- Schulze: published examples ----------------------------------------------------------

WIKIPEDIA = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


def test_schulze_wikipedia_example():
    result = plain_schulze(WIKIPEDIA)
    assert result["winner"] == "E"
    assert result["ranking"] == ["E", "A", "C", "B", "D"]
    assert result["ties"] == [] and result["minority"] == [] and result["decided"] is True
    # d[A][B] = 20 of 45 voters, d[B][A] = 25 of 45 (the article's matrix)
    assert result["pairwise"]["A"]["B"] == round(20 / 45, 6)
    assert result["pairwise"]["B"]["A"] == round(25 / 45, 6)
    assert result["pairwise"]["E"]["D"] == round(31 / 45, 6)
    assert result["constituencies"]["citizen"]["winners"] == ["E"]


def test_schulze_strongest_paths_match_the_article():
    index = "ABCDE"
    d = [[0] * 5 for _ in range(5)]
    for count, order in WIKIPEDIA:
        for i, a in enumerate(order):
            for b in order[i + 1 :]:
                d[index.index(a)][index.index(b)] += count
    p = strongest_paths(d)
    assert p == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]


# Markus Schulze, "A new monotonic, clone-independent, reversal symmetric, and
# Condorcet-consistent single-winner election method", Social Choice and Welfare 36
# (2011), examples 2-4 (also on electowiki); example 4 ends in two ties.
@pytest.mark.parametrize(
    "votes, ranking, ties",
    [
        (
            [(5, "ACBD"), (2, "ACDB"), (3, "ADCB"), (4, "BACD"), (3, "CBDA"), (3, "CDBA"),
             (1, "DACB"), (5, "DBAC"), (4, "DCBA")],
            ["D", "A", "C", "B"],
            [],
        ),
        (
            [(3, "ABDEC"), (5, "ADEBC"), (1, "ADECB"), (2, "BADEC"), (2, "BDECA"),
             (4, "CABDE"), (6, "CBADE"), (2, "DBECA"), (5, "DECAB")],
            ["B", "A", "D", "E", "C"],
            [],
        ),
        (
            [(3, "ABCD"), (2, "DABC"), (2, "DBCA"), (2, "CBDA")],
            ["B", "D", "A", "C"],
            [["B", "D"], ["A", "C"]],
        ),
    ],
)  # fmt: skip
def test_schulze_published_examples(votes, ranking, ties):
    result = plain_schulze(votes)
    assert result["ranking"] == ranking
    assert result["ties"] == ties
    assert result["winner"] == ranking[0]


def test_schulze_tie_rule_follows_the_option_order():
    votes = [(3, "ABCD"), (2, "DABC"), (2, "DBCA"), (2, "CBDA")]
    result = plain_schulze(votes, options=["D", "C", "B", "A"])
    assert result["ranking"] == ["D", "B", "C", "A"]
    assert result["ties"] == [["D", "B"], ["C", "A"]]
    assert result["winner"] == "D"


def test_schulze_condorcet_winner():
    # B beats A 6-4 and C 7-3 head to head: the Condorcet winner wins.
    votes = [(3, "ABC"), (1, "ACB"), (4, "BCA"), (2, "CBA")]
    result = plain_schulze(votes)
    assert result["winner"] == "B"
    assert result["ranking"] == ["B", "C", "A"]


def test_schulze_unranked_options_tie_last():
    result = plain_schulze([(1, "A")], options=["A", "B", "C"])
    pairwise = result["pairwise"]
    assert pairwise["A"] == {"B": 1.0, "C": 1.0}
    assert pairwise["B"] == {"A": 0.0, "C": 0.0} and pairwise["C"]["B"] == 0.0
    assert result["ranking"] == ["A", "B", "C"] and result["ties"] == [["B", "C"]]


def test_schulze_shares_per_constituency_and_minority():
    # 90 citizens split 81/9 for A; 10 employees all for B. Raw counts favour A (81 to 19),
    # but each constituency brings its shares: d[A][B] = 0.9, d[B][A] = 0.1 + 1 = 1.1.
    grouped = {"citizen": {("A", "B"): 81, ("B", "A"): 9}, "employee": {("B", "A"): 10}}
    result = tally_schulze(["A", "B"], grouped, {"citizen": 90, "employee": 10}, {})
    assert result["winner"] == "B"
    assert result["pairwise"] == {"A": {"B": 0.9}, "B": {"A": 1.1}}
    assert result["minority"] == ["citizen"]
    assert result["constituencies"]["citizen"]["winners"] == ["A"]
    # weight 10 for citizens turns it round
    result = tally_schulze(["A", "B"], grouped, {"citizen": 90, "employee": 10}, {"citizen": 10})
    assert result["winner"] == "A" and result["minority"] == ["employee"]


def test_schulze_quorum_and_min_constituencies():
    grouped = {"citizen": {("A", "B"): 20}, "employee": {("B", "A"): 1}}
    result = tally_schulze(["A", "B"], grouped, {"citizen": 20, "employee": 50}, {})
    assert result["decided"] is False and result["winner"] is None
    assert result["counting"] == 1
    assert result["constituencies"]["employee"]["note"] == "turnout 2% is below the 10% quorum"
    assert result["reasons"] == [
        "only 1 constituency counts; 2 are required (employee: turnout 2% is below the 10% quorum)"
    ]
    assert result["pairwise"] == {"A": {"B": 1.0}, "B": {"A": 0.0}}  # employee left out
    assert result["minority"] == []
    decided = tally_schulze(["A", "B"], grouped, {"citizen": 20, "employee": 50}, {}, ONE)
    assert decided["winner"] == "A" and decided["minority"] == []


def test_schulze_exact_arithmetic_keeps_a_tie():
    # d[A][B] = 0.1 + 0.2 and d[B][A] = 0.3: a tie, though 0.1 + 0.2 > 0.3 in floats.
    grouped = {
        "citizen": {("A", "B"): 1},
        "employee": {("A", "B"): 1},
        "leader": {("B", "A"): 1},
    }
    eligible = {"citizen": 1, "employee": 1, "leader": 1}
    weights = {"citizen": 0.1, "employee": 0.2, "leader": 0.3}
    result = tally_schulze(["B", "A"], grouped, eligible, weights, ONE)
    assert result["ties"] == [["B", "A"]] and result["winner"] == "B"


def test_schulze_refuses_bad_input():
    with pytest.raises(ValueError, match="options must be 2 to 20 distinct"):
        tally_schulze(["A"], {}, {"citizen": 1}, {})
    with pytest.raises(ValueError, match="options must be 2 to 20 distinct"):
        tally_schulze(["A", "A"], {}, {"citizen": 1}, {})
    with pytest.raises(ValueError, match="names 'Z', which is not an option"):
        tally_schulze(["A", "B"], {"citizen": {("Z",): 1}}, {"citizen": 1}, {})
    with pytest.raises(ValueError, match="lists 'A' twice"):
        tally_schulze(["A", "B"], {"citizen": {("A", "A"): 1}}, {"citizen": 1}, {})
    with pytest.raises(ValueError, match="2 ballots for 1 eligible"):
        tally_schulze(["A", "B"], {"citizen": {("A",): 2}}, {"citizen": 1}, {})


# --- the ballot file ----------------------------------------------------------------------

DESIGN_EXAMPLE = {
    "method": "binary",
    "rules": {"quorum": 0.1, "threshold": 0.5, "min_constituencies": 1,
              "concurrent_majority": False},
    "constituencies": {"citizen": {"weight": 1, "eligible": 120}},
    "ballots": [
        {"constituency": "citizen", "receipt": "k3j-77a", "choice": "yes"},
        {"constituency": "citizen", "receipt": "p0q-1x2", "choice": "no"},
        {"constituency": "citizen", "receipt": "z9z-000", "choice": "yes"},
    ],
}  # fmt: skip


def test_ballot_file_binary_matches_the_grouped_tally():
    # 3 of 120 is below the 10% quorum: nothing counts, so the motion cannot pass
    result = tally_ballot_file(DESIGN_EXAMPLE)
    assert result["passed"] is False and result["weighted_support"] == 0.0
    citizen = result["constituencies"]["citizen"]
    assert (citizen["eligible"], citizen["voted"], citizen["counts"]) == (120, 3, False)
    assert citizen["support"] == round(2 / 3, 6)
    assert result == binary(
        {"citizen": (2, 1, 0)},
        {"citizen": 120},
        {"citizen": 1},
        **{"quorum": 0.1, "threshold": 0.5, "min_constituencies": 1, "concurrent_majority": False},
    )
    small = copy.deepcopy(DESIGN_EXAMPLE)
    small["constituencies"]["citizen"]["eligible"] = 12
    result = tally_ballot_file(small)
    assert result["passed"] is True and result["weighted_support"] == round(2 / 3, 6)


def test_parse_groups_identical_ballots():
    parsed = parse_ballot_file(DESIGN_EXAMPLE)
    assert isinstance(parsed, BallotFile)
    assert parsed.method == "binary" and parsed.options == ()
    assert parsed.rules == Rules(0.1, 0.5, 1, False)
    assert parsed.constituencies == {"citizen": (1.0, 120)}
    assert parsed.ballots == {("citizen", "yes"): 2, ("citizen", "no"): 1}
    ranked = file_from(
        "schulze",
        [("citizen", "AB"), ("employee", "AB"), ("citizen", "AB"), ("citizen", "")],
        {"citizen": {"eligible": 5}, "employee": {"eligible": 5, "weight": 0.5}},
        options="AB",
    )
    parsed = parse_ballot_file(ranked)
    assert parsed.options == ("A", "B")
    assert parsed.constituencies == {"citizen": (1.0, 5), "employee": (0.5, 5)}
    assert parsed.ballots == {
        ("citizen", ("A", "B")): 2,
        ("employee", ("A", "B")): 1,
        ("citizen", ()): 1,
    }


def test_ballot_file_schulze_equals_plain_schulze():
    ballots = [("citizen", order) for count, order in WIKIPEDIA for _ in range(count)]
    data = file_from("schulze", ballots, {"citizen": {"eligible": 45}}, options="ABCDE")
    assert tally_ballot_file(data) == plain_schulze(WIKIPEDIA)


def test_ballot_file_extra_keys_are_ignored_and_constituencies_ordered():
    data = copy.deepcopy(DESIGN_EXAMPLE)
    data["motion"] = {"id": 7}
    data["ballots"][0]["cast_at"] = "2026-01-01"
    data["constituencies"] = {"partner": {"eligible": 2}, "citizen": {"eligible": 12}}
    result = tally_ballot_file(data)
    assert list(result["constituencies"]) == ["citizen", "partner"]
    assert result["passed"] is True  # 3 of 12 reach the quorum


def _ballots(n=6):
    return [{"constituency": "citizen", "receipt": f"r{i}", "choice": "yes"} for i in range(n)]


def _binary_with(ballots, **changes):
    data = {
        "method": "binary",
        "constituencies": {"citizen": {"eligible": 10}, "employee": {"eligible": 2}},
        "ballots": ballots,
    }
    data.update(changes)
    return data


def _bad(index, **fields):
    ballots = _ballots()
    ballots[index] = {**ballots[index], **fields}
    return ballots


def _without(index, key):
    ballots = _ballots()
    del ballots[index][key]
    return ballots


MALFORMED_BINARY = [
    (_binary_with(_bad(4, choice="maybe")), "ballots[4]: choice 'maybe' is not one of yes, no, abstain"),
    (_binary_with(_bad(2, choice=["yes"])), "ballots[2]: choice ['yes'] is not one of yes, no, abstain"),
    (_binary_with(_bad(3, choice=None)), "ballots[3]: choice None is not one of yes, no, abstain"),
    (_binary_with(_without(1, "choice")), "ballots[1]: missing key 'choice'"),
    (_binary_with(_without(5, "constituency")), "ballots[5]: missing key 'constituency'"),
    (_binary_with(_without(0, "receipt")), "ballots[0]: missing key 'receipt'"),
    (_binary_with(_ballots()[:2] + ["yes"]), "ballots[2] must be an object"),
    (_binary_with(_ballots()[:3] + [None]), "ballots[3] must be an object"),
    (
        _binary_with(_bad(1, constituency="visitor")),
        "ballots[1]: constituency 'visitor' is not one of citizen, employee, leader, elected, partner",
    ),
    (_binary_with(_bad(2, constituency="leader")), "ballots[2]: constituency 'leader' is not listed in constituencies"),
    (_binary_with(_bad(3, receipt="r1")), "ballots[3]: receipt 'r1' was already used by ballots[1]"),
    (_binary_with(_bad(2, receipt="")), "ballots[2]: receipt must be a non-empty string"),
    (_binary_with(_bad(2, receipt=7)), "ballots[2]: receipt must be a non-empty string"),
    (
        _binary_with(_ballots(), constituencies={"citizen": {"eligible": 4}}),
        "ballots[4]: constituency 'citizen' has more ballots than its 4 eligible voters",
    ),
    (_binary_with("nope"), "ballots must be a list"),
    ({"method": "binary", "constituencies": {"citizen": {"eligible": 1}}}, "missing key 'ballots'"),
    ({"constituencies": {}, "ballots": []}, "missing key 'method'"),
    (_binary_with([], method="approval"), "method 'approval' is not one of binary, schulze, consent"),
    (_binary_with([], constituencies={}), "constituencies must be an object naming at least one"),
    (_binary_with([], constituencies={"guest": {"eligible": 1}}), "constituencies.guest is not one of"),
    (
        _binary_with([], constituencies={"citizen": {"weight": -1, "eligible": 3}}),
        "constituencies.citizen.weight must be a number >= 0",
    ),
    (
        _binary_with([], constituencies={"citizen": {"weight": "1", "eligible": 3}}),
        "constituencies.citizen.weight must be a number >= 0",
    ),
    (_binary_with([], constituencies={"citizen": {"weight": 1}}), "constituencies.citizen: missing key 'eligible'"),
    (
        _binary_with([], constituencies={"citizen": {"eligible": 2.5}}),
        "constituencies.citizen.eligible must be a whole number >= 0",
    ),
    (
        _binary_with([], constituencies={"citizen": {"eligible": 2, "wieght": 2}}),
        "constituencies.citizen.wieght is not known",
    ),
    (_binary_with([], rules={"quorum": 2}), "rules.quorum must be a number between 0 and 1"),
    ([], "the ballot file must be a JSON object"),
]  # fmt: skip


def _ranked(rankings, options=("A", "B", "C")):
    return {
        "method": "schulze",
        "options": list(options),
        "constituencies": {"citizen": {"eligible": 10}},
        "ballots": [
            {"constituency": "citizen", "receipt": f"r{i}", "ranking": r}
            for i, r in enumerate(rankings)
        ],
    }


MALFORMED_SCHULZE = [
    (_ranked([["A"], ["B", "A"], ["A", "Z"], ["Q"]]), "ballots[2]: ranking names 'Z', which is not an option"),
    (_ranked([["A"], ["B"], ["C"], ["C", "B"], ["A", "B", "A"]]), "ballots[4]: ranking lists 'A' twice"),
    (_ranked([["A"], "AB"]), "ballots[1]: ranking must be a list of options, best first"),
    (_ranked([["A"], {"A": 1}]), "ballots[1]: ranking must be a list of options, best first"),
    (_ranked([["A"], ["B", ["C"]]]), "ballots[1]: ranking names ['C'], which is not an option"),
    (_ranked([["A"], ["B", 3]]), "ballots[1]: ranking names 3, which is not an option"),
    (_ranked([["A"], 3]), "ballots[1]: ranking must be a list of options, best first"),
    (_ranked([], options=("A",)), "options must be a list of 2 to 20 distinct strings"),
    (_ranked([], options=[str(i) for i in range(21)]), "options must be a list of 2 to 20 distinct strings"),
    (_ranked([], options=("A", "B", "A")), "options[2]: 'A' is listed twice"),
    (_ranked([], options=("A", "")), "options[1] must be a non-empty string"),
    (_ranked([], options=("A", 2)), "options[1] must be a non-empty string"),
    ({k: v for k, v in _ranked([]).items() if k != "options"}, "missing key 'options'"),
]  # fmt: skip


@pytest.mark.parametrize("data, message", MALFORMED_BINARY + MALFORMED_SCHULZE)
def test_malformed_ballot_files_name_the_first_bad_entry(data, message):
    with pytest.raises(BallotFileError) as caught:
        tally_ballot_file(data)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_the_first_bad_entry_wins_whatever_the_kind_of_fault():
    ballots = _ballots(8)
    ballots[6]["choice"] = "maybe"
    ballots[3]["receipt"] = "r0"
    ballots[5] = "oops"
    with pytest.raises(BallotFileError, match=r"^ballots\[3\]: receipt 'r0'"):
        tally_ballot_file(_binary_with(ballots, constituencies={"citizen": {"eligible": 20}}))
    ballots = _ballots(8)
    ballots[7]["choice"] = "maybe"
    with pytest.raises(BallotFileError, match=r"^ballots\[2\]: constituency 'citizen' has more"):
        tally_ballot_file(_binary_with(ballots, constituencies={"citizen": {"eligible": 2}}))


# --- properties ---------------------------------------------------------------------------

LETTERS = "ABCDEF"


def reference_schulze(options, ballots, weights, voters):
    """Naive Schulze from the definition: per-ballot pairwise shares, Fractions throughout."""
    k = len(options)
    d = [[Fraction(0)] * k for _ in range(k)]
    for c, ranking in ballots:
        pos = {o: i for i, o in enumerate(ranking)}
        for a in range(k):
            for b in range(k):
                pa, pb = pos.get(options[a], k), pos.get(options[b], k)
                if pa < pb:
                    # weights are read as written (0.3 is 3/10), as the tally reads them
                    d[a][b] += Fraction(str(weights[c])) / voters[c]
    p = [[d[a][b] if a != b and d[a][b] > d[b][a] else 0 for b in range(k)] for a in range(k)]
    for i in range(k):
        for j in range(k):
            if i != j:
                for m in range(k):
                    if i != m and j != m:
                        p[j][m] = max(p[j][m], min(p[j][i], p[i][m]))
    return d, p


@st.composite
def ranked_elections(draw, constituencies=("citizen", "employee", "leader")):
    k = draw(st.integers(2, 5))
    options = list(LETTERS[:k])
    ranking = st.permutations(options).flatmap(
        lambda perm: st.integers(0, len(perm)).map(lambda n: tuple(perm[:n]))
    )
    used = draw(st.lists(st.sampled_from(constituencies), min_size=1, max_size=3, unique=True))
    ballots = draw(st.lists(st.tuples(st.sampled_from(used), ranking), min_size=1, max_size=40))
    weights = {c: draw(st.sampled_from([0.5, 1, 2, 0.1, 0.3, 3])) for c in used}
    return options, ballots, weights


def _grouped(ballots):
    grouped: dict[str, dict[tuple[str, ...], int]] = {}
    for c, ranking in ballots:
        grouped.setdefault(c, {})
        grouped[c][ranking] = grouped[c].get(ranking, 0) + 1
    return grouped


def _voters(ballots):
    voters: dict[str, int] = {}
    for c, _r in ballots:
        voters[c] = voters.get(c, 0) + 1
    return voters


ANY_TURNOUT = Rules(quorum=0, min_constituencies=1)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(ranked_elections())
def test_property_winner_beats_or_ties_everyone_on_strongest_paths(election):
    options, ballots, weights = election
    voters = _voters(ballots)
    result = tally_schulze(options, _grouped(ballots), voters, weights, ANY_TURNOUT)
    d, p = reference_schulze(options, ballots, weights, voters)
    w = options.index(result["winner"])
    assert all(p[w][x] >= p[x][w] for x in range(len(options)))
    # the whole ranking agrees with the reference: nobody is beaten by someone below
    order = [options.index(o) for o in result["ranking"]]
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            assert not p[b][a] > p[a][b]
    for a, row in result["pairwise"].items():
        for b, share in row.items():
            assert share == round(float(d[options.index(a)][options.index(b)]), 6)


@PROPERTY
@given(ranked_elections(constituencies=("citizen",)))
def test_property_one_constituency_of_weight_one_is_plain_schulze(election):
    options, ballots, _weights = election
    voters = _voters(ballots)
    result = tally_schulze(options, _grouped(ballots), voters, {"citizen": 1}, ANY_TURNOUT)
    # plain Schulze on raw counts (shares only rescale them)
    d, p = reference_schulze(options, ballots, {"citizen": len(ballots)}, voters)
    unbeaten = [
        o for i, o in enumerate(options) if all(p[i][j] >= p[j][i] for j in range(len(options)))
    ]
    assert result["winner"] in unbeaten
    assert result["constituencies"]["citizen"]["winners"] == unbeaten


@PROPERTY
@given(ranked_elections(), st.randoms(use_true_random=False))
def test_property_ballot_order_does_not_matter(election, rnd):
    options, ballots, weights = election
    constituencies = {c: {"weight": weights[c], "eligible": n} for c, n in _voters(ballots).items()}
    data = file_from("schulze", ballots, constituencies, options=options)
    shuffled = copy.deepcopy(data)
    rnd.shuffle(shuffled["ballots"])
    assert tally_ballot_file(shuffled) == tally_ballot_file(data)


@PROPERTY
@given(
    ranked_elections(), st.lists(st.tuples(st.sampled_from(LETTERS[:2]), st.booleans()), max_size=5)
)
def test_property_a_weight_zero_constituency_changes_nothing(election, partner_votes):
    options, ballots, weights = election
    voters = _voters(ballots)
    before = tally_schulze(options, _grouped(ballots), voters, weights, ANY_TURNOUT)
    partner = [("partner", (a,) if first else ()) for a, first in partner_votes]
    after = tally_schulze(
        options,
        _grouped(ballots + partner),
        voters | {"partner": len(partner) + 1},
        weights | {"partner": 0},
        ANY_TURNOUT,
    )
    assert after["constituencies"].pop("partner")["counts"] is False
    assert after == before


@PROPERTY
@given(ranked_elections())
def test_property_results_survive_a_json_round_trip(election):
    options, ballots, weights = election
    constituencies = {c: {"weight": w, "eligible": 50} for c, w in weights.items()}
    result = tally_ballot_file(file_from("schulze", ballots, constituencies, options=options))
    assert json.loads(json.dumps(result)) == result


binary_ballots = st.lists(
    st.tuples(st.sampled_from(CONSTITUENCIES), st.sampled_from(BINARY_CHOICES)), max_size=60
)


def meant(x):
    """The fraction a test's rule number stands for (0.1 is 1/10, 2 / 3 is 2/3)."""
    return Fraction(x).limit_denominator(100)


def reference_binary(ballots, eligible, weights, rules):
    """DESIGN §3 binary rules written out plainly, Fractions throughout."""
    counting = {}
    for c, n in eligible.items():
        votes = [choice for cc, choice in ballots if cc == c]
        yes, no = votes.count("yes"), votes.count("no")
        w = Fraction(weights[c])
        if n and Fraction(len(votes), n) >= meant(rules.quorum) and yes + no and w:
            counting[c] = (w, Fraction(yes, yes + no))
    total = sum(w for w, _ in counting.values())
    s = sum(w * s for w, s in counting.values()) / total if total else Fraction(0)
    passed = (
        len(counting) >= rules.min_constituencies
        and s > meant(rules.threshold)
        and (
            not rules.concurrent_majority or all(sc > Fraction(1, 2) for _, sc in counting.values())
        )
    )
    return passed, s


@PROPERTY
@given(
    binary_ballots,
    st.dictionaries(st.sampled_from(CONSTITUENCIES), st.sampled_from([0, 0.5, 1, 2]), min_size=5),
    st.builds(
        Rules,
        quorum=st.sampled_from([0, 0.1, 0.25, 0.5]),
        threshold=st.sampled_from([0, 0.5, 0.6, 2 / 3]),
        min_constituencies=st.integers(0, 3),
        concurrent_majority=st.booleans(),
    ),
    st.integers(0, 10),
)
def test_property_binary_follows_the_rules_and_round_trips(ballots, weights, rules, spare):
    voted = {c: sum(1 for cc, _ in ballots if cc == c) for c in CONSTITUENCIES}
    eligible = {c: voted[c] + spare for c in CONSTITUENCIES}
    data = file_from(
        "binary",
        ballots,
        {c: {"weight": weights[c], "eligible": eligible[c]} for c in CONSTITUENCIES},
        rules=rules.to_dict(),
    )
    result = tally_ballot_file(data)
    passed, s = reference_binary(ballots, eligible, weights, rules)
    assert result["passed"] is passed
    assert result["weighted_support"] == round(float(s), 6)
    assert bool(result["reasons"]) is not passed
    shuffled = copy.deepcopy(data)
    random.Random(len(ballots)).shuffle(shuffled["ballots"])
    assert tally_ballot_file(shuffled) == result
    assert json.loads(json.dumps(result)) == result


CORRUPTIONS = [
    (lambda b: b.update(choice="maybe"), "choice 'maybe' is not one of"),
    (lambda b: b.pop("choice"), "missing key 'choice'"),
    (lambda b: b.pop("receipt"), "missing key 'receipt'"),
    (lambda b: b.update(constituency="guest"), "constituency 'guest' is not one of"),
    (lambda b: b.update(constituency="partner"), "constituency 'partner' is not listed"),
    (lambda b: b.update(receipt=""), "receipt must be a non-empty string"),
    (lambda b: b.update(choice=["yes"]), "choice ['yes'] is not one of"),
]


@PROPERTY
@given(
    st.lists(st.sampled_from(BINARY_CHOICES), min_size=1, max_size=50),
    st.data(),
)
def test_property_a_corrupted_ballot_is_named(choices, data):
    ballots = [
        {"constituency": "citizen", "receipt": f"r{i}", "choice": choice}
        for i, choice in enumerate(choices)
    ]
    first = data.draw(st.integers(0, len(ballots) - 1))
    corrupt, message = data.draw(st.sampled_from(CORRUPTIONS))
    corrupt(ballots[first])
    if first + 1 < len(ballots):  # a second fault later on must not be the one reported
        later = data.draw(st.integers(first + 1, len(ballots) - 1))
        data.draw(st.sampled_from(CORRUPTIONS))[0](ballots[later])
    file = {
        "method": "binary",
        "constituencies": {"citizen": {"eligible": len(ballots)}},
        "ballots": ballots,
    }
    with pytest.raises(BallotFileError) as caught:
        tally_ballot_file(file)
    assert str(caught.value).startswith(f"ballots[{first}]: {message}")


@PROPERTY
@given(ranked_elections(constituencies=("citizen",)), st.data())
def test_property_a_corrupted_ranking_is_named(election, data):
    options, ballots, _weights = election
    file = file_from("schulze", ballots, {"citizen": {"eligible": len(ballots)}}, options=options)
    index = data.draw(st.integers(0, len(ballots) - 1))
    ranking = file["ballots"][index]["ranking"]
    if ranking and data.draw(st.booleans()):
        ranking.append(ranking[0])
        message = f"ranking lists {ranking[0]!r} twice"
    else:
        ranking.insert(data.draw(st.integers(0, len(ranking))), "Z")
        message = "ranking names 'Z', which is not an option"
    with pytest.raises(BallotFileError) as caught:
        tally_ballot_file(file)
    assert str(caught.value) == f"ballots[{index}]: {message}"
