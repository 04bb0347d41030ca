"""The rounds API: reads are public; the clerk's actions take a token; errors are JSON
{"error": {"code", "message"}} with a 4xx status; the OpenAPI document declares them."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import api_token
from tests.factories import rounds as shared
from tests.factories.rounds import schedule, start_round

hm = shared.hm  # the fixture


def iso(moment) -> str:
    return moment.isoformat() + "Z"


def test_round_detail_and_council_list(client, db, hm):
    round_ = start_round(hm)
    data = client.get(f"/api/v1/rounds/{round_.id}").get_json()
    assert data["phase"] == "briefing" and data["council"] == "health-manchester"
    assert [s["phase"] for s in data["schedule"]] == [
        "briefing",
        "discussion",
        "refinement",
        "voting",
        "outcome",
    ]
    assert [a["position"] for a in data["agenda"]] == [1, 2, 3]
    assert data["agenda"][0]["kind"] == "proposal" and data["agenda"][0]["outcome"] is None
    assert data["participation"]["people"] == 0 and data["minutes"] is None
    listing = client.get("/api/v1/councils/health-manchester/rounds").get_json()
    assert [r["id"] for r in listing["rounds"]] == [round_.id]
    missing = client.get("/api/v1/rounds/999999")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_clerk_creates_advances_and_records_by_token(client, db, hm):
    token = api_token(hm["clerk"])
    ends = schedule()
    created = client.post(
        "/api/v1/councils/health-manchester/rounds",
        json={
            "title": "Winter pressures on urgent care",
            "purpose": "Decide what the council does this winter.",
            "agenda": [{"proposal": hm["proposals"][1].id}, {"proposal": hm["proposals"][0].id}],
            "schedule": {p: iso(e) for p, e in ends.items()},
        },
        headers=token,
    )
    assert created.status_code == 201, created.get_json()
    round_id = created.get_json()["id"]
    assert [a["id"] for a in created.get_json()["agenda"]] == [
        hm["proposals"][1].id,
        hm["proposals"][0].id,
    ]
    unsaid = client.post(f"/api/v1/rounds/{round_id}/advance", json={}, headers=token)
    assert unsaid.status_code == 400
    assert unsaid.get_json()["error"]["code"] == "from_phase_required"
    assert client.get(f"/api/v1/rounds/{round_id}").get_json()["phase"] == "briefing"
    seen = "briefing"
    for expected in ("discussion", "refinement", "voting", "outcome"):
        moved = client.post(
            f"/api/v1/rounds/{round_id}/advance", json={"from_phase": seen}, headers=token
        )
        assert moved.status_code == 200 and moved.get_json()["phase"] == expected
        seen = expected
    stale = client.post(
        f"/api/v1/rounds/{round_id}/advance", json={"from_phase": "voting"}, headers=token
    )
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "phase_already_current"
    items = client.get(f"/api/v1/rounds/{round_id}").get_json()["agenda"]
    for item in items:
        recorded = client.post(
            f"/api/v1/rounds/{round_id}/items/{item['item']}/outcome",
            json={
                "decision": "rejected",
                "reasons": "Nobody voted, so the council did not adopt it.",
            },
            headers=token,
        )
        assert recorded.status_code == 200, recorded.get_json()
    closed = client.post(
        f"/api/v1/rounds/{round_id}/advance", json={"from_phase": "outcome"}, headers=token
    )
    assert closed.get_json()["phase"] == "closed"
    minutes = client.get(f"/api/v1/rounds/{round_id}/minutes.json").get_json()
    assert minutes["round"]["id"] == round_id and len(minutes["items"]) == 2
    again = client.post(
        f"/api/v1/rounds/{round_id}/advance", json={"from_phase": "closed"}, headers=token
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "round_closed"


def test_a_phase_guard_ahead_of_the_round_moves_nothing(client, db, hm):
    """from_phase must be the current phase: a guard naming a later phase is a 409 that names
    the current one, and the round stays where it is."""
    round_ = start_round(hm)
    token = api_token(hm["clerk"])
    for ahead in ("discussion", "voting", "outcome"):
        response = client.post(
            f"/api/v1/rounds/{round_.id}/advance", json={"from_phase": ahead}, headers=token
        )
        assert response.status_code == 409, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "phase_not_current"
        assert "briefing" in error["message"]
    assert client.get(f"/api/v1/rounds/{round_.id}").get_json()["phase"] == "briefing"


def test_minutes_json_is_404_until_closed(client, db, hm):
    round_ = start_round(hm)
    response = client.get(f"/api/v1/rounds/{round_.id}/minutes.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "minutes_not_published"


def test_writes_need_a_token_and_a_clerk(client, db, hm):
    round_ = start_round(hm)
    anonymous = client.post(f"/api/v1/rounds/{round_.id}/advance", json={})
    assert (
        anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "token_required"
    )
    member = client.post(
        f"/api/v1/rounds/{round_.id}/advance",
        json={},
        headers=api_token(hm["members"]["citizen"][0]),
    )
    assert member.status_code == 403 and member.get_json()["error"]["code"] == "clerks_only"


def test_bad_input_over_the_api_writes_nothing(client, db, hm):
    from participate.rounds.models import Round

    token = api_token(hm["clerk"])
    ends = schedule()
    cases = [
        ({"agenda": [{"proposal": hm["foreign"].id}]}, "agenda_other_council"),
        (
            {"schedule": {**{p: iso(e) for p, e in ends.items()}, "voting": iso(ends["briefing"])}},
            "schedule_out_of_order",
        ),
        ({"schedule": {p: "next tuesday" for p in ends}}, "schedule_invalid"),
        ({"schedule": None}, "schedule_missing_end"),
        ({"title": ""}, "title_required"),
    ]
    for change, code in cases:
        body = {
            "title": "Winter",
            "purpose": "Decide.",
            "agenda": [{"proposal": hm["proposals"][0].id}],
            "schedule": {p: iso(e) for p, e in ends.items()},
            **change,
        }
        response = client.post(
            "/api/v1/councils/health-manchester/rounds", json=body, headers=token
        )
        assert response.status_code == 400, (code, response.get_json())
        assert response.get_json()["error"]["code"] == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0


def test_member_asks_by_api(client, db, hm):
    round_ = start_round(hm)
    member = hm["members"]["leader"][0]
    asked = client.post(
        f"/api/v1/rounds/{round_.id}/questions",
        json={"question": "What will it cost?", "item": round_.items[0].id},
        headers=api_token(member),
    )
    assert asked.status_code == 201
    data = client.get(f"/api/v1/rounds/{round_.id}").get_json()
    assert data["questions"][0]["question"] == "What will it cost?"
    assert data["participation"]["by_constituency"]["leader"] == 1


def test_openapi_declares_the_round_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [
        ("/rounds/{id}", "get"),
        ("/councils/{slug}/rounds", "get"),
        ("/councils/{slug}/rounds", "post"),
        ("/rounds/{id}/minutes.json", "get"),
        ("/rounds/{id}/advance", "post"),
        ("/rounds/{id}/items/{item}/outcome", "post"),
        ("/rounds/{id}/questions", "post"),
    ]:
        assert method in paths[path], path
