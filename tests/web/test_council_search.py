"""Finding a council (issue 15): by place, service or name, filtered and a page at a time, the
same search behind /councils and GET /api/v1/councils; the page works without JavaScript."""

from __future__ import annotations

import pytest


@pytest.fixture
def councils(make):
    return make.structure()


def slugs(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/councils?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [c["slug"] for c in response.json["councils"]]


def test_a_place_finds_its_councils_and_those_above_it(client, councils):
    serving = ["forum-salford", "health-salford", "health-north-west", "health-england"]
    assert slugs(client, "q=Salford") == serving  # nearest first
    assert slugs(client, "q=salford") == serving
    assert slugs(client, "q=+SALFORD+") == serving
    assert client.get("/api/v1/councils?q=north-west").json["place"] == "north-west"
    assert slugs(client, "q=north-west") == ["health-north-west", "health-england"]
    assert slugs(client, "q=Salford&level=region") == ["health-north-west"]
    assert slugs(client, "q=Manchester&service=schools") == ["schools-manchester"]


def test_words_match_names_services_and_places(client, councils):
    assert set(slugs(client, "q=health")) == {
        "health-england",
        "health-north-west",
        "health-manchester",
        "health-salford",
    }
    assert slugs(client, "q=schools+manch") == ["schools-manchester"]
    assert slugs(client, "q=care+salf") == ["health-salford"]
    assert slugs(client, "q=dentistry") == []
    # LIKE wildcards are searched for as themselves
    assert slugs(client, "q=%25") == [] and slugs(client, "q=_") == []


def test_pages_and_refusals(client, councils):
    every = slugs(client, "")
    assert len(every) == 7 and client.get("/api/v1/councils").json["pages"] == 1
    first = client.get("/api/v1/councils?per_page=3").json
    assert first["total"] == 7 and first["pages"] == 3 and len(first["councils"]) == 3
    third = client.get("/api/v1/councils?per_page=3&page=3").json
    assert [c["slug"] for c in third["councils"]] == every[6:]
    assert client.get("/api/v1/councils?per_page=3&page=99").json["page"] == 3
    for query, code in (
        ("page=0", "bad_page"),
        ("page=abc", "bad_page"),
        ("per_page=500", "bad_per_page"),
        ("q=" + "x" * 101, "bad_q"),
        ("service=dentistry", "bad_service"),
    ):
        response = client.get(f"/api/v1/councils?{query}")
        assert response.status_code == 400, query
        assert response.json["error"]["code"] == code, query


def test_openapi_documents_the_search(client, councils):
    op = client.get("/api/v1/openapi.json").json["paths"]["/councils"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"q", "service", "level", "page", "per_page"}


def test_the_page_searches_without_javascript(client, councils):
    page = client.get("/councils").get_data(as_text=True)
    assert '<form method="get" action="/councils"' in page and 'name="q"' in page
    assert "All councils" in page and "7 councils." in page
    html = client.get("/councils?q=Salford").get_data(as_text=True)
    assert "Councils serving Salford" in html and "those of North West and England" in html
    assert "Health and care council, Salford" in html
    assert "Health and care council, Manchester" not in html
    suggest = client.get("/councils?q=Salf").get_data(as_text=True)
    assert 'href="/councils?q=salford"' in suggest and "councils serving Salford" in suggest
    none = client.get("/councils?q=dentistry").get_data(as_text=True)
    assert "No council matches" in none and "browse the places" in none


def test_the_page_pages_and_keeps_the_filters(client, councils, monkeypatch):
    from participate.councils import search

    monkeypatch.setattr(search, "PER_PAGE", 2)
    html = client.get("/councils?q=health&page=2").get_data(as_text=True)
    assert "Showing 3 to 4 of 4 councils" in html and "Page 2 of 2" in html
    assert 'href="/councils?page=1&amp;q=health"' in html and "Next page" not in html


def test_bad_input_on_the_page_is_said_and_everything_listed(client, councils):
    for query, words in (
        ("q=" + "x" * 101, "at most 100 characters"),
        ("level=county", "Unknown level"),
        ("page=abc", "Page must be a whole number"),
    ):
        response = client.get(f"/councils?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and words in html, query
        assert "Showing every council" in html and "7 councils." in html


def test_htmx_gets_only_the_results(client, councils):
    response = client.get("/councils?q=Salford", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Councils serving Salford" in html
    assert "<h2" in html and 'class="cards council-cards"' in html
