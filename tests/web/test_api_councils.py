"""The JSON API's council and forum-graph reads, and the OpenAPI document."""

import pytest


@pytest.fixture
def councils(make):
    return make.structure()


def test_councils_list_and_filters(client, councils):
    data = client.get("/api/v1/councils").json["councils"]
    # Salford is a local place, so it has its place forum too (DESIGN §2)
    assert {c["slug"] for c in data} == set(councils) | {"forum-salford"}
    manchester = next(c for c in data if c["slug"] == "health-manchester")
    assert manchester == {
        "slug": "health-manchester",
        "name": "Health and care council, Manchester",
        "level": "local",
        "service": "health",
        "place": "manchester",
        "forum": False,
        "url": "http://localhost/councils/health-manchester",
    }
    regional = client.get("/api/v1/councils?level=region").json["councils"]
    assert [c["slug"] for c in regional] == ["health-north-west"]
    assert {c["slug"] for c in client.get("/api/v1/councils?service=schools").json["councils"]} == {
        "schools-manchester"
    }


def test_council_detail_has_constitution_and_links(client, councils):
    data = client.get("/api/v1/councils/health-manchester").json
    assert data["constitution"]["version"] == 1
    assert data["constitution"]["settings"]["quorum"] == 0.1
    assert {"to": "health-north-west", "kind": "reports_to"} in data["links_up"]
    assert {"to": "forum-manchester", "kind": "ringmaster"} in data["links_up"]
    assert client.get("/api/v1/councils/forum-manchester").json["links_down"] == [
        {"from": "health-manchester", "kind": "ringmaster"},
        {"from": "schools-manchester", "kind": "ringmaster"},
    ]


def test_forum_graph_nodes_and_edges(client, councils):
    data = client.get("/api/v1/forums/graph").json
    # six councils and the place forum Salford was given, ringmaster of health-salford
    assert len(data["nodes"]) == 7 and len(data["edges"]) == 6
    assert {"from": "health-manchester", "to": "health-north-west", "kind": "reports_to"} in data[
        "edges"
    ]
    schools = client.get("/api/v1/forums/graph?service=schools").json
    assert {n["slug"] for n in schools["nodes"]} == {"schools-manchester", "forum-manchester"}


def test_openapi_document_lists_the_endpoints(client, councils):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/councils", "/councils/{slug}", "/forums/graph", "/me"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_write_endpoints_need_a_token(client, councils):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_required"
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.json["error"]["code"] == "bad_token"


def test_security_headers_and_csrf(app, client, make, councils):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": "x@example.org", "password": "whatever!!"})
        assert response.status_code == 400
        assert "form had expired" in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_production_config_secures_cookies(monkeypatch):
    import importlib

    monkeypatch.setenv("PARTICIPATE_ENV", "production")
    from participate import config

    importlib.reload(config)
    try:
        cls = config.config_from_env()
        assert (
            cls.SESSION_COOKIE_SECURE
            and cls.SESSION_COOKIE_HTTPONLY
            and cls.SESSION_COOKIE_SAMESITE == "Lax"
        )
    finally:
        monkeypatch.delenv("PARTICIPATE_ENV")
        importlib.reload(config)
