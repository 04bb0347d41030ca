"""The forum map (issue 15): one service at a time, levels as rows with readable labels,
every council a link; all services as a list that filters by service and level."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def councils(make):
    return make.structure()


def _svg(html: str) -> str:
    return html.split("<svg", 1)[1].split("</svg>", 1)[0]


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="/councils/([a-z0-9-]+)"', html))


def test_the_map_shows_one_service_with_levels_as_rows(client, councils):
    html = client.get("/forums/map").get_data(as_text=True)
    assert "<h2>Health and care</h2>" in html  # the first service, by default
    svg = _svg(html)
    for row in ("National", "Regional", "Local", "Place forums"):
        assert f">{row}</text>" in svg
    # each node is a link with a readable label: the national one says its service
    assert _links(svg) == {
        "health-england",
        "health-north-west",
        "health-manchester",
        "health-salford",
        "forum-manchester",
        "forum-salford",
    }
    assert ">Health and care, England</text>" in svg
    assert ">North West</text>" in svg and ">Manchester</text>" in svg
    assert "schools-" not in svg
    # the same councils as rows of links under the picture, local ones under their region
    rows = html.split('class="map-rows"', 1)[1]
    assert _links(rows) >= _links(svg)
    assert rows.index("North West") < rows.index("Manchester")
    # the other services one click away, and all of them as a list
    assert 'href="/forums/map?service=schools"' in html
    assert 'href="/forums/map?service=all"' in html


def test_all_services_is_a_list_that_filters_by_level(client, councils):
    html = client.get("/forums/map?service=all").get_data(as_text=True)
    assert "<svg" not in html
    assert {"health-england", "schools-manchester", "forum-manchester"} <= _links(html)
    national = client.get("/forums/map?service=all&level=nation").get_data(as_text=True)
    listed = _links(national.split("<main", 1)[1])
    assert "health-england" in listed and "health-manchester" not in listed
    # a national council is named by its service, not just "England"
    assert ">Health and care council, England</a>" in national


def test_an_unknown_service_is_a_404(client, councils):
    assert client.get("/forums/map?service=nothing").status_code == 404
