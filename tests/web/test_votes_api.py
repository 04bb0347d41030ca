"""Votes API: motion reads, casting with a token, the ballot file, receipts, JSON errors."""

from __future__ import annotations

import pytest

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from tests.conftest import api_token
from tests.factories.votes import counts, make_hm, open_motion


@pytest.fixture
def hm(make):
    return make_hm(make)


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


def test_motion_json_shows_rules_and_turnout_but_no_result_while_open(client, db, hm):
    motion = open_motion(hm, method="schulze")
    cast_ballot(hm["members"]["citizen"][0], motion, ranking=["Beta"])
    data = client.get(f"/api/v1/motions/{motion.id}").get_json()
    assert data["status"] == "open" and data["method"] == "schulze"
    assert data["options"] == ["Alpha", "Beta", "Gamma"]
    assert data["rules"]["quorum"] == 0.1 and data["rules"]["weights"]["citizen"] == 1
    assert data["turnout"]["citizen"] == {"eligible": 4, "voted": 1}
    assert data["result"] is None and data["ballot_file"] is None
    listed = client.get("/api/v1/councils/health-manchester/motions").get_json()["motions"]
    assert [m["id"] for m in listed] == [motion.id]


def test_draft_motion_has_no_rules_yet(client, db, hm):
    from participate.votes import services

    draft = services.create_motion(hm["clerk"], hm["council"], title="Draft", method="binary")
    data = client.get(f"/api/v1/motions/{draft.id}", headers=api_token(hm["clerk"])).get_json()
    assert data["status"] == "draft" and data["rules"] is None and data["turnout"] is None
    # A draft is the clerks': anyone else reads it as no motion at all.
    assert client.get(f"/api/v1/motions/{draft.id}").status_code == 404


def test_cast_201_then_change_200_with_the_same_receipt(client, db, hm):
    motion = open_motion(hm)
    headers = api_token(hm["members"]["leader"][0])
    first = client.post(
        f"/api/v1/motions/{motion.id}/ballots", json={"choice": "yes"}, headers=headers
    )
    assert first.status_code == 201
    receipt = first.get_json()["receipt"]
    assert first.get_json() == {"motion": motion.id, "receipt": receipt, "changed": False}
    again = client.post(
        f"/api/v1/motions/{motion.id}/ballots", json={"choice": "no"}, headers=headers
    )
    assert again.status_code == 200
    assert again.get_json() == {"motion": motion.id, "receipt": receipt, "changed": True}
    assert counts(db, motion.id) == (1, 1)


def test_ranked_and_consent_ballots_by_api(client, db, hm):
    ranked = open_motion(hm, method="schulze")
    consent = open_motion(hm, method="consent")
    headers = api_token(hm["members"]["citizen"][0])
    response = client.post(
        f"/api/v1/motions/{ranked.id}/ballots",
        json={"ranking": ["Gamma", "Alpha"]},
        headers=headers,
    )
    assert response.status_code == 201
    response = client.post(
        f"/api/v1/motions/{consent.id}/ballots", json={"consent": True}, headers=headers
    )
    assert response.status_code == 201
    response = client.post(
        f"/api/v1/motions/{consent.id}/ballots",
        json={"objection": "Needs a Welsh-language version."},
        headers=headers,
    )
    assert response.status_code == 200

    from participate.votes.results import opened_ballots

    rows = [
        (m.id, b.choice, b.ranking, b.reason) for m in (ranked, consent) for b in opened_ballots(m)
    ]
    assert sorted(rows, key=lambda r: r[0]) == [
        (ranked.id, None, ["Gamma", "Alpha"], None),
        (consent.id, "object", None, "Needs a Welsh-language version."),
    ]


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("binary", {"choice": "maybe"}, 400, "bad_choice"),
        ("binary", {"choice": 1}, 400, "bad_choice"),
        ("binary", {"ranking": ["Alpha"]}, 400, "wrong_ballot_kind"),
        ("binary", {}, 400, "bad_ballot"),
        ("binary", {"choice": "yes", "ranking": []}, 400, "bad_ballot"),
        ("schulze", {"ranking": ["Alpha", "Zeta"]}, 400, "unknown_option"),
        ("schulze", {"ranking": ["Alpha", "Alpha"]}, 400, "duplicate_option"),
        ("schulze", {"ranking": []}, 400, "empty_ranking"),
        ("schulze", {"ranking": "Alpha"}, 400, "bad_ballot"),
        ("schulze", {"ranking": [["Alpha"]]}, 400, "unknown_option"),
        ("consent", {"objection": "   "}, 400, "reason_required"),
        ("consent", {"consent": False}, 400, "bad_ballot"),
        ("consent", {"objection": 5}, 400, "bad_ballot"),
        ("consent", {"objection": "x" * 2001}, 400, "reason_too_long"),
    ],
)
def test_bad_ballots_by_api_are_refused_with_json_errors(
    client, db, hm, method, body, status, code
):
    motion = open_motion(hm, method=method)
    headers = api_token(hm["members"]["citizen"][0])
    response = client.post(f"/api/v1/motions/{motion.id}/ballots", json=body, headers=headers)
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert counts(db, motion.id) == (0, 0)


def test_api_refusals_for_people_and_states(client, db, make, hm):
    motion = open_motion(hm)
    url = f"/api/v1/motions/{motion.id}/ballots"
    assert error_of(client.post(url, json={"choice": "yes"}))["code"] == "token_required"
    bad_token = client.post(url, json={"choice": "yes"}, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    outsider = client.post(url, json={"choice": "yes"}, headers=api_token(make.user()))
    assert outsider.status_code == 403 and error_of(outsider)["code"] == "not_eligible"
    late = make.user()
    make.member(late, hm["council"], "citizen")
    late_response = client.post(url, json={"choice": "yes"}, headers=api_token(late))
    assert late_response.status_code == 403
    assert error_of(late_response)["code"] == "joined_after_opening"
    not_json = client.post(url, data="choice=yes", headers=api_token(hm["members"]["citizen"][0]))
    assert not_json.status_code == 400 and error_of(not_json)["code"] == "bad_json"
    close_voting(hm["clerk"], motion)
    closed = client.post(
        url, json={"choice": "yes"}, headers=api_token(hm["members"]["citizen"][0])
    )
    assert closed.status_code == 409 and error_of(closed)["code"] == "voting_closed"
    missing = client.post(
        "/api/v1/motions/424242/ballots", json={"choice": "yes"}, headers=api_token(late)
    )
    assert missing.status_code == 404
    assert counts(db, motion.id) == (0, 0)


def test_ballot_file_is_refused_before_close_and_published_after(client, db, hm):
    motion = open_motion(hm)
    cast = cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    early = client.get(f"/api/v1/motions/{motion.id}/ballots.json")
    assert early.status_code == 409 and error_of(early)["code"] == "not_closed"
    close_voting(hm["clerk"], motion)
    response = client.get(f"/api/v1/motions/{motion.id}/ballots.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert set(data) == {"method", "rules", "constituencies", "ballots"}  # DESIGN §3 exactly
    assert data["method"] == "binary"
    assert data["rules"] == {
        "quorum": 0.1,
        "threshold": 0.5,
        "min_constituencies": 2,
        "concurrent_majority": False,
    }
    assert data["constituencies"]["citizen"] == {"weight": 1, "eligible": 4}
    assert data["ballots"] == [
        {"constituency": "citizen", "receipt": cast.receipt, "choice": "yes"}
    ]
    motion_data = client.get(f"/api/v1/motions/{motion.id}").get_json()
    assert motion_data["result"]["passed"] is False  # only one constituency counts
    assert motion_data["ballot_file"].endswith(f"/api/v1/motions/{motion.id}/ballots.json")


def test_receipt_endpoint(client, db, hm):
    motion = open_motion(hm, method="consent")
    cast = cast_ballot(hm["members"]["employee"][0], motion, objection="Too early.")
    assert client.get(f"/api/v1/motions/{motion.id}/receipts/{cast.receipt}").status_code == 409
    close_voting(hm["clerk"], motion)
    found = client.get(f"/api/v1/motions/{motion.id}/receipts/{cast.receipt.replace('-', '')}")
    assert found.status_code == 200
    assert found.get_json()["ballot"] == {
        "receipt": cast.receipt,
        "constituency": "employee",
        "choice": "object",
        "reason": "Too early.",
    }
    assert (
        client.get(f"/api/v1/motions/{motion.id}/receipts/AAAA-BBBB-CCCC-DDDD").status_code == 404
    )
    assert client.get(f"/api/v1/motions/{motion.id}/receipts/short").status_code == 400


def test_openapi_declares_the_votes_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/motions/{id}"]
    assert paths["/motions/{id}/ballots"]["post"]["security"] == [{"token": []}]
    assert "get" in paths["/motions/{id}/ballots.json"]
    assert "get" in paths["/councils/{slug}/motions"]
