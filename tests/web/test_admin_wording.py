"""The admin's messages name councils and places by name, not slug, and never with arrows
(issue 15: plain language). A refused link's message is checked where test_admin.py posts that
link; an appointment's and its end's, where test_admin.py makes and ends it."""

from __future__ import annotations

from tests.factories import admin as factory

admin = factory.admin  # the fixture (tests/factories/admin.py)


def _flash(client) -> str:
    return client.get("/admin/").get_data(as_text=True)


def test_successes_name_what_was_made(client, admin, make, db):
    make.structure()
    response = client.post(
        "/admin/links",
        data={"link-src": "health-salford", "link-dst": "forum-salford", "link-kind": "ringmaster"},
    )
    assert (
        "This link cannot be added. The link from Health and care council, Salford to "
        "Salford place forum already exists." in response.get_data(as_text=True)
    )
    client.post(
        "/admin/councils",
        data={
            "council-slug": "schools-salford",
            "council-service": "schools",
            "council-place": "salford",
        },
    )
    assert "Schools council, Salford created with its first constitution." in _flash(client)
    response = client.post(
        "/admin/links",
        data={
            "link-src": "schools-salford",
            "link-dst": "forum-salford",
            "link-kind": "ringmaster",
        },
    )
    assert response.status_code == 302
    assert "now meets in Salford place forum." in _flash(client)


def test_an_imported_population_change_is_told_in_words(client, admin, make, db):
    import io

    make.structure()
    data = (
        b"places: [{slug: manchester, name: Manchester, level: local, parent: north-west, "
        b"population: 570000}]\n"
    )
    client.post(
        "/admin/import",
        data={"import-file": (io.BytesIO(data), "structure.yaml")},
        content_type="multipart/form-data",
    )
    html = _flash(client)
    assert "Updated the population of Manchester from 568,996 to 570,000" in html, html
    assert "-&gt;" not in html
