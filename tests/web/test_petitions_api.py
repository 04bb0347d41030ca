"""The petitions API: list, detail with counts, signing (201 / 409 / JSON errors)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import api_token
from tests.factories import petitions as shared
from tests.factories.petitions import (
    draft,
    opened,
    reached,
    small_rules,
)

world = shared.world  # the fixture, shared with test_petitions.py


def _signature_count(db, petition) -> int:
    from participate.petitions.models import Signature

    return db.session.scalar(sa.select(sa.func.count()).where(Signature.petition_id == petition.id))


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_list_with_counts_and_filters(client, world, db):
    petition, _ = reached(world)
    other = opened(world, kind="cooperative_governance", title="A co-operative board for care")
    body = client.get("/api/v1/petitions").get_json()
    assert body["total"] == 2
    first = body["petitions"][0]
    assert first["id"] == petition.id and first["count"] == 3 and first["threshold"] == 3
    assert first["status"] == "threshold_reached" and first["council"] == "health-manchester"
    only = client.get("/api/v1/petitions?status=open").get_json()["petitions"]
    assert [p["id"] for p in only] == [other.id]
    kinds = client.get("/api/v1/petitions?kind=cooperative_governance").get_json()["petitions"]
    assert [p["id"] for p in kinds] == [other.id]
    assert client.get("/api/v1/petitions?council=health-salford").get_json()["total"] == 0
    _error(client.get("/api/v1/petitions?status=whatever"), 400, "bad_filter")
    _error(client.get("/api/v1/petitions?council=nowhere"), 404, "not_found")
    _error(client.get("/api/v1/petitions?page=x"), 400, "bad_filter")
    _error(client.get("/api/v1/petitions?per_page=lots"), 400, "bad_filter")


def test_drafts_are_not_listed_or_shown(client, world, db):
    petition = draft(world)
    assert client.get("/api/v1/petitions").get_json()["total"] == 0
    _error(client.get(f"/api/v1/petitions/{petition.id}"), 404)
    mine = client.get(f"/api/v1/petitions/{petition.id}", headers=api_token(world.author))
    assert mine.status_code == 200 and mine.get_json()["status"] == "draft"


def test_detail_has_counts_by_constituency_and_place_threshold_and_milestones(client, world, db):
    petition, _ = reached(world)
    body = client.get(f"/api/v1/petitions/{petition.id}").get_json()
    assert body["threshold"] == 3
    assert body["threshold_explanation"] == "max(3, ceil(0% × 568,996)) = 3"
    assert body["counts"]["total"] == 3
    assert body["counts"]["by_constituency"]["citizen"] == 3
    assert body["counts"]["by_constituency"]["employee"] == 0
    assert body["counts"]["by_place"] == {"manchester": 3}
    assert body["milestones"] == [
        {"signatures": 3, "reached_at": body["threshold_reached_at"], "threshold": True}
    ]
    assert body["response_due_at"].endswith("Z") and body["response"] is None


def test_sign_201_then_409(client, world, db):
    small_rules(world.council, petition_minimum=1000)
    petition = opened(world)
    signer = world.make.user()
    headers = api_token(signer)
    response = client.post(
        f"/api/v1/petitions/{petition.id}/signatures",
        json={"declaration": "work", "place": "manchester", "service": "health"},
        headers=headers,
    )
    assert response.status_code == 201
    signature = response.get_json()["signature"]
    assert signature["constituency"] == "employee" and signature["place"] == "manchester"
    again = client.post(
        f"/api/v1/petitions/{petition.id}/signatures",
        json={"declaration": "live", "place": "manchester"},
        headers=headers,
    )
    _error(again, 409, "already_signed")
    assert _signature_count(db, petition) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"declaration": "tourist"}, 400, "declaration_required"),
        ({"declaration": "member"}, 400, "not_a_member"),
        ({"declaration": "live", "place": "leeds"}, 400, "place_invalid"),
        ({"declaration": 3}, 400, "bad_json"),
        ({}, 400, "bad_json"),
    ],
)
def test_bad_signatures_are_refused_with_the_json_error_shape(
    client, world, db, body, status, code
):
    small_rules(world.council, petition_minimum=1000)
    petition = opened(world)
    response = client.post(
        f"/api/v1/petitions/{petition.id}/signatures",
        json=body,
        headers=api_token(world.make.user()),
    )
    _error(response, status, code)
    assert _signature_count(db, petition) == 0


def test_signing_needs_a_token_and_a_confirmed_email(client, world, db):
    petition = opened(world)
    _error(
        client.post(
            f"/api/v1/petitions/{petition.id}/signatures",
            json={"declaration": "live", "place": "manchester"},
        ),
        401,
        "token_required",
    )
    unconfirmed = api_token(world.make.user(confirmed=False))
    _error(
        client.post(
            f"/api/v1/petitions/{petition.id}/signatures",
            json={"declaration": "live", "place": "manchester"},
            headers=unconfirmed,
        ),
        403,
        "email_unconfirmed",
    )
    _error(
        client.post(
            "/api/v1/petitions/99999/signatures",
            json={"declaration": "live", "place": "manchester"},
            headers=api_token(world.make.user()),
        ),
        404,
    )
    assert _signature_count(db, petition) == 0


def test_signing_an_unpublished_or_closed_petition_is_a_409(client, world, db):
    from participate.petitions import answering

    unpublished = draft(world)
    headers = api_token(world.make.user())
    _error(
        client.post(
            f"/api/v1/petitions/{unpublished.id}/signatures",
            json={"declaration": "live", "place": "manchester"},
            headers=headers,
        ),
        409,
        "petition_not_published",
    )
    petition, _ = reached(world)
    answering.publish_response(
        world.clerk, petition, decision="rejected", response_text="Not this year, see the minutes."
    )
    before = _signature_count(db, petition)
    _error(
        client.post(
            f"/api/v1/petitions/{petition.id}/signatures",
            json={"declaration": "live", "place": "manchester"},
            headers=headers,
        ),
        409,
        "petition_closed",
    )
    assert _signature_count(db, petition) == before
    body = client.get(f"/api/v1/petitions/{petition.id}").get_json()
    assert body["response"]["decision"] == "rejected" and body["response"]["route"] == "meeting"


def test_the_openapi_document_declares_the_petition_endpoints(client, world):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/petitions"] and "get" in paths["/petitions/{id}"]
    sign = paths["/petitions/{id}/signatures"]["post"]
    assert sign["security"] and {"201", "409", "429"} <= set(sign["responses"])


def test_counts_as_csv_open_data(client, world, db):
    petition, _ = reached(world)
    response = client.get(f"/petitions/{petition.id}/counts.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "petition,dimension,key,signatures"
    assert f"{petition.id},total,,3" in lines
    assert f"{petition.id},constituency,citizen,3" in lines
    assert f"{petition.id},place,manchester,3" in lines
    assert any(",day," in line for line in lines)
    assert "@" not in response.get_data(as_text=True)  # no signer is named


def test_unknown_sorts_and_filters_are_refused_naming_the_allowed_values(client, db):
    for query, code in (("sort=loudest", "bad_sort"), ("kind=any", None), ("status=x", None)):
        response = client.get(f"/api/v1/petitions?{query}")
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert "choose one of" in error["message"]
        if code:
            assert error["code"] == code
    page = client.get("/petitions?sort=loudest", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Unknown sort" in html and "most_signed" in html and "Showing all petitions" in html
