"""What a signer declares (issue 13, finding 4).

The "I live in <place>" declaration was pre-ticked for a brand-new account, so anyone
anywhere signed as a resident with one click. Nothing is chosen for the signer now: they
name the local place they live in (one within the area the council serves), or the service
they work for and the place where; the declaration is stored with the signature, shown to
clerks in aggregate, and can be invalidated by rule. The API takes the same declaration and
refuses a missing or out-of-area one naming the field.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, htmx_headers, login
from tests.factories import petitions as shared
from tests.factories.petitions import opened, page

world = shared.world  # the fixture, shared with test_petitions.py


def _rows(db, petition):
    from participate.petitions.models import Signature

    db.session.expire_all()
    return db.session.scalars(
        sa.select(Signature).where(Signature.petition_id == petition.id).order_by(Signature.id)
    ).all()


def _sign_form(html: str) -> str:
    return html[
        html.index('<section id="sign"') : html.index("</section>", html.index('id="sign"'))
    ]


# ---------------------------------------------------------------- the page


def test_nothing_is_chosen_for_a_brand_new_account(client, world, db):
    petition = opened(world)
    newcomer = world.make.user()
    login(client, newcomer)
    form = _sign_form(page(client, f"/petitions/{petition.id}"))
    assert 'name="declaration" value="live"' in form
    assert "checked" not in form and "selected" not in form
    assert '<option value="">Choose a place</option>' in form
    assert '<option value="manchester">Manchester</option>' in form
    assert '<option value="health">Health and care</option>' in form


@pytest.mark.parametrize(
    ("data", "field_text"),
    [
        ({"declaration": "live"}, "Choose the local place you live in"),
        ({"declaration": "work", "place": "manchester"}, "Choose the service you work for"),
        ({"declaration": "work", "service": "health"}, "Choose the local place you work in"),
        ({"declaration": "live", "place": "salford"}, "within the area the council serves"),
        (
            {"declaration": "work", "place": "manchester", "service": "schools"},
            "among those the council covers",
        ),
        ({}, "declare that you live in the place"),
    ],
)
def test_a_declaration_that_names_nothing_or_elsewhere_is_refused(
    client, world, db, data, field_text
):
    petition = opened(world)
    login(client, world.make.user())
    response = client.post(f"/petitions/{petition.id}/sign", data=data, headers=htmx_headers())
    assert response.status_code == 400
    assert field_text in response.get_data(as_text=True)
    assert _rows(db, petition) == []


def test_the_declaration_is_recorded_with_the_signature(client, world, db):
    petition = opened(world)
    login(client, world.make.user())
    response = client.post(
        f"/petitions/{petition.id}/sign",
        data={"declaration": "work", "place": "manchester", "service": "health"},
        headers=htmx_headers(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "you work for Health and care in Manchester" in response.get_data(as_text=True)
    client.post("/logout")
    login(client, world.make.user())
    client.post(
        f"/petitions/{petition.id}/sign", data={"declaration": "live", "place": "manchester"}
    )
    work, live = _rows(db, petition)
    assert (work.declaration, work.constituency, work.place.slug, work.service.slug) == (
        "work",
        "employee",
        "manchester",
        "health",
    )
    assert (live.declaration, live.constituency, live.place.slug, live.service_id) == (
        "live",
        "citizen",
        "manchester",
        None,
    )


def test_a_regional_petition_offers_the_local_places_of_its_area(client, world, db):
    from participate.petitions.signing import sign_petition

    council = world.councils["health-north-west"]
    world.make.member(world.clerk, council, "employee", role="clerk")
    petition = opened(world, council=council)
    login(client, world.make.user())
    form = _sign_form(page(client, f"/petitions/{petition.id}"))
    assert re.findall(r'<option value="([a-z-]+)">', form) == ["manchester", "salford", "health"]
    signed = sign_petition(world.make.user(), petition.id, declaration="live", place="salford")
    assert signed.place_slug == "salford"
    from participate.errors import DomainError

    with pytest.raises(DomainError) as refused:  # the region is not a place one lives in
        sign_petition(world.make.user(), petition.id, declaration="live", place="north-west")
    assert refused.value.field == "place"


def test_a_place_forum_takes_any_service(world, db):
    from participate.petitions.signing import sign_petition

    council = world.councils["forum-manchester"]
    world.make.member(world.clerk, council, "employee", role="clerk")
    petition = opened(world, council=council)
    signed = sign_petition(
        world.make.user(), petition.id, declaration="work", place="manchester", service="schools"
    )
    assert signed.service_name == "Schools"


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"declaration": "live"}, "place_required", "place"),
        ({"declaration": "work", "place": "manchester"}, "service_required", "service"),
        ({"declaration": "live", "place": "salford"}, "place_invalid", "place"),
        ({"declaration": "live", "place": "north-west"}, "place_invalid", "place"),
        (
            {"declaration": "work", "place": "manchester", "service": "schools"},
            "service_invalid",
            "service",
        ),
        ({"place": "manchester"}, "bad_json", "declaration"),
        ({"declaration": "live", "place": 7}, "bad_json", "place"),
    ],
)
def test_the_api_refuses_a_missing_or_out_of_area_declaration(client, world, db, body, code, field):
    petition = opened(world)
    response = client.post(
        f"/api/v1/petitions/{petition.id}/signatures",
        json=body,
        headers=api_token(world.make.user()),
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert _rows(db, petition) == []


def test_the_api_records_the_declaration(client, world, db):
    petition = opened(world)
    response = client.post(
        f"/api/v1/petitions/{petition.id}/signatures",
        json={"declaration": "work", "place": "manchester", "service": "health"},
        headers=api_token(world.make.user()),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    signature = response.get_json()["signature"]
    assert signature["declaration"] == "work" and signature["service"] == "health"
    assert signature["place"] == "manchester" and signature["constituency"] == "employee"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    schema = paths["/petitions/{id}/signatures"]["post"]["requestBody"]["content"]
    assert "service" in schema["application/json"]["schema"]["properties"]


# ---------------------------------------------------------------- the clerk


def test_the_clerk_sees_declarations_in_aggregate_and_invalidates_by_rule(client, world, db):
    from participate.petitions.signing import sign_petition

    petition = opened(world)
    for _ in range(3):
        sign_petition(
            world.make.user(), petition.id, declaration="work", place="manchester", service="health"
        )
    sign_petition(world.make.user(), petition.id, declaration="live", place="manchester")
    login(client, world.clerk)
    html = page(client, f"/petitions/{petition.id}/signatures")
    declared = html[
        html.index('id="declared-h"') : html.index("</table>", html.index("declared-h"))
    ]
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td[^>]*>(\d+)", declared
    )
    assert rows == [
        ("works for the service (employee)", "Manchester", "Health and care", "3"),
        ("lives here (citizen)", "Manchester", "—", "1"),
    ]
    client.post(
        f"/petitions/{petition.id}/signatures",
        data={
            "service": "health",
            "declaration": "work",
            "reason": "a staff mailing",
            "action": "invalidate",
        },
    )
    assert [s.invalidated_at is not None for s in _rows(db, petition)] == [True, True, True, False]
    response = client.post(
        f"/api/v1/petitions/{petition.id}/signatures/invalidate",
        json={"rule": {"declaration": "live", "place": "manchester"}, "reason": "checked"},
        headers=api_token(world.clerk),
    )
    assert response.get_json() == {"invalidated": 1}
