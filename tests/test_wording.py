"""Numbers and terms in words (participate/wording.py): each helper and its edges."""

from __future__ import annotations

import pytest

from participate import wording
from participate.core.petitions import threshold, threshold_explanation


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.353535, "35%"),
        (0.355, "36%"),
        (0, "0%"),
        (1, "100%"),
        (0.001, "under 1%"),
        (0.998, "over 99%"),
        (None, "–"),
    ],
)
def test_whole_percent(share, text):
    assert wording.whole_percent(share) == text


def test_threshold_words_from_the_stored_explanation():
    explanation = threshold_explanation(568_996, 100, "0.01")
    needed = threshold(568_996, 100, "0.01")
    assert wording.threshold_words(needed, explanation) == (
        "5,690 signatures (1% of 568,996 residents, at least 100)"
    )
    unknown = threshold_explanation(None, 100, "0.01")
    assert wording.threshold_words(100, unknown) == (
        "100 signatures (the minimum: the population of the place is not known)"
    )
    assert wording.threshold_words(1, "") == "1 signature"
    assert wording.threshold_words(None, "") == ""
    half = threshold_explanation(270_800, 2_000, "0.005")
    assert wording.threshold_words(2_000, half) == (
        "2,000 signatures (0.5% of 270,800 residents, at least 2,000)"
    )


def test_breadth_words():
    every = {"citizen": 3, "employee": 1, "leader": 2, "elected": 1, "partner": 1}
    assert wording.breadth_words(every) == "backed across all five groups"
    assert wording.breadth_words({"citizen": 3, "employee": 0, "partner": 2, "leader": 1}) == (
        "backed by three of the five groups"
    )
    assert wording.breadth_words({"citizen": 9}) == "backed by one group only"
    assert wording.breadth_words({}) == wording.breadth_words(None) == "not backed yet"


def test_link_kinds_in_words():
    assert wording.link_kind_words("reports_to") == "reports to"
    assert wording.link_kind_words("ringmaster") == "meets in the place forum"
    assert "ringmaster" not in " ".join(wording.LINK_KINDS.values())
    assert wording.link_kind_words("advises_on") == "advises on"


def test_the_filters_are_registered(app):
    for name, helper in wording.FILTERS.items():
        assert app.jinja_env.filters[name] is helper


def test_pages_say_it_in_words_first(app):
    from flask import render_template_string

    with app.test_request_context():
        meter = render_template_string(
            '{% from "upward/_macros.html" import bridging_meter %}{{ bridging_meter(s, m) }}',
            s=0.0123,
            m={"citizen": 4, "employee": 2, "leader": 1, "elected": 1, "partner": 3},
        )
    assert "Backed across all five groups" in meter and "(score 0.0123)" in meter
    assert meter.index("Backed across") < meter.index("score")


def test_the_council_page_names_link_kinds_in_words(client, make):
    make.structure()
    html = client.get("/councils/health-manchester").get_data(as_text=True)
    assert "(meets in the place forum)" in html and "(reports to)" in html
    assert "ringmaster" not in html
