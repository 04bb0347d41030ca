"""Bad input is refused with a 4xx, never a 500: ids and pages past the database's integers,
NUL and other control characters in a query parameter, a form field, a JSON string or a path."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from participate.proposals.models import Proposal
from tests.conftest import api_token, login

HUGE = "99999999999999999999"  # past a 64-bit integer
PAST_INT4 = str(2**31)  # past PostgreSQL's integer, the type of every id


@pytest.fixture
def world(make):
    councils = make.structure()
    member = make.user(name="Tom Member")
    make.member(member, councils["health-manchester"], "citizen")
    return SimpleNamespace(councils=councils, member=member)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))


@pytest.mark.parametrize(
    "path",
    [
        f"/people/{HUGE}",
        f"/people/{PAST_INT4}",
        f"/proposals/{HUGE}",
        f"/petitions/{PAST_INT4}",
        f"/rounds/{HUGE}/minutes",
        f"/councils/health-manchester/constitution/{HUGE}",
    ],
)
def test_an_id_past_the_integers_is_not_found(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [f"/api/v1/motions/{HUGE}", f"/api/v1/proposals/{PAST_INT4}", f"/api/v1/petitions/{HUGE}"],
)
def test_an_api_id_past_the_integers_is_not_found(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/councils/health-manchester/proposals",
        "/audit",
        "/councils/health-manchester/audit",
        "/petitions",
        "/councils/health-north-west/inbox",
    ],
)
@pytest.mark.parametrize("page", [HUGE, PAST_INT4, "-1", "two"])
def test_a_page_past_the_integers_is_refused_on_pages(client, world, path, page):
    response = client.get(f"{path}?page={page}")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code == 400:
        assert "page" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/councils/health-manchester/proposals",
        "/api/v1/petitions",
        "/api/v1/councils/health-north-west/inbox",
    ],
)
@pytest.mark.parametrize("page", [HUGE, PAST_INT4])
def test_a_page_past_the_integers_is_refused_by_the_api(client, world, path, page):
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] in ("bad_page", "bad_filter") and "page" in error["message"].lower()


@pytest.mark.parametrize(
    "query",
    ["q=a%00b", "council=%00", "q=bell%07", "status=%1b%5b31m"],
)
def test_control_characters_in_a_query_are_refused(client, world, query):
    response = client.get(f"/search?{query}")
    name = query.split("=")[0]
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f"&#39;{name}&#39;" in text or f"'{name}'" in text, text[:500]


def test_control_characters_in_an_api_query_are_refused(client, world):
    response = client.get("/api/v1/proposals/search?q=a%00b")
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "bad_characters",
        "message": response.get_json()["error"]["message"],
        "field": "q",
    }


def test_nul_in_a_form_field_is_refused(client, db, world):
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400 and "email" in response.get_data(as_text=True)
    login(client, world.member)
    response = client.post(
        "/councils/health-manchester/proposals/new",
        data={"title": "Night\x00buses", "body": "A body long enough to pass.", "themes": ""},
    )
    assert response.status_code == 400 and "title" in response.get_data(as_text=True)
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Night\x00buses", "body": "Text"}, "title"),
        ({"title": "Night buses", "body": "Text\x0b"}, "body"),
        ({"title": "Night buses", "body": "Text", "themes": ["ok", "\x00"]}, "themes"),
        ({"title": "Night buses", "body": "Text\ud800"}, "body"),
    ],
)
def test_control_characters_in_json_are_refused(client, db, world, body, field):
    response = client.post(
        "/api/v1/councils/health-manchester/proposals",
        json=body,
        headers=api_token(world.member),
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "bad_characters" and error["field"] == field
    assert field in error["message"]
    assert _count(db) == 0


def test_tabs_and_newlines_in_text_are_kept(client, db, world):
    response = client.post(
        "/api/v1/councils/health-manchester/proposals",
        json={"title": "Night buses", "body": "First line\r\n\tSecond line\n"},
        headers=api_token(world.member),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert _count(db) == 1


def test_nul_in_a_path_is_not_found(client, world):
    assert client.get("/councils/a%00b").status_code == 404
    assert client.get("/api/v1/councils/a%00b").status_code == 404


def test_a_json_number_past_the_ids_is_refused(client, db, world):
    from participate.proposals import services

    proposal = services.create_proposal(
        world.member, world.councils["health-manchester"], title="Buses", body="Text"
    )
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/comments",
        json={"body": "A reply", "parent_id": 2**64},
        headers=api_token(world.member),
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_number"
    assert response.get_json()["error"]["field"] == "parent_id"


def test_a_form_id_past_the_integers_is_refused(client, db, make, world):
    clerk = make.clerk(world.councils["health-manchester"])
    login(client, clerk)
    response = client.post(
        "/councils/health-manchester/members/decide",
        data={"membership_id": HUGE, "action": "admit", "reason": ""},
    )
    assert response.status_code == 400
    assert "Membership id must be a whole number" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", [HUGE, PAST_INT4, "9999999999"])
def test_an_id_past_the_integers_is_not_found_by_any_method(client, world, number):
    # Another method's route at the same address must not turn the 404 into a 405.
    headers = api_token(world.member)
    assert client.patch(f"/api/v1/proposals/{number}", json={}, headers=headers).status_code == 404
    assert client.delete(f"/api/v1/proposals/{number}/supports", headers=headers).status_code == 404
    assert client.get(f"/api/v1/proposals/{number}/forwards").status_code == 404


def test_a_structure_file_with_a_control_character_or_a_huge_population_is_refused(db):
    from participate.councils.models import Place
    from participate.councils.structure import import_structure
    from participate.councils.structure_plan import StructureError

    with pytest.raises(StructureError) as refused:
        import_structure(
            {
                "places": [
                    {"slug": "england", "name": "Eng\x00land", "level": "nation"},
                    {"slug": "wales", "name": "Wales", "level": "nation", "population": 10**20},
                ]
            }
        )
    problems = refused.value.problems
    assert "places entry 1: 'name' holds a control character" in problems
    assert "place 'wales' population must be a whole number from 0 to 2,147,483,647" in problems
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Place)) == 0
