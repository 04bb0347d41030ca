"""The minister (or a clerk) answers a cluster; the answer travels back down to every
council the proposals passed through and shows on each original proposal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, htmx_headers
from tests.factories.upward import adopt, build_world, forward

REASONS = "Accepted: the national GP contract will require advance booking from April."


@pytest.fixture
def world(make):
    return build_world(make)


@pytest.fixture
def chain(world):
    """Manchester and Salford adopt GP proposals; North West takes Manchester's up and sends
    it, and its own adopted proposal, to England."""
    from participate.proposals import services as proposals
    from participate.upward.services import take_up

    mcr = adopt(
        world.manchester_clerk,
        world["health-manchester"],
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead.",
        themes=["gp-access"],
        supporters=world.members["health-manchester"][:2],
    )
    first = forward(world.manchester_clerk, mcr, ["health-north-west"])[0]
    taken = take_up(world.regional_clerk, first)
    proposals.set_status(world.regional_clerk, taken, "on_agenda")
    proposals.set_status(world.regional_clerk, taken, "adopted")
    up = forward(world.regional_clerk, taken, ["health-england"])[0]
    return {
        "local": mcr,
        "regional": taken,
        "first": first,
        "national": up,
        "cluster": up.cluster_id,
    }


def _answer(client, cluster, **data):
    """The confirmed answer (tests/web/test_confirm_answers.py covers the step before)."""
    return client.post(
        f"/councils/health-england/inbox/clusters/{cluster}/answer",
        data={**data, "confirm": "yes"},
    )


def test_the_minister_answers_and_the_answer_travels_down(client, login_as, world, chain, db):
    from participate.audit.models import AuditEvent
    from participate.notifications.models import Notification
    from participate.upward.models import Answer, Cluster, Forward

    login_as(world.minister)
    page = client.get(f"/councils/health-england/inbox/clusters/{chain['cluster']}").get_data(
        as_text=True
    )
    assert "Send the answer" in page and "waiting" in page
    response = _answer(client, chain["cluster"], kind="accept", reasons=REASONS)
    assert response.status_code == 303
    answer = db.session.scalar(sa.select(Answer))
    assert (
        answer.kind == "accept" and answer.answered_by_role == "minister" and answer.forwards == 1
    )
    db.session.expire_all()
    assert db.session.get(Forward, chain["national"].id).answer_id == answer.id
    assert db.session.get(Cluster, chain["cluster"]).unanswered == 0
    # every council the proposal passed through is told: Manchester's and North West's members
    told = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "upward_answered")
        )
    )
    assert {u.id for u in world.members["health-manchester"]} <= told
    assert {u.id for u in world.members["health-north-west"]} <= told
    assert not {u.id for u in world.members["health-salford"]} & told
    link = db.session.scalar(
        sa.select(Notification.link).where(
            Notification.kind == "upward_answered",
            Notification.user_id == world.members["health-manchester"][0].id,
        )
    )
    assert link == f"/proposals/{chain['local'].id}#upward"
    assert "upward.answered" in db.session.scalars(sa.select(AuditEvent.action)).all()
    # the answer shows on the original local proposal and on the regional one
    for proposal in (chain["local"], chain["regional"]):
        page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert "Accepted into national work" in page and "advance booking from April" in page
    page = client.get("/councils/health-england/inbox").get_data(as_text=True)
    assert "Accepted into national work" in page


def test_answering_twice_is_refused_and_writes_nothing(client, login_as, world, chain, db):
    from participate.upward.models import Answer

    login_as(world.minister)
    _answer(client, chain["cluster"], kind="accept", reasons=REASONS)
    response = _answer(
        client, chain["cluster"], kind="decline", reasons="Changed our mind entirely."
    )
    assert response.status_code == 409
    assert "already answered" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1


def test_new_proposals_after_an_answer_can_be_answered_in_turn(client, login_as, world, chain, db):
    from participate.upward.models import Answer, Forward

    login_as(world.minister)
    _answer(client, chain["cluster"], kind="accept", reasons=REASONS)
    late = adopt(
        world.regional_clerk,
        world["health-north-west"],
        "GP appointments bookable ahead",
        "Book GP appointments days ahead across the region.",
        themes=["gp-access"],
    )
    f = forward(world.regional_clerk, late, ["health-england"])[0]
    assert f.cluster_id == chain["cluster"]
    response = _answer(
        client, chain["cluster"], kind="accept", reasons="Same answer: it is in the contract."
    )
    assert response.status_code == 303
    numbers = db.session.scalars(sa.select(Answer.number).order_by(Answer.number)).all()
    assert numbers == [1, 2]
    db.session.expire_all()
    assert (
        db.session.get(Forward, chain["national"].id).answer_id
        != db.session.get(Forward, f.id).answer_id
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "accept", "reasons": ""}, "reasons: what the council will do"),
        ({"kind": "maybe", "reasons": REASONS}, "Choose an answer"),
        ({"kind": "refer", "reasons": REASONS}, "Choose the council to refer"),
        (
            {"kind": "refer", "reasons": REASONS, "referred_to": "health-north-west"},
            "Refer to another service",
        ),
    ],
)
def test_bad_answers_say_why(client, login_as, world, chain, db, data, message):
    from participate.upward.models import Answer

    login_as(world.minister)
    response = _answer(client, chain["cluster"], **data)
    assert response.status_code in (400, 404)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_the_national_clerk_may_answer_too(client, login_as, world, chain):
    login_as(world.national_clerk)
    assert (
        _answer(
            client, chain["cluster"], kind="decline", reasons="Declined: this is a local matter."
        ).status_code
        == 303
    )


@pytest.mark.parametrize("who", ["regional_clerk", "member", "outsider"])
def test_others_cannot_answer(client, login_as, world, chain, who, db):
    from participate.upward.models import Answer

    user = world.members["health-north-west"][0] if who == "member" else getattr(world, who)
    login_as(user)
    response = _answer(client, chain["cluster"], kind="accept", reasons=REASONS)
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    page = client.get(f"/councils/health-england/inbox/clusters/{chain['cluster']}").get_data(
        as_text=True
    )
    assert "Send the answer" not in page


def test_referral_sends_the_cluster_to_another_services_council(client, login_as, world, chain, db):
    from participate.upward.models import Forward

    login_as(world.minister)
    # the small structure has no other national council: add schools-england
    from participate.councils.models import Council, Place, Service

    schools = db.session.scalar(sa.select(Service).where(Service.slug == "schools"))
    england = db.session.scalar(sa.select(Place).where(Place.slug == "england"))
    db.session.add(
        Council(
            slug="schools-england",
            name="Schools England",
            service_id=schools.id,
            place_id=england.id,
        )
    )
    db.session.commit()
    page = client.get(f"/councils/health-england/inbox/clusters/{chain['cluster']}").get_data(
        as_text=True
    )
    assert 'value="schools-england"' in page
    response = _answer(
        client,
        chain["cluster"],
        kind="refer",
        reasons="Referred: schools run the breakfast clubs.",
        referred_to="schools-england",
    )
    assert response.status_code == 303
    copy = db.session.scalar(sa.select(Forward).where(Forward.link_kind == "referral"))
    assert (
        copy.to_council.slug == "schools-england"
        and copy.proposal_id == chain["national"].proposal_id
    )
    assert copy.cluster_id is not None
    page = client.get("/councils/schools-england/inbox").get_data(as_text=True)
    assert "Book GP appointments days ahead" in page


def test_htmx_answer_swaps_the_answer_panel(client, login_as, world, chain):
    login_as(world.minister)
    response = client.post(
        f"/councils/health-england/inbox/clusters/{chain['cluster']}/answer",
        data={
            "kind": "decline",
            "reasons": "Declined: the contract is fixed until 2027.",
            "confirm": "yes",
        },
        headers=htmx_headers(),
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in text
    assert 'id="answer"' in text and "Declined" in text


def test_api_answer_twin(client, world, chain):
    url = f"/api/v1/councils/health-england/inbox/clusters/{chain['cluster']}/answer"
    assert (
        client.post(
            url,
            json={"kind": "accept", "reasons": REASONS},
            headers=api_token(world.regional_clerk),
        ).status_code
        == 403
    )
    bad = client.post(url, json={"kind": "accept"}, headers=api_token(world.minister))
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "reasons_required"
    ok = client.post(
        url, json={"kind": "accept", "reasons": REASONS}, headers=api_token(world.minister)
    )
    assert ok.status_code == 201 and ok.get_json()["kind"] == "accept"
    twice = client.post(
        url, json={"kind": "accept", "reasons": REASONS}, headers=api_token(world.minister)
    )
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_answered"
    inbox = client.get("/api/v1/councils/health-england/inbox").get_json()
    assert inbox["clusters"][0]["answers"][0]["kind"] == "accept"


def _mail_since(outbox, before):
    from email import message_from_bytes
    from email.policy import default

    new = sorted(set(outbox.glob("*.eml")) - before)
    return [message_from_bytes(p.read_bytes(), policy=default) for p in new]


def test_the_answer_goes_by_e_mail_to_clerks_authors_and_supporters_who_asked(
    client, login_as, world, chain, db, outbox
):
    """DESIGN §5 / issue item 11: the originating councils' clerks and the proposals'
    authors and supporters get the answer by e-mail when they keep e-mail on; plain members
    are told in the app only, and an opt-out is respected."""
    from participate.accounts.models import User
    from participate.proposals.models import Support

    supporter, opted_out = world.members["health-manchester"][:2]  # chain's supporters
    regional_supporter = world.members["health-north-west"][0]
    # supported while it was open (the row, since an adopted proposal takes no new support)
    db.session.add(
        Support(
            proposal_id=chain["regional"].id, user_id=regional_supporter.id, constituency="citizen"
        )
    )
    db.session.get(User, opted_out.id).email_notifications = False
    db.session.commit()
    before = set(outbox.glob("*.eml"))
    login_as(world.minister)
    assert _answer(client, chain["cluster"], kind="accept", reasons=REASONS).status_code == 303
    mails = _mail_since(outbox, before)
    to = sorted(m["To"] for m in mails)
    assert to == sorted(
        [
            world.manchester_clerk.email,  # clerk and author of the local proposal
            world.regional_clerk.email,  # clerk and author of the taken-up proposal
            supporter.email,
            regional_supporter.email,
        ]
    )
    mail = next(m for m in mails if m["To"] == supporter.email)
    assert "Accepted into national work" in mail["Subject"]
    body = mail.get_content()
    assert "advance booking from April" in body
    assert f"/proposals/{chain['local'].id}#upward" in body
    # a refused second answer sends nothing
    before = set(outbox.glob("*.eml"))
    assert _answer(client, chain["cluster"], kind="decline", reasons=REASONS).status_code == 409
    assert _mail_since(outbox, before) == []
