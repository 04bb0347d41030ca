"""The admin's structure pages: create services, places, councils, forums, links; appoint clerks and ministers."""

import io

import pytest
import sqlalchemy as sa

from participate.audit.models import AuditEvent
from participate.councils.models import Council, ForumLink, Membership, Place, Service
from tests.factories import admin as factory

admin = factory.admin  # the fixture (tests/factories/admin.py)


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_admin_builds_a_structure_through_the_web(client, admin, db):
    assert (
        client.post(
            "/admin/services", data={"service-slug": "probation", "service-name": "Probation"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/admin/places",
            data={"place-slug": "england", "place-name": "England", "place-level": "nation"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/admin/places",
            data={
                "place-slug": "london",
                "place-name": "London",
                "place-level": "region",
                "place-parent": "england",
                "place-population": "8799800",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/admin/places",
            data={
                "place-slug": "camden",
                "place-name": "Camden",
                "place-level": "local",
                "place-parent": "london",
                "place-population": "210100",
            },
        ).status_code
        == 302
    )
    for slug, service, place in [
        ("probation-england", "probation", "england"),
        ("probation-london", "probation", "london"),
        ("probation-camden", "probation", "camden"),
    ]:
        response = client.post(
            "/admin/councils",
            data={"council-slug": slug, "council-service": service, "council-place": place},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    for src, dst, kind in [
        ("probation-camden", "probation-london", "reports_to"),
        ("probation-london", "probation-england", "reports_to"),
        ("probation-camden", "forum-camden", "ringmaster"),
    ]:
        assert (
            client.post(
                "/admin/links", data={"link-src": src, "link-dst": dst, "link-kind": kind}
            ).status_code
            == 302
        )
    # the local place came with its place forum (DESIGN §2); the admin links its councils to it
    forum = db.session.scalar(sa.select(Council).where(Council.slug == "forum-camden"))
    assert forum.is_forum and forum.name == "Camden place forum"
    assert count(db, ForumLink) == 3
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"structure.imported", "council.created", "link.created"} <= actions


def test_a_new_local_place_comes_with_its_place_forum(client, admin, make, db):
    make.structure()
    response = client.post(
        "/admin/places",
        data={
            "place-slug": "bolton",
            "place-name": "Bolton",
            "place-level": "local",
            "place-parent": "north-west",
            "place-population": "296000",
        },
    )
    assert response.status_code == 302
    forum = db.session.scalar(sa.select(Council).where(Council.slug == "forum-bolton"))
    assert forum is not None and forum.is_forum and forum.place.slug == "bolton"
    event = db.session.scalar(
        sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).where(AuditEvent.actor_id == admin.id)
    )
    assert event.action == "structure.imported" and "forum-bolton" in event.data
    # a region gets none: place forums are local
    client.post(
        "/admin/places",
        data={
            "place-slug": "wales",
            "place-name": "Wales",
            "place-level": "region",
            "place-parent": "england",
        },
    )
    assert db.session.scalar(sa.select(Council).where(Council.slug == "forum-wales")) is None


def test_a_second_place_forum_or_service_council_is_a_form_error(client, admin, make, db):
    make.structure()
    before = count(db, Council)
    for slug, service in [("forum-manchester-2", ""), ("health-manchester-2", "health")]:
        response = client.post(
            "/admin/councils",
            data={"council-slug": slug, "council-service": service, "council-place": "manchester"},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 400, html
        assert "already has" in html
    assert count(db, Council) == before


def _message(html: str) -> str:
    """The refusal as the page shows it (the forms around it rightly hold slugs)."""
    start = html.index("This link cannot be added.")
    return html[start : html.index("<", start)]


def test_link_that_would_make_a_cycle_or_go_down_is_refused_in_names(client, admin, make, db):
    """The refusal names councils by name, not slug, and never with arrows (issue 15)."""
    make.structure()
    before = count(db, ForumLink)
    response = client.post(
        "/admin/links",
        data={
            "link-src": "health-england",
            "link-dst": "health-manchester",
            "link-kind": "reports_to",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "health-england" in html
    assert count(db, ForumLink) == before
    text = _message(html)
    assert text.startswith("This link cannot be added. ")
    assert "Health and care council, England (national)" in text
    assert "a “reports to” link must go to a higher level" in text
    assert "Health and care council, England" in text
    assert "-&gt;" not in text and "->" not in text and "→" not in text
    assert "health-england" not in text and "health-manchester" not in text
    assert "reports_to" not in text


def test_duplicate_council_slug_is_a_form_error(client, admin, make, db):
    make.structure()
    response = client.post(
        "/admin/councils",
        data={
            "council-slug": "health-manchester",
            "council-service": "health",
            "council-place": "salford",
        },
    )
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


def test_admin_appoints_clerk_and_minister(client, admin, make, db):
    councils = make.structure()
    person = make.user("helen@example.org")
    response = client.post(
        "/admin/appointments",
        data={
            "appoint-email": "helen@example.org",
            "appoint-council": "health-england",
            "appoint-role": "minister",
            "appoint-constituency": "elected",
        },
    )
    assert response.status_code == 302
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
    assert membership.role == "minister" and membership.status == "active"
    response = client.post(
        "/admin/appointments",
        data={
            "appoint-email": "helen@example.org",
            "appoint-council": "health-manchester",
            "appoint-role": "minister",
            "appoint-constituency": "elected",
        },
    )
    assert response.status_code == 400 and "national service council only" in response.get_data(
        as_text=True
    )
    response = client.post(
        "/admin/appointments",
        data={
            "appoint-email": "nobody@example.org",
            "appoint-council": "health-manchester",
            "appoint-role": "clerk",
            "appoint-constituency": "employee",
        },
    )
    assert response.status_code == 400 and "No account uses that e-mail" in response.get_data(
        as_text=True
    )
    assert councils


def test_admin_imports_a_structure_file_from_the_web(client, admin, db):
    data = (
        b"services: [{slug: police, name: Policing}]\nplaces: [{slug: england, name: England, level: nation}]\n"
        b"councils: [{slug: police-england, service: police, place: england}]\n"
    )
    response = client.post(
        "/admin/import",
        data={"import-file": (io.BytesIO(data), "structure.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert count(db, Council) == 1


@pytest.mark.parametrize("who", ["visitor", "account", "clerk"])
def test_only_admins_may_edit_structure(client, make, login_as, db, who):
    councils = make.structure()
    if who == "account":
        login_as(make.user())
    elif who == "clerk":
        login_as(make.clerk(councils["health-manchester"]))
    before = (count(db, Service), count(db, Place))
    assert client.get("/admin/").status_code in (302, 403)
    response = client.post("/admin/services", data={"service-slug": "x", "service-name": "X"})
    assert response.status_code in (302, 403)
    assert (count(db, Service), count(db, Place)) == before


def test_admin_ends_an_appointment(client, admin, make, db):
    make.structure()
    person = make.user("helen@example.org", name="Helen Ward")
    client.post(
        "/admin/appointments",
        data={
            "appoint-email": "helen@example.org",
            "appoint-council": "health-manchester",
            "appoint-role": "clerk",
            "appoint-constituency": "employee",
        },
    )
    html = client.get("/admin/").get_data(as_text=True)
    assert "End an appointment" in html
    # the messages name the person and the council (issue 15)
    assert (
        "Helen Ward (helen@example.org) is now clerk of Health and care council, Manchester."
        in html
    )
    ended = client.post(
        "/admin/appointments/end",
        data={"end-email": "helen@example.org", "end-council": "health-manchester"},
    )
    assert ended.status_code == 302
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
    assert (membership.role, membership.status) == ("member", "active")
    assert "no longer a clerk or minister of Health and care council, Manchester" in (
        client.get("/admin/").get_data(as_text=True)
    )
    again = client.post(
        "/admin/appointments/end",
        data={"end-email": "helen@example.org", "end-council": "health-manchester"},
    )
    assert again.status_code == 400 and "no appointment to end" in again.get_data(as_text=True)
