"""The JSON twins of the proposal pages: same services, JSON errors with a 4xx status."""

# ruff: noqa: F811  (the fixtures world and proposal come from test_proposals)

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participate.proposals import discussion, moderation, services
from participate.proposals.models import Amendment, Comment, Proposal, Support
from tests.conftest import api_token
from tests.factories.proposals import BODY, count, proposal, world  # noqa: F401


def error_of(response) -> dict:
    data = response.get_json()
    assert set(data) == {"error"} and {"code", "message"} <= set(data["error"])
    return data["error"]


def test_list_with_filters_and_sorts(client, world, proposal):
    discussion.support(world.member, proposal)
    other = services.create_proposal(
        world.leader, world.council, title="Quiet", body="Text", themes="housing"
    )
    data = client.get("/api/v1/councils/health-manchester/proposals").get_json()
    assert data["total"] == 2 and [p["id"] for p in data["proposals"]] == [other.id, proposal.id]
    first = data["proposals"][1]
    assert first["supports"] == 1 and first["supports_by_constituency"] == {"employee": 1}
    assert first["author"] == {
        "id": world.author.id,
        "name": "Amina Author",
        "constituency": "citizen",
    }
    assert first["themes"] == ["gp-access", "waiting-times"]
    supported = client.get("/api/v1/councils/health-manchester/proposals?sort=supported").get_json()
    assert supported["proposals"][0]["id"] == proposal.id
    housing = client.get("/api/v1/councils/health-manchester/proposals?theme=housing").get_json()
    assert [p["id"] for p in housing["proposals"]] == [other.id]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("sort=loud", "bad_sort"),
        ("status=x", "bad_status"),
        ("page=0", "bad_page"),
        ("page=a", "bad_page"),
    ],
)
def test_list_bad_filters(client, world, query, code):
    response = client.get(f"/api/v1/councils/health-manchester/proposals?{query}")
    assert response.status_code == 400 and error_of(response)["code"] == code


def test_list_unknown_council(client, world):
    response = client.get("/api/v1/councils/nowhere/proposals")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_create_needs_a_member_token(client, db, world):
    url = "/api/v1/councils/health-manchester/proposals"
    body = {"title": "Open on Sundays", "body": BODY, "themes": ["GP access"]}
    response = client.post(url, json=body)
    assert response.status_code == 401 and error_of(response)["code"] == "token_required"
    response = client.post(url, json=body, headers=api_token(world.account))
    assert response.status_code == 403 and error_of(response)["code"] == "members_only"
    assert count(db, Proposal) == 0
    response = client.post(url, json=body, headers=api_token(world.member))
    assert response.status_code == 201
    data = response.get_json()
    assert data["title"] == "Open on Sundays" and data["status"] == "open"
    assert data["themes"] == ["gp-access"] and "<strong>evening hubs</strong>" in data["body_html"]
    assert data["comments_tree"] == [] and data["versions"][0]["number"] == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"title": "", "body": BODY}, "title_empty"),
        ({"title": 5, "body": BODY}, "title_invalid"),
        ({"title": "Fine", "body": "x" * 20_001}, "body_too_long"),
        ({"title": "Fine", "body": BODY, "themes": [3]}, "theme_invalid"),
    ],
)
def test_create_bad_input(client, db, world, body, code):
    response = client.post(
        "/api/v1/councils/health-manchester/proposals", json=body, headers=api_token(world.member)
    )
    assert response.status_code == 400 and error_of(response)["code"] == code
    assert count(db, Proposal) == 0


def test_create_needs_json(client, world):
    response = client.post(
        "/api/v1/councils/health-manchester/proposals",
        data="title=x",
        headers={**api_token(world.member), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and error_of(response)["code"] == "bad_json"


def test_detail_has_the_comment_tree_and_supports(client, world, proposal):
    root = discussion.add_comment(world.member, proposal, body="Root", stance="against")
    discussion.add_comment(world.leader, proposal, body="Reply", stance="for", parent_id=root.id)
    discussion.support(world.leader, proposal)
    data = client.get(f"/api/v1/proposals/{proposal.id}").get_json()
    assert data["supports_by_constituency"]["leader"] == 1
    (node,) = data["comments_tree"]
    assert (
        node["body"] == "Root"
        and node["stance"] == "against"
        and node["constituency"] == "employee"
    )
    assert node["replies"][0]["body"] == "Reply" and node["replies"][0]["parent_id"] == root.id
    assert data["stances_by_constituency"]["employee"]["against"] == 1
    assert data["stances_by_constituency"]["all"]["for"] == 1
    assert client.get("/api/v1/proposals/999999").status_code == 404


def test_hidden_content_is_not_in_the_api(client, world, proposal):
    comment = discussion.add_comment(world.member, proposal, body="Rude words", stance="against")
    moderation.hide(world.clerk, proposal, comment=comment, reason="attack")
    node = client.get(f"/api/v1/proposals/{proposal.id}").get_json()["comments_tree"][0]
    assert node["hidden"] and node["hidden_reason"] == "attack" and "body" not in node
    moderation.hide(world.clerk, proposal, reason="spam")
    data = client.get(f"/api/v1/proposals/{proposal.id}").get_json()
    assert data["hidden"] and data["title"] is None and "body" not in data


def test_comment_and_reply(client, db, world, proposal):
    url = f"/api/v1/proposals/{proposal.id}/comments"
    response = client.post(
        url, json={"body": "Why?", "stance": "question"}, headers=api_token(world.member)
    )
    assert response.status_code == 201
    root = response.get_json()
    assert root["stance"] == "question" and root["constituency"] == "employee"
    reply = client.post(
        url,
        json={"body": "Because", "stance": "for", "parent_id": root["id"]},
        headers=api_token(world.author),
    )
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == root["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"body": "", "stance": "for"}, 400, "body_empty"),
        ({"body": "Hi", "stance": "maybe"}, 400, "stance_invalid"),
        ({"body": "Hi"}, 400, "stance_invalid"),
        ({"body": "Hi", "stance": "for", "parent_id": "1"}, 400, "bad_parent"),
        ({"body": "Hi", "stance": "for", "parent_id": 999999}, 404, "parent_not_here"),
    ],
)
def test_bad_comments(client, db, world, proposal, body, status, code):
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/comments", json=body, headers=api_token(world.member)
    )
    assert response.status_code == status and error_of(response)["code"] == code
    assert count(db, Comment) == 0


def test_comment_refusals(client, db, world, proposal):
    url = f"/api/v1/proposals/{proposal.id}/comments"
    body = {"body": "Hi", "stance": "for"}
    response = client.post(url, json=body, headers=api_token(world.account))
    assert response.status_code == 403 and error_of(response)["code"] == "members_only"
    other = services.create_proposal(world.leader, world.council, title="Other", body="Text")
    elsewhere = discussion.add_comment(world.leader, other, body="There", stance="for")
    response = client.post(
        url, json={**body, "parent_id": elsewhere.id}, headers=api_token(world.member)
    )
    assert response.status_code == 404 and error_of(response)["code"] == "parent_not_here"
    services.withdraw_proposal(world.author, proposal)
    response = client.post(url, json=body, headers=api_token(world.member))
    assert response.status_code == 409 and error_of(response)["code"] == "proposal_withdrawn"
    assert count(db, Comment, Comment.proposal_id == proposal.id) == 0


def test_supports(client, db, world, proposal):
    url = f"/api/v1/proposals/{proposal.id}/supports"
    token = api_token(world.member)
    response = client.post(url, headers=token)
    assert response.status_code == 201
    assert response.get_json()["by_constituency"]["employee"] == 1
    again = client.post(url, headers=token)
    assert again.status_code == 409 and error_of(again)["code"] == "already_supported"
    assert count(db, Support) == 1
    outsider = client.post(url, headers=api_token(world.account))
    assert outsider.status_code == 403 and error_of(outsider)["code"] == "members_only"
    withdrawn = client.delete(url, headers=token)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["total"] == 0
    assert client.delete(url, headers=token).status_code == 409
    assert client.post(url).status_code == 401


def test_amendments_and_resolution(client, db, world, proposal):
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/amendments",
        json={"body": BODY + "\nPilot first.", "reason": "Start small"},
        headers=api_token(world.member),
    )
    assert response.status_code == 201
    amendment = response.get_json()
    assert amendment["status"] == "pending" and amendment["base_version"] == 1
    url = f"/api/v1/amendments/{amendment['id']}/resolution"
    response = client.post(url, json={"decision": "accept"}, headers=api_token(world.member))
    assert response.status_code == 403 and error_of(response)["code"] == "author_only"
    response = client.post(url, json={"decision": "maybe"}, headers=api_token(world.author))
    assert response.status_code == 400 and error_of(response)["code"] == "bad_decision"
    response = client.post(
        url, json={"decision": "accept", "reason": "Good"}, headers=api_token(world.author)
    )
    assert response.status_code == 200 and response.get_json()["resulting_version"] == 2
    assert client.get(f"/api/v1/proposals/{proposal.id}").get_json()["version"] == 2


def test_amendment_to_a_closed_proposal(client, db, world, proposal):
    services.set_status(world.clerk, proposal, "on_agenda")
    services.set_status(world.clerk, proposal, "rejected")
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/amendments",
        json={"body": "Other", "reason": "Why"},
        headers=api_token(world.member),
    )
    assert response.status_code == 409 and error_of(response)["code"] == "proposal_rejected"
    assert count(db, Amendment) == 0


def test_edit_withdraw_follow_flag_and_search(client, db, world, proposal):
    token = api_token(world.author)
    response = client.patch(
        f"/api/v1/proposals/{proposal.id}",
        json={"body": "New text about pharmacists"},
        headers=token,
    )
    assert response.status_code == 200 and response.get_json()["version"] == 2
    found = client.get("/api/v1/proposals/search?q=pharmacists").get_json()
    assert found["total"] == 1 and "<mark>pharmacists</mark>" in found["results"][0]["snippet_html"]
    assert client.get("/api/v1/proposals/search?q=pharm&council=nowhere").status_code == 404
    assert client.post(
        f"/api/v1/proposals/{proposal.id}/follow", headers=api_token(world.leader)
    ).get_json()["following"]
    flagged = client.post(
        f"/api/v1/proposals/{proposal.id}/flags",
        json={"reason": "Spam"},
        headers=api_token(world.leader),
    )
    assert flagged.status_code == 201
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/withdrawal", json={}, headers=api_token(world.member)
    )
    assert response.status_code == 403
    response = client.post(
        f"/api/v1/proposals/{proposal.id}/withdrawal", json={"reason": "Done"}, headers=token
    )
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"


def test_every_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/councils/{slug}/proposals"])
    assert {"get", "patch"} <= set(paths["/proposals/{id}"])
    for path in (
        "/proposals/{id}/comments",
        "/proposals/{id}/supports",
        "/proposals/{id}/amendments",
        "/amendments/{id}/resolution",
        "/proposals/{id}/flags",
        "/proposals/{id}/withdrawal",
        "/proposals/{id}/follow",
        "/proposals/search",
    ):
        assert path in paths, path
    assert paths["/proposals/{id}/supports"]["post"]["security"] == [{"token": []}]


def test_api_writes_match_the_database(client, db, world, proposal):
    client.post(f"/api/v1/proposals/{proposal.id}/supports", headers=api_token(world.leader))
    db.session.expire_all()
    row = db.session.scalar(sa.select(Proposal).where(Proposal.id == proposal.id))
    assert row.supports_count == count(db, Support, Support.proposal_id == proposal.id) == 1
