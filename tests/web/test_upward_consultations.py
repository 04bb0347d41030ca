"""National consultations: publishing and the cascade, the must-answer list, positions with
their tallies, the aggregated results, adoption only after closing; pages and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from tests.conftest import api_token, htmx_headers
from tests.factories.upward import build_world, close_consultation

DRAFT = {
    "title": "Same-day access standard for urgent GP appointments",
    "body": "Every practice offers a same-day assessment to any patient with an urgent need.",
}


@pytest.fixture
def world(make):
    return build_world(make)


def _closing(days: int = 30) -> str:
    from participate.util import utcnow

    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def consultation(world):
    from participate.upward import consultations
    from participate.util import utcnow

    return consultations.publish_consultation(
        world.minister, world["health-england"], **DRAFT, closes_at=utcnow() + timedelta(days=30)
    )


def _count(model):
    from participate.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_minister_publishes_and_it_cascades_to_every_council_below(client, login_as, world, db):
    from participate.audit.models import AuditEvent
    from participate.notifications.models import Notification
    from participate.upward.models import Consultation, ConsultationCouncil

    login_as(world.minister)
    assert client.get("/councils/health-england/consultations/new").status_code == 200
    response = client.post(
        "/councils/health-england/consultations/new", data={**DRAFT, "closes_at": _closing()}
    )
    assert response.status_code == 303
    consultation = db.session.scalar(sa.select(Consultation))
    reached = {
        c.slug
        for c in db.session.scalars(
            sa.select(world["health-england"].__class__).join(
                ConsultationCouncil,
                ConsultationCouncil.council_id == world["health-england"].__class__.id,
            )
        )
    }
    assert reached == {"health-north-west", "health-manchester", "health-salford"}
    assert consultation.cascade_count == 3
    told = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "upward_consultation")
        )
    )
    assert {world.manchester_clerk.id, world.salford_clerk.id, world.regional_clerk.id} <= told
    assert world.forum_clerk.id not in told
    assert "upward.consultation_published" in db.session.scalars(sa.select(AuditEvent.action)).all()
    # on the must-answer list of Manchester, not of the forum
    page = client.get("/councils/health-manchester/consultations").get_data(as_text=True)
    assert DRAFT["title"] in page and "Must answer (1)" in page
    page = client.get("/councils/forum-manchester/consultations").get_data(as_text=True)
    assert "Must answer (0)" in page


@pytest.mark.parametrize(
    "who, slug, status",
    [
        ("national_clerk", "health-england", 303),
        ("regional_clerk", "health-north-west", 400),
        ("regional_clerk", "health-england", 403),
        ("manchester_clerk", "health-england", 403),
    ],
)
def test_who_may_publish(client, login_as, world, who, slug, status):
    from participate.upward.models import Consultation

    login_as(getattr(world, who))
    response = client.post(
        f"/councils/{slug}/consultations/new", data={**DRAFT, "closes_at": _closing()}
    )
    assert response.status_code == status
    assert _count(Consultation) == (1 if status == 303 else 0)


@pytest.mark.parametrize(
    "data, message",
    [
        ({**DRAFT, "closes_at": _closing(0)}, "at least one day ahead"),
        ({**DRAFT, "closes_at": ""}, "Give a closing date"),
        (
            {"title": "", "body": DRAFT["body"], "closes_at": _closing()},
            "Give the draft requirement a title",
        ),
        ({"title": "X", "body": "short", "closes_at": _closing()}, "Write the draft requirement"),
    ],
)
def test_bad_consultations_say_why(client, login_as, world, data, message):
    from participate.upward.models import Consultation, ConsultationCouncil

    login_as(world.minister)
    response = client.post("/councils/health-england/consultations/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Consultation) == 0 and _count(ConsultationCouncil) == 0


def _position(client, slug, consultation, **data):
    return client.post(f"/councils/{slug}/consultations/{consultation.id}/position", data=data)


def test_a_council_submits_its_position_with_its_motions_tally(
    client, login_as, world, consultation, db
):
    from participate.upward.models import Position
    from participate.votes import services as votes

    mcr = world["health-manchester"]
    motion = votes.create_motion(world.manchester_clerk, mcr, title="Our position", method="binary")
    votes.open_voting(world.manchester_clerk, motion, None)
    for user in world.members["health-manchester"][:3]:
        cast_ballot(user, motion, choice="yes")
    close_voting(world.manchester_clerk, motion)
    login_as(world.manchester_clerk)
    page = client.get(
        f"/councils/health-manchester/consultations/{consultation.id}/position"
    ).get_data(as_text=True)
    assert "Our position" in page
    response = _position(
        client,
        "health-manchester",
        consultation,
        stance="amend",
        text="Include community pharmacies in the same-day standard.",
        motion=str(motion.id),
    )
    assert response.status_code == 303
    position = db.session.scalar(sa.select(Position))
    assert position.stance == "amend" and position.motion_id == motion.id
    assert position.tally["constituencies"]["citizen"]["voted"] == 3
    # citizens 3 of 3 voted; employees 0 of 3; leaders 0 of 1: mean turnout 1/3
    assert position.weight == pytest.approx(1 / 3, abs=1e-3)
    assert position.level == "local" and position.amendment_group is not None
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "community pharmacies" in page and "1</strong> of 3 councils answered" in page
    page = client.get("/councils/health-manchester/consultations").get_data(as_text=True)
    assert "Must answer (0)" in page and "Answered" in page


@pytest.mark.parametrize(
    "slug, clerk, status, message",
    [
        ("forum-manchester", "forum_clerk", 403, "not among the councils"),
        ("schools-manchester", "schools_clerk", 403, "not among the councils"),
        ("health-england", "national_clerk", 403, "not among the councils"),
        ("health-manchester", "salford_clerk", 403, "Only a clerk of"),
    ],
)
def test_only_councils_in_the_cascade_answer_through_their_clerk(
    client, login_as, world, consultation, slug, clerk, status, message
):
    from participate.upward.models import Position

    login_as(getattr(world, clerk))
    response = _position(client, slug, consultation, stance="support")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count(Position) == 0


def test_positions_after_closing_twice_or_without_text_are_refused(
    client, login_as, world, consultation
):
    from participate.upward.models import Position

    login_as(world.manchester_clerk)
    response = _position(client, "health-manchester", consultation, stance="amend", text="")
    assert response.status_code == 400 and "Write the amendment" in response.get_data(as_text=True)
    assert _position(client, "health-manchester", consultation, stance="support").status_code == 303
    again = _position(
        client,
        "health-manchester",
        consultation,
        stance="oppose",
        text="We changed our mind about it.",
    )
    assert again.status_code == 409 and "answers once" in again.get_data(as_text=True)
    close_consultation(consultation)
    login_as(world.salford_clerk)
    late = _position(client, "health-salford", consultation, stance="support")
    assert late.status_code == 409 and "positions are no longer accepted" in late.get_data(
        as_text=True
    )
    assert _count(Position) == 1


def test_the_database_refuses_a_position_from_outside_the_cascade(world, consultation, db):
    from participate.upward.models import Position

    db.session.add(
        Position(
            consultation_id=consultation.id,
            council_id=world["forum-manchester"].id,
            stance="support",
            level="local",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_results_aggregate_by_stance_level_and_region_and_group_amendments(
    client, world, consultation
):
    from participate.upward import consultations

    consultations.submit_position(
        world.manchester_clerk,
        consultation,
        world["health-manchester"],
        stance="amend",
        text="Include community pharmacies in the standard.",
    )
    consultations.submit_position(
        world.salford_clerk,
        consultation,
        world["health-salford"],
        stance="amend",
        text="Add community pharmacies to the same-day standard.",
    )
    consultations.submit_position(
        world.regional_clerk, consultation, world["health-north-west"], stance="support"
    )
    data = client.get(f"/api/v1/consultations/{consultation.id}").get_json()
    results = data["results"]
    assert results["by_stance"] == {"support": 1, "oppose": 0, "amend": 2}
    assert results["responded"] == 3 and results["councils"] == 3
    assert (
        results["by_level"]["local"]["amend"] == 2 and results["by_level"]["region"]["support"] == 1
    )
    assert results["by_region"]["north-west"]["responded"] == 3
    assert len(data["amendments"]) == 1 and len(data["amendments"][0]["positions"]) == 2
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Amendments, grouped by similarity" in page and "2 councils" in page
    fragment = client.get(
        f"/consultations/{consultation.id}?stance=support",
        headers={**htmx_headers(), "HX-Target": "positions"},
    ).get_data(as_text=True)
    assert "<html" not in fragment and "1 position" in fragment


def _decided(clerk, council, votes_by_user):
    """A closed binary motion of ``council`` with ``votes_by_user`` ({user: choice})."""
    from participate.votes import services as votes

    motion = votes.create_motion(clerk, council, title="Our position", method="binary")
    votes.open_voting(clerk, motion, None)
    for user, choice in votes_by_user.items():
        cast_ballot(user, motion, choice=choice)
    close_voting(clerk, motion)
    return motion


def test_results_aggregate_by_constituency_on_the_page_and_in_the_api(client, world, consultation):
    """DESIGN §5: positions are aggregated by stance, level *and constituency*: for each
    constituency, the councils whose deciding vote it took part in, by stance, and how
    many of its members voted behind each stance."""
    from participate.upward import consultations

    mcr, sal = world.members["health-manchester"], world.members["health-salford"]
    # Manchester: 3 citizens and 1 employee vote; the council proposes an amendment.
    motion = _decided(
        world.manchester_clerk,
        world["health-manchester"],
        {mcr[0]: "yes", mcr[1]: "yes", mcr[2]: "yes", mcr[3]: "yes"},
    )
    consultations.submit_position(
        world.manchester_clerk,
        consultation,
        world["health-manchester"],
        stance="amend",
        text="Include community pharmacies in the standard.",
        motion_id=motion.id,
    )
    # Salford: 2 citizens and its leader vote; the council supports the draft.
    motion = _decided(
        world.salford_clerk, world["health-salford"], {sal[0]: "yes", sal[1]: "yes", sal[5]: "no"}
    )
    consultations.submit_position(
        world.salford_clerk,
        consultation,
        world["health-salford"],
        stance="support",
        motion_id=motion.id,
    )
    # The region answers without a vote: no constituency figures to add.
    consultations.submit_position(
        world.regional_clerk, consultation, world["health-north-west"], stance="support"
    )
    results = client.get(f"/api/v1/consultations/{consultation.id}").get_json()["results"]
    by_c = results["by_constituency"]
    assert list(by_c) == ["citizen", "employee", "leader"]
    assert by_c["citizen"] == {
        "councils": 2,
        "support": 1,
        "amend": 1,
        "oppose": 0,
        "eligible": 6,
        "voted": 5,
        "turnout": pytest.approx(5 / 6),
        "voters": {"support": 2, "amend": 3, "oppose": 0},
    }
    # Each council's clerk is an employee: 3 employees in each.
    assert by_c["employee"]["eligible"] == 6 and by_c["employee"]["voted"] == 1
    assert by_c["employee"]["voters"] == {"support": 0, "amend": 1, "oppose": 0}
    assert by_c["leader"]["voters"] == {"support": 1, "amend": 0, "oppose": 0}
    assert results["without_vote"] == 1
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    table = page[page.index("<caption>By constituency") :]
    table = table[: table.index("</table>")]
    assert '<th scope="row">Citizens<br>' in table and "Service leaders" in table
    assert '<td class="num">3</td>' in table and "83% voted" in table
    assert "citizen" not in table  # labels, never internal names
    assert "1 position was decided without a vote" in page


def test_results_by_constituency_before_any_vote(client, world, consultation):
    from participate.upward import consultations

    empty = client.get(f"/api/v1/consultations/{consultation.id}").get_json()["results"]
    assert empty["by_constituency"] == {} and empty["without_vote"] == 0
    consultations.submit_position(
        world.regional_clerk, consultation, world["health-north-west"], stance="support"
    )
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "No position was decided by a vote yet" in page


def test_adoption_only_after_closing_and_only_by_the_minister(
    client, login_as, world, consultation, db
):
    from participate.audit.models import AuditEvent
    from participate.upward import consultations
    from participate.upward.models import Consultation

    consultations.submit_position(
        world.manchester_clerk, consultation, world["health-manchester"], stance="support"
    )
    login_as(world.minister)
    early = client.post(
        f"/consultations/{consultation.id}/adoption",
        data={"note": "Adopted as drafted after consulting."},
    )
    assert early.status_code == 409
    assert "can be adopted only after its consultation has closed" in early.get_data(as_text=True)
    assert db.session.get(Consultation, consultation.id).adopted_at is None
    close_consultation(consultation)
    login_as(world.national_clerk)
    assert (
        client.post(
            f"/consultations/{consultation.id}/adoption", data={"note": "Adopted as drafted."}
        ).status_code
        == 403
    )
    login_as(world.minister)
    page = client.get(f"/consultations/{consultation.id}/adoption").get_data(as_text=True)
    assert "Adopt the national requirement" in page and "Positions so far" in page
    done = client.post(
        f"/consultations/{consultation.id}/adoption",
        data={"note": "Adopted as drafted after consulting."},
    )
    assert done.status_code == 303
    page = client.get(f"/consultations/{consultation.id}/adoption").get_data(as_text=True)
    assert "Adopted on" in page and "final" in page
    again = client.post(
        f"/consultations/{consultation.id}/adoption", data={"note": "Adopted twice, surely not."}
    )
    assert again.status_code == 409
    assert "upward.requirement_adopted" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_the_database_refuses_adoption_before_closing(world, consultation, db):
    from participate.upward.models import Consultation

    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(Consultation)
            .where(Consultation.id == consultation.id)
            .values(adopted_at=consultation.published_at, adopted_by_id=world.minister.id)
        )
        db.session.commit()
    db.session.rollback()


def test_consultation_api(client, world, consultation):
    headers = api_token(world.manchester_clerk)
    assert (
        client.post(
            f"/api/v1/consultations/{consultation.id}/positions",
            json={"council": "forum-manchester", "stance": "support"},
            headers=headers,
        ).status_code
        == 403
    )
    bad = client.post(
        f"/api/v1/consultations/{consultation.id}/positions",
        json={"council": "health-manchester", "stance": "amend"},
        headers=headers,
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "text_required"
    ok = client.post(
        f"/api/v1/consultations/{consultation.id}/positions",
        json={"council": "health-manchester", "stance": "support"},
        headers=headers,
    )
    assert ok.status_code == 201 and ok.get_json()["stance"] == "support"
    listing = client.get("/api/v1/consultations?state=open").get_json()["consultations"]
    assert listing[0]["positions"] == 1 and listing[0]["councils"] == 3
    positions = client.get(f"/api/v1/consultations/{consultation.id}/positions").get_json()
    assert positions["total"] == 1 and positions["positions"][0]["council"] == "health-manchester"
    early = client.post(
        f"/api/v1/consultations/{consultation.id}/adopt",
        json={"note": "Adopted as drafted now."},
        headers=api_token(world.minister),
    )
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "consultation_open"
    published = client.post(
        "/api/v1/councils/health-england/consultations",
        json={
            "title": "Another draft",
            "body": "A second national draft requirement text.",
            "closes_at": "2099-01-01T17:00:00Z",
        },
        headers=api_token(world.minister),
    )
    assert (
        published.status_code == 400 and published.get_json()["error"]["code"] == "closes_too_late"
    )
    bad_date = client.post(
        "/api/v1/councils/health-england/consultations",
        json={
            "title": "Another draft",
            "body": "A second national draft requirement text.",
            "closes_at": "soon",
        },
        headers=api_token(world.minister),
    )
    assert bad_date.status_code == 400 and bad_date.get_json()["error"]["field"] == "closes_at"
    assert client.get("/api/v1/consultations/999").status_code == 404


def test_the_flow_map_draws_the_spread_down(client, world, consultation):
    from participate.upward import consultations

    consultations.submit_position(
        world.manchester_clerk,
        consultation,
        world["health-manchester"],
        stance="oppose",
        text="Not without more GPs to deliver it.",
    )
    page = client.get(f"/upward/map?consultation={consultation.id}").get_data(as_text=True)
    assert "flow-stance-oppose" in page and "edge-flow" in page and "sent to 3 councils" in page


def test_the_consultation_list_and_pages_for_visitors(client, world, consultation):
    assert DRAFT["title"] in client.get("/consultations").get_data(as_text=True)
    assert DRAFT["title"] in client.get("/consultations?state=open").get_data(as_text=True)
    assert DRAFT["title"] not in client.get("/consultations?state=adopted").get_data(as_text=True)
    assert client.get(f"/consultations/{consultation.id}/adoption").status_code == 200
    assert (
        client.post(f"/consultations/{consultation.id}/adoption", data={"note": "x"}).status_code
        == 302
    )


def test_unknown_states_and_stances_are_refused_not_ignored(client, world, consultation):
    listed = client.get("/api/v1/consultations?state=pending")
    assert listed.status_code == 400 and listed.get_json()["error"]["code"] == "bad_state"
    assert "open, closed, adopted" in listed.get_json()["error"]["message"]
    positions = client.get(f"/api/v1/consultations/{consultation.id}/positions?stance=maybe")
    assert positions.status_code == 400 and positions.get_json()["error"]["code"] == "bad_stance"
    page = client.get("/consultations?state=pending").get_data(as_text=True)
    assert "Unknown state" in page and "Showing every consultation" in page
    detail = client.get(f"/consultations/{consultation.id}?stance=maybe")
    assert detail.status_code == 200
    assert "Showing every position" in detail.get_data(as_text=True)


def test_a_national_clerk_prepares_but_only_the_minister_adopts_through_the_api(
    client, world, consultation, db
):
    from participate.upward.models import Consultation

    close_consultation(consultation)
    by_clerk = client.post(
        f"/api/v1/consultations/{consultation.id}/adopt",
        json={"note": "Adopted as drafted by the clerk."},
        headers=api_token(world.national_clerk),
    )
    assert by_clerk.status_code == 403
    assert by_clerk.get_json()["error"]["code"] == "minister_only"
    assert "Only the minister" in by_clerk.get_json()["error"]["message"]
    assert db.session.get(Consultation, consultation.id).adopted_at is None
    by_minister = client.post(
        f"/api/v1/consultations/{consultation.id}/adopt",
        json={"note": "Adopted as drafted after consulting."},
        headers=api_token(world.minister),
    )
    assert by_minister.status_code == 200, by_minister.get_json()
