"""Consultation positions by constituency (DESIGN §5), from the deciding motions' tallies."""

from __future__ import annotations

import pytest

from participate.core.position_constituencies import by_constituency


def _tally(**rows):
    return {"constituencies": {c: {"eligible": e, "voted": v} for c, (e, v) in rows.items()}}


def test_sums_councils_members_and_voters_by_stance():
    result = by_constituency(
        [
            {"stance": "support", "tally": _tally(citizen=(10, 4), employee=(5, 5))},
            {"stance": "oppose", "tally": _tally(citizen=(20, 6), leader=(0, 0))},
            {"stance": "amend", "tally": None},
        ]
    )
    citizens = result["by_constituency"]["citizen"]
    assert citizens["councils"] == 2 and citizens["support"] == 1 and citizens["oppose"] == 1
    assert citizens["eligible"] == 30 and citizens["voted"] == 10
    assert citizens["turnout"] == pytest.approx(1 / 3)
    assert citizens["voters"] == {"support": 4, "oppose": 6, "amend": 0}
    # A constituency with nobody eligible took no part in that decision.
    assert list(result["by_constituency"]) == ["citizen", "employee"]
    assert result["without_vote"] == 1


def test_known_constituencies_first_and_odd_figures_count_as_nothing():
    tally = {
        "constituencies": {
            "zz-other": {"eligible": 2, "voted": 1},
            "partner": {"eligible": 3, "voted": 9},  # more voters than eligible: capped
            "citizen": {"eligible": "many", "voted": True},
            "employee": None,
        }
    }
    result = by_constituency([{"stance": "support", "tally": tally}])
    assert list(result["by_constituency"]) == ["partner", "zz-other"]
    assert result["by_constituency"]["partner"]["voted"] == 3
    assert by_constituency([]) == {"by_constituency": {}, "without_vote": 0}


def test_an_unknown_stance_is_an_error():
    with pytest.raises(ValueError):
        by_constituency([{"stance": "maybe", "tally": None}])
