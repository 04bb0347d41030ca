"""The API's HTTP-level refusals keep the headers HTTP gives them (issue 16)."""

from __future__ import annotations


def test_a_405_lists_the_methods_the_address_allows(client):
    response = client.delete("/api/v1/councils")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert response.headers["Content-Type"] == "application/json"


def test_a_page_405_lists_them_too_and_stays_a_page(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "GET" in response.headers["Allow"]
    assert response.headers["Content-Type"].startswith("text/html")
