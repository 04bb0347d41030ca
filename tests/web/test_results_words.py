"""A vote's results in plain numbers (issue 15): percentages in the results' prose are whole
("35%", not "35.3535%"), and a share that only rounds to its threshold says which side of it
it is on."""

from __future__ import annotations

import re

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from tests.factories import votes as factory
from tests.factories.votes import open_motion

hm = factory.hm  # the fixture (tests/factories/votes.py)

DECIMAL_PERCENT = re.compile(r"\d+\.\d+\s?%")


def _results(client, motion) -> str:
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    start = html.index('<section id="results"')
    return html[start : html.index("</section>", start)]


def test_the_results_prose_uses_whole_percentages(client, db, hm):
    motion = open_motion(hm)
    citizens, employees, leaders = (hm["members"][c] for c in ("citizen", "employee", "leader"))
    for user, choice in [
        (citizens[0], "yes"),
        (citizens[1], "yes"),
        (citizens[2], "no"),
        (employees[0], "no"),
        (employees[1], "yes"),
        (employees[2], "no"),
        (leaders[0], "yes"),
    ]:
        cast_ballot(user, motion, choice=choice)
    close_voting(hm["clerk"], motion)
    db.session.refresh(motion)
    assert any(DECIMAL_PERCENT.search(r) for r in motion.result.get("reasons", [])) or (
        motion.result["weighted_support"] * 100 % 1
    ), "the scenario should produce a share with decimals"
    results = _results(client, motion)
    assert not DECIMAL_PERCENT.findall(results), DECIMAL_PERCENT.findall(results)
    assert re.search(r"weighted support of (just (under|over) )?\d+%", results)


def test_a_share_that_rounds_to_the_threshold_says_which_side(app):
    from flask import render_template_string

    template = "{{ share|percent_against(threshold) }} against {{ threshold|whole_percent }}"
    with app.test_request_context():
        assert render_template_string(template, share=0.496, threshold=0.5) == (
            "just under 50% against 50%"
        )
        assert render_template_string(template, share=0.503, threshold=0.5) == (
            "just over 50% against 50%"
        )
        assert render_template_string(template, share=0.5, threshold=0.5) == "50% against 50%"
        assert render_template_string(template, share=0.353535, threshold=0.5) == (
            "35% against 50%"
        )


def test_reasons_read_in_whole_percentages(app):
    from flask import render_template_string

    with app.test_request_context():
        assert (
            render_template_string(
                "{{ text|whole_percents }}",
                text="turnout 35.3535% is below the 40% quorum",
            )
            == "turnout 35% is below the 40% quorum"
        )
        assert (
            render_template_string(
                "{{ text|whole_percents }}",
                text="weighted support 49.75% is not above the 50% threshold",
            )
            == "weighted support just under 50% is not above the 50% threshold"
        )
        assert (
            render_template_string(
                "{{ text|whole_percents }}",
                text="weighted support 66.6667% is not above the 66.6667% threshold",
            )
            == "weighted support 67% is not above the 67% threshold"
        )
