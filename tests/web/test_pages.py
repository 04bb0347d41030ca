"""Every public page of the foundation renders, for a visitor, with the demo-like structure."""

import pytest


@pytest.fixture
def councils(make):
    return make.structure()


PAGES = [
    "/",
    "/services",
    "/services/health",
    "/places",
    "/places/manchester",
    "/places/england",
    "/councils",
    "/councils?service=health&level=local",
    "/councils/health-manchester",
    "/councils/forum-manchester",
    "/councils/health-england",
    "/councils/health-manchester/members",
    "/councils/health-manchester/constitution",
    "/councils/health-manchester/constitution/1",
    "/councils/health-manchester/audit",
    "/forums/map",
    "/forums/map?service=health",
    "/audit",
    "/signup",
    "/login",
    "/reset",
]


@pytest.mark.parametrize("url", PAGES)
def test_public_page_renders(client, councils, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<main" in html and "</html>" in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_council_page_shows_remit_constitution_members_and_links(client, make, councils):
    manchester = councils["health-manchester"]
    make.members(manchester, {"citizen": 3, "employee": 2})
    html = client.get("/councils/health-manchester").get_data(as_text=True)
    assert "Remit" in html and "Constitution" in html
    assert "Health and care council, North West" in html  # reports to
    assert "Manchester place forum" in html  # ringmaster
    assert '<span class="bar-value">3</span>' in html and '<span class="bar-value">2</span>' in html


def test_national_council_lists_children(client, councils):
    html = client.get("/councils/health-england").get_data(as_text=True)
    assert "Health and care council, North West" in html
    assert "Nothing above: this is a top council." in html


def test_forum_map_is_svg_with_a_link_per_council_and_filters(client, councils):
    html = client.get("/forums/map").get_data(as_text=True)
    assert "<svg" in html
    for slug in (
        "health-england",
        "health-north-west",
        "health-manchester",
        "forum-manchester",
    ):
        assert f'href="/councils/{slug}"' in html
    # one service at a time (issue 15): the others are a click away
    assert 'href="/councils/schools-manchester"' not in html
    filtered = client.get("/forums/map?service=schools").get_data(as_text=True)
    svg = filtered.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "/councils/schools-manchester" in svg and "/councils/health-england" not in svg


def test_unknown_pages_are_404_in_the_site_style(client, councils):
    response = client.get("/councils/nowhere")
    assert response.status_code == 404
    assert "There is no council &#39;nowhere&#39;" in response.get_data(as_text=True)
    assert client.get("/no/such/page").status_code == 404


def test_api_errors_are_json(client, councils):
    response = client.get("/api/v1/councils/nowhere")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and "error" in response.json
