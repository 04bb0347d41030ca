"""Forwarding adopted proposals up the forum network, taking them up, chains; pages and API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from tests.conftest import api_token
from tests.factories.upward import STATEMENT, adopt, build_world, count, forward

GP = (
    "Book GP appointments days ahead",
    "Let patients book GP appointments days ahead, not at 8am.",
)


@pytest.fixture
def world(make):
    return build_world(make)


@pytest.fixture
def adopted(world):
    members = world.members["health-manchester"]
    votes = {u: "yes" for u in members[:4]} | {members[4]: "no"}
    return adopt(
        world.manchester_clerk,
        world["health-manchester"],
        *GP,
        themes=["gp-access"],
        supporters=members[:3],
        motion_votes=votes,
    )


def _forwards():
    from participate.upward.models import Forward

    return count(Forward)


def test_the_forward_form_offers_the_parents_the_graph_names(client, login_as, world, adopted):
    login_as(world.manchester_clerk)
    page = client.get(f"/proposals/{adopted.id}/forward").get_data(as_text=True)
    assert "Health and care North West" in page or "health-north-west" in page
    assert 'value="forum-manchester"' in page and 'value="health-north-west"' in page
    # every council above, the direct parents first, a skipped level named
    assert page.index('value="health-north-west"') < page.index('value="health-england"')
    assert page.index('value="forum-manchester"') < page.index('value="health-england"')
    assert "skips Health and care council, North West" in page
    assert 'value="schools-manchester"' not in page and 'value="health-salford"' not in page
    assert "Subsidiarity statement" in page
    # the deciding motion was found
    assert "Adopt: Book GP appointments" in page


def test_a_clerk_forwards_with_a_snapshot_and_a_link_back(client, login_as, world, adopted, db):
    from participate.audit.models import AuditEvent
    from participate.notifications.models import Notification
    from participate.upward.models import Forward

    login_as(world.manchester_clerk)
    response = client.post(
        f"/proposals/{adopted.id}/forward",
        data={"targets": ["health-north-west", "forum-manchester"], "subsidiarity": STATEMENT},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/proposals/{adopted.id}#upward")
    rows = db.session.scalars(sa.select(Forward).order_by(Forward.to_council_id)).all()
    assert {f.to_council.slug for f in rows} == {"health-north-west", "forum-manchester"}
    f = next(r for r in rows if r.to_council.slug == "health-north-west")
    assert f.title == GP[0] and f.body == GP[1] and f.themes == ["gp-access"]
    assert f.subsidiarity == STATEMENT and f.link_kind == "reports_to"
    assert f.from_council.slug == "health-manchester"
    assert f.supports["citizen"] == 3 and f.supporters == 3
    assert f.members["citizen"] == 3 and f.members["employee"] == 3
    assert f.tally["passed"] is True
    assert f.tally["constituencies"]["citizen"]["voted"] == 3
    assert f.motion_id is not None and f.cluster_id is not None
    assert f.path == [world["health-manchester"].id, world["health-north-west"].id]
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("upward.forwarded") == 2
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "upward_forwarded")
    ).all()
    assert world.regional_clerk.id in told and world.forum_clerk.id in told
    page = client.get(f"/forwards/{f.id}").get_data(as_text=True)
    assert STATEMENT in page and f"/proposals/{adopted.id}" in page
    assert "Health and care Manchester" in page or "health-manchester" in page
    # the original proposal shows where it went
    page = client.get(f"/proposals/{adopted.id}").get_data(as_text=True)
    assert 'id="upward"' in page and "waiting for an answer" in page


def test_the_form_can_name_the_deciding_motion(client, login_as, world, db):
    from participate.upward.models import Forward
    from participate.votes import services as votes

    mcr = world["health-manchester"]
    proposal = adopt(world.manchester_clerk, mcr, *GP)
    motion = votes.create_motion(world.manchester_clerk, mcr, title="Our vote", method="binary")
    votes.open_voting(world.manchester_clerk, motion, None)
    cast_ballot(world.members["health-manchester"][0], motion, choice="yes")
    close_voting(world.manchester_clerk, motion)
    login_as(world.manchester_clerk)
    response = client.post(
        f"/proposals/{proposal.id}/forward",
        data={
            "targets": ["health-north-west"],
            "subsidiarity": STATEMENT,
            "motion": str(motion.id),
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(sa.select(Forward.motion_id)) == motion.id


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"targets": ["health-north-west"], "subsidiarity": ""},
            "Write the subsidiarity statement",
        ),
        ({"targets": ["health-north-west"], "subsidiarity": "Too short."}, "too short"),
        ({"targets": ["health-salford"], "subsidiarity": STATEMENT}, "not above"),
        ({"targets": ["schools-manchester"], "subsidiarity": STATEMENT}, "not above"),
        ({"subsidiarity": STATEMENT}, "Choose at least one council"),
    ],
)
def test_bad_forwards_say_why_and_write_nothing(client, login_as, world, adopted, data, message):
    login_as(world.manchester_clerk)
    response = client.post(f"/proposals/{adopted.id}/forward", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _forwards() == 0


def test_a_clerk_forwards_straight_to_the_national_council_skipping_the_region(
    client, login_as, world, adopted, db
):
    from participate.upward.models import Forward

    login_as(world.manchester_clerk)
    response = client.post(
        f"/proposals/{adopted.id}/forward",
        data={"targets": ["health-england"], "subsidiarity": STATEMENT},
    )
    assert response.status_code == 303
    f = db.session.scalar(sa.select(Forward))
    assert f.to_council.slug == "health-england" and f.link_kind == "reports_to"
    assert f.path == [world["health-manchester"].id, world["health-england"].id]
    assert f.cluster_id is not None
    inbox = client.get("/councils/health-england/inbox").get_data(as_text=True)
    assert GP[0] in inbox
    # the region is still on offer; England is not offered twice
    page = client.get(f"/proposals/{adopted.id}/forward").get_data(as_text=True)
    assert 'value="health-north-west"' in page and 'value="health-england"' not in page


def test_only_an_adopted_proposal_is_forwarded(client, login_as, world, db):
    from participate.proposals import services as proposals

    open_one = proposals.create_proposal(
        world.manchester_clerk, world["health-manchester"], title=GP[0], body=GP[1]
    )
    login_as(world.manchester_clerk)
    response = client.post(
        f"/proposals/{open_one.id}/forward",
        data={"targets": ["health-north-west"], "subsidiarity": STATEMENT},
    )
    assert response.status_code == 400
    assert "Only an adopted proposal can be forwarded" in response.get_data(as_text=True)
    assert _forwards() == 0


def test_forwarding_twice_to_the_same_parent_is_refused(client, login_as, world, adopted):
    forward(world.manchester_clerk, adopted, ["health-north-west"])
    login_as(world.manchester_clerk)
    response = client.post(
        f"/proposals/{adopted.id}/forward",
        data={"targets": ["health-north-west", "forum-manchester"], "subsidiarity": STATEMENT},
    )
    assert response.status_code == 409
    assert "already forwarded to health-north-west" in response.get_data(as_text=True)
    assert _forwards() == 1  # not even the forum: all or nothing


def test_the_database_refuses_a_second_forward_to_the_same_parent(world, adopted, db):
    from participate.upward.models import Forward

    first = forward(world.manchester_clerk, adopted, ["health-north-west"])[0]
    copy = Forward(
        **{
            c.name: getattr(first, c.name)
            for c in Forward.__table__.columns
            if c.name not in ("id", "taken_up_proposal_id")
        }
    )
    db.session.add(copy)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("who", ["visitor", "member", "other_clerk", "regional_clerk"])
def test_only_the_councils_clerk_forwards(client, login_as, world, adopted, who):
    if who != "visitor":
        user = {
            "member": world.members["health-manchester"][0],
            "other_clerk": world.salford_clerk,
            "regional_clerk": world.regional_clerk,
        }[who]
        login_as(user)
    response = client.post(
        f"/proposals/{adopted.id}/forward",
        data={"targets": ["health-north-west"], "subsidiarity": STATEMENT},
    )
    assert response.status_code == (302 if who == "visitor" else 403)
    assert _forwards() == 0


def test_the_forward_button_shows_for_the_clerk_only(client, login_as, world, adopted):
    assert "Forward to a council above" not in client.get(f"/proposals/{adopted.id}").get_data(
        as_text=True
    )
    login_as(world.manchester_clerk)
    assert "Forward to a council above" in client.get(f"/proposals/{adopted.id}").get_data(
        as_text=True
    )


def test_a_regional_council_takes_up_and_forwards_further_the_chain_is_shown(
    client, login_as, world, adopted, db
):
    from participate.proposals import services as proposals
    from participate.upward.models import Forward

    first = forward(world.manchester_clerk, adopted, ["health-north-west"])[0]
    login_as(world.regional_clerk)
    response = client.post(f"/forwards/{first.id}/take-up")
    assert response.status_code == 303
    db.session.expire_all()
    first = db.session.get(Forward, first.id)
    taken = proposals.get_proposal(first.taken_up_proposal_id)
    assert taken.council.slug == "health-north-west" and taken.title == adopted.title
    assert taken.status == "open"
    # a second take-up is refused
    response = client.post(f"/forwards/{first.id}/take-up", follow_redirects=True)
    assert "already took this proposal up" in response.get_data(as_text=True)
    proposals.set_status(world.regional_clerk, taken, "on_agenda")
    proposals.set_status(world.regional_clerk, taken, "adopted")
    second = forward(world.regional_clerk, taken, ["health-england"])[0]
    assert second.origin_id == first.id and second.root_proposal_id == adopted.id
    assert second.path == [
        world["health-manchester"].id,
        world["health-north-west"].id,
        world["health-england"].id,
    ]
    assert second.origin_council_id == world["health-manchester"].id
    page = client.get(f"/forwards/{second.id}").get_data(as_text=True)
    path = page[page.index('class="flow-path"') :]
    path = path[: path.index("</ol>")]
    assert path.index("Manchester") < path.index("North West") < path.index("England")
    # the original proposal shows the whole path
    page = client.get(f"/proposals/{adopted.id}").get_data(as_text=True)
    assert "England" in page and "North West" in page
    page = client.get(f"/proposals/{taken.id}").get_data(as_text=True)
    assert "Taken up from a proposal forwarded by" in page


def test_only_the_receiving_clerk_takes_up(client, login_as, world, adopted):
    first = forward(world.manchester_clerk, adopted, ["health-north-west"])[0]
    login_as(world.salford_clerk)
    response = client.post(f"/forwards/{first.id}/take-up", follow_redirects=True)
    assert "Only a clerk of" in response.get_data(as_text=True)


def test_similar_proposals_share_a_cluster_on_arrival(world, adopted):
    salford = adopt(
        world.salford_clerk,
        world["health-salford"],
        "GP appointments bookable days ahead",
        "End the 8am phone queue: let patients book GP appointments ahead.",
        themes=["gp-access"],
    )
    parking = adopt(
        world.salford_clerk,
        world["health-salford"],
        "Free hospital parking for carers",
        "Carers pay to park at the hospital every visit; make it free.",
        themes=["parking"],
    )
    a = forward(world.manchester_clerk, adopted, ["health-north-west"])[0]
    b = forward(world.salford_clerk, salford, ["health-north-west"])[0]
    c = forward(world.salford_clerk, parking, ["health-north-west"])[0]
    assert a.cluster_id == b.cluster_id != c.cluster_id


def test_api_forwards_with_a_token_and_refuses_with_json(client, world, adopted):
    headers = api_token(world.manchester_clerk)
    bad = client.post(
        f"/api/v1/proposals/{adopted.id}/forwards",
        json={"targets": ["health-salford"], "subsidiarity": STATEMENT},
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "not_a_parent"
    message = bad.get_json()["error"]["message"]
    # Councils are named as people know them, with the slug the API takes.
    assert "health-salford is not above Health" in message and "(health-manchester)" in message
    assert "(health-north-west), " in message and "(forum-manchester), " in message
    assert "Manchester place forum (forum-manchester)" in message
    missing = client.post(
        f"/api/v1/proposals/{adopted.id}/forwards",
        json={"targets": ["health-north-west"]},
        headers=headers,
    )
    assert missing.get_json()["error"]["code"] == "subsidiarity_required"
    assert (
        client.post(
            f"/api/v1/proposals/{adopted.id}/forwards", json={"targets": ["health-north-west"]}
        ).status_code
        == 401
    )
    ok = client.post(
        f"/api/v1/proposals/{adopted.id}/forwards",
        json={"targets": ["health-north-west"], "subsidiarity": STATEMENT},
        headers=headers,
    )
    assert ok.status_code == 201
    body = ok.get_json()["forwards"][0]
    assert body["to"] == "health-north-west" and body["path"] == [
        "health-manchester",
        "health-north-west",
    ]
    assert body["tally"]["passed"] is True
    again = client.post(
        f"/api/v1/proposals/{adopted.id}/forwards",
        json={"targets": ["health-north-west"], "subsidiarity": STATEMENT},
        headers=headers,
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_forwarded"
    listing = client.get(f"/api/v1/proposals/{adopted.id}/forwards").get_json()
    assert [(t["council"], t["forwarded"], t["skips"]) for t in listing["targets"]] == [
        ("health-north-west", True, []),
        ("forum-manchester", False, []),
        ("health-england", False, ["health-north-west"]),
    ]
    far = client.post(
        f"/api/v1/proposals/{adopted.id}/forwards",
        json={"targets": ["health-england"], "subsidiarity": STATEMENT},
        headers=headers,
    )
    assert far.status_code == 201 and far.get_json()["forwards"][0]["to"] == "health-england"
    detail = client.get(f"/api/v1/forwards/{body['id']}").get_json()
    assert detail["subsidiarity"] == STATEMENT
    assert _forwards() == 2


def test_api_take_up(client, world, adopted):
    first = forward(world.manchester_clerk, adopted, ["health-north-west"])[0]
    assert (
        client.post(
            f"/api/v1/forwards/{first.id}/take-up", headers=api_token(world.salford_clerk)
        ).status_code
        == 403
    )
    ok = client.post(
        f"/api/v1/forwards/{first.id}/take-up", headers=api_token(world.regional_clerk)
    )
    assert ok.status_code == 201
    again = client.post(
        f"/api/v1/forwards/{first.id}/take-up", headers=api_token(world.regional_clerk)
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_taken_up"


def test_the_flow_map_draws_the_path_up(client, world, adopted):
    forward(world.manchester_clerk, adopted, ["health-north-west", "forum-manchester"])
    page = client.get(f"/upward/map?proposal={adopted.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "edge-flow" in text and "flow-on" in text
    assert "Forwarded by" in text
    assert client.get("/upward/map").status_code == 400
    assert client.get("/upward/map?proposal=99999").status_code == 404
