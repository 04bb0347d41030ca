"""Unknown filter values on the council lists are refused naming the allowed values (API: 400),
or said on the page, which then shows the unfiltered list; never silently an empty list."""

from __future__ import annotations


def test_unknown_council_filters_are_refused(client, make, db):
    make.structure()
    for query, code in (("level=county", "bad_level"), ("service=dentistry", "bad_service")):
        response = client.get(f"/api/v1/councils?{query}")
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert error["code"] == code and "choose one of" in error["message"]
    assert (
        "nation, region, local"
        in client.get("/api/v1/councils?level=county").get_json()["error"]["message"]
    )
    graph = client.get("/api/v1/forums/graph?service=dentistry")
    assert graph.status_code == 400 and graph.get_json()["error"]["code"] == "bad_service"
    assert client.get("/api/v1/councils?level=local").status_code == 200
    page = client.get("/councils?level=county")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Unknown level" in html and "Showing every council" in html
    assert "health-manchester" in html or "Manchester" in html
