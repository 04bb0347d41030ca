"""What needs me: each signed-in person's agenda (participate.home), the page /me, the panel
on the home page, the API twin and the landing after sign-in (issue 15).

The worlds are small and built through the features' own services, so the agenda reads what
the product really writes."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from tests.conftest import api_token

SMALL_RULES = {"petition_minimum": 2, "petition_rate": 0, "petition_sponsors": 1}


def _later(days: float):
    from participate.util import utcnow

    return (utcnow() + timedelta(days=days)).replace(microsecond=0)


def _schedule(first_end_days: float, step: float = 7):
    phases = ("briefing", "discussion", "refinement", "voting", "outcome")
    return {p: _later(first_end_days + i * step) for i, p in enumerate(phases)}


def _proposal(author, council, title: str):
    from participate.proposals import services as proposals

    return proposals.create_proposal(
        author, council, title=title, body=f"{title}: the case for it, with last winter's figures."
    )


def _round(clerk, council, proposal, title: str, first_end_days: float):
    from participate.rounds import services as rounds

    return rounds.create_round(
        clerk,
        council,
        title=title,
        purpose="Decide how the council answers this winter's pressures.",
        agenda=[("proposal", proposal.id)],
        schedule=_schedule(first_end_days),
    )


def _petition(author, council, title: str):
    from participate.petitions import drafting

    return drafting.start_petition(
        author,
        council,
        kind="early_scrutiny",
        title=title,
        change_text="Ask for an early inspection of the out-of-hours GP service.",
        reason_text="People waited over four hours on many Saturdays this year.",
    )


def _in_moderation(world, title: str):
    from participate.petitions import sponsoring

    petition = _petition(world.other, world.council, title)
    sponsoring.invite_sponsors(world.other, petition)
    sponsoring.sponsor_petition(world.make.user(), petition)
    return petition


def _sign(petition, user):
    from participate.petitions.signing import sign_petition

    sign_petition(user, petition.id, declaration="live", place="manchester")


@pytest.fixture
def world(make):
    """health-manchester: a clerk, a member (Mo) and others; schools-manchester beside it."""
    from participate.councils.services import new_constitution_version

    councils = make.structure()
    council = councils["health-manchester"]
    new_constitution_version(None, council, settings=SMALL_RULES, reason="small rules for tests")
    clerk = make.clerk(council, "clerk@example.org")
    member = make.user("mo@example.org", "Mo Member")
    make.member(member, council, "citizen")
    others = make.members(council, {"citizen": 2, "employee": 2})
    return SimpleNamespace(
        make=make,
        councils=councils,
        council=council,
        clerk=clerk,
        member=member,
        other=others[0],
        others=others,
    )


def _agenda(user):
    from participate.home.services import agenda_for

    return agenda_for(user)


def _texts(agenda, key) -> list[str]:
    section = agenda.section(key)
    return [item.text for item in section.items] if section else []


# ---------------------------------------------------------------- times in words

NOW = datetime(2026, 12, 6, 12, 0)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=2, seconds=-1), "in 2 days"),
        (timedelta(hours=5), "in 5 hours"),
        (timedelta(minutes=20), "in 20 minutes"),
        (timedelta(days=20), "in 3 weeks"),
        (timedelta(days=100), "on 16 Mar 2027"),
        (timedelta(days=-3), "3 days ago"),
    ],
)
def test_until_says_when_in_words(delta, words):
    from participate.home.wording import until

    assert until(NOW + delta, NOW) == words


def test_waits_and_titles_in_words():
    from participate.home.wording import quoted, waited

    assert waited(NOW - timedelta(days=90), NOW) == "for 3 months"
    assert waited(NOW - timedelta(days=1), NOW) == "for 1 day"
    assert quoted("Open on Saturdays") == "“Open on Saturdays”"
    assert quoted("Adopt “Open on Saturdays”") == "Adopt “Open on Saturdays”"


# ---------------------------------------------------------------- a member's agenda


def test_a_member_sees_the_votes_they_can_cast_and_not_the_others(world, db):
    from participate.votes import services as votes

    council, clerk = world.council, world.clerk
    mine = votes.open_motion(
        clerk, council, title="Open the clinic on Saturdays", method="binary", closes_at=_later(2)
    )
    cast = votes.open_motion(
        clerk, council, title="Adopt the triage leaflet", method="binary", closes_at=_later(3)
    )
    cast_ballot(world.member, cast, choice="yes")
    schools = world.councils["schools-manchester"]
    schools_clerk = world.make.clerk(schools)
    world.make.member(world.make.user(), schools, "citizen")
    votes.open_motion(
        schools_clerk, schools, title="Breakfast clubs", method="binary", closes_at=_later(2)
    )
    late = world.make.user()
    world.make.member(late, council, "citizen")  # joined after both motions opened

    agenda = _agenda(world.member)
    section = agenda.section("votes")
    assert section.count == 1
    (item,) = section.items
    assert "Open the clinic on Saturdays" in item.text
    assert item.url == f"/motions/{mine.id}"
    assert item.due_at == mine.closes_at and item.when == "closes in 2 days"
    assert item.council == council.name
    assert _agenda(late).section("votes") is None
    # Somebody who voted on both sees neither.
    cast_ballot(world.member, mine, choice="no")
    assert _agenda(world.member).section("votes") is None


def test_a_suspended_member_is_not_offered_a_vote(world, db):
    from participate.councils.models import Membership
    from participate.votes import services as votes

    votes.open_motion(
        world.clerk, world.council, title="Longer hours", method="binary", closes_at=_later(2)
    )
    db.session.execute(
        sa.update(Membership)
        .where(Membership.user_id == world.member.id)
        .values(status="suspended")
    )
    db.session.commit()
    assert _agenda(world.member).section("votes") is None


def test_rounds_where_a_member_can_act_say_what_to_do_and_by_when(world, db):
    proposal = _proposal(world.other, world.council, "Text reminders for appointments")
    round_ = _round(world.clerk, world.council, proposal, "Winter pressures", 4)
    schools = world.councils["schools-manchester"]
    schools_clerk = world.make.clerk(schools)
    elsewhere = _proposal(schools_clerk, schools, "Breakfast clubs in every school")
    _round(schools_clerk, schools, elsewhere, "School mornings", 4)

    section = _agenda(world.member).section("rounds")
    (item,) = section.items
    assert "Winter pressures" in item.text and "question" in item.text
    assert item.url == f"/rounds/{round_.id}"
    assert item.when == "briefing ends in 4 days"


def test_a_members_petitions_with_their_state(world, db):
    from participate.petitions import moderating

    draft = _petition(world.member, world.council, "Inspect the walk-in centre")
    signed = _in_moderation(world, "Inspect the out-of-hours GP service")
    moderating.publish(world.clerk, signed)
    _sign(signed, world.member)
    texts = _texts(_agenda(world.member), "petitions")
    assert len(texts) == 2
    assert any("Inspect the walk-in centre" in t and "sponsors" in t for t in texts)
    assert any("You signed" in t and "of 2 signatures" in t for t in texts)
    items = {i.url: i for i in _agenda(world.member).section("petitions").items}
    assert items[f"/petitions/{signed.id}"].when.startswith("signing closes")
    assert f"/petitions/{draft.id}" in items


def test_replies_to_a_members_proposal_and_comments_and_amendments_waiting(world, db):
    from participate.proposals import amendments, discussion

    own = _proposal(world.member, world.council, "Open the walk-in centre on Saturdays")
    discussion.add_comment(world.other, own, body="Yes, and on Sundays too.", stance="for")
    theirs = _proposal(world.other, world.council, "Text reminders for appointments")
    said = discussion.add_comment(world.member, theirs, body="Texts work for me.", stance="for")
    discussion.add_comment(
        world.others[1],
        theirs,
        body="Not for me: I have no mobile.",
        stance="against",
        parent_id=said.id,
    )
    discussion.add_comment(world.others[2], theirs, body="Good idea overall.", stance="for")
    amendments.propose_amendment(
        world.others[1],
        own,
        body="Open the walk-in centre on Saturdays and Sundays.",
        reason="Weekends are when people are free.",
    )
    section = _agenda(world.member).section("replies")
    texts = [i.text for i in section.items]
    assert section.count == 3
    assert any("1 reply" in t and "Open the walk-in centre" in t for t in texts)
    assert any("1 reply" in t and "Text reminders" in t for t in texts)
    assert any("amendment" in t for t in texts)


def test_someone_with_nothing_to_do_gets_an_empty_agenda(make, db):
    make.structure()
    agenda = _agenda(make.user())
    assert agenda.total == 0 and agenda.sections == []


# ---------------------------------------------------------------- a clerk's agenda


def test_a_clerk_sees_requests_flags_petitions_and_near_deadlines(world, db):
    from participate.councils.memberships import request_membership
    from participate.petitions import moderating
    from participate.proposals import discussion, moderation

    request_membership(world.make.user(), world.council, "citizen", "I use the walk-in centre.")
    request_membership(world.make.user(), world.council, "employee")
    post = _proposal(world.other, world.council, "Open the walk-in centre on Saturdays")
    comment = discussion.add_comment(world.others[1], post, body="Rubbish idea.", stance="against")
    moderation.flag(world.member, post, comment=comment, reason="Rude and says nothing.")
    _in_moderation(world, "Inspect the out-of-hours GP service")
    answered = _in_moderation(world, "Inspect the community dental service")
    moderating.publish(world.clerk, answered)
    for signer in world.others[1:3]:
        _sign(answered, signer)
    db.session.refresh(answered)
    assert answered.status == "threshold_reached"
    soon = _round(world.clerk, world.council, post, "Winter pressures", 2)
    later_one = _proposal(world.other, world.council, "Text reminders for appointments")
    _round(world.clerk, world.council, later_one, "Spring planning", 10)

    agenda = _agenda(world.clerk)
    assert agenda.section("requests").count == 2
    (request_item,) = agenda.section("requests").items
    assert "2 people ask to join" in request_item.text
    assert request_item.url == "/councils/health-manchester/members"
    assert agenda.section("moderation").count == 1
    assert agenda.section("moderation").items[0].url == "/councils/health-manchester/moderation"
    assert agenda.section("petition_checks").count == 1
    (answer,) = agenda.section("petition_answers").items
    assert "community dental" in answer.text and answer.due_at == answered.response_due_at
    (deadline,) = agenda.section("round_deadlines").items
    assert deadline.url == f"/rounds/{soon.id}" and deadline.when == "briefing ends in 2 days"
    assert agenda.section("rounds") is None  # the clerk runs them; no "ask the clerk"
    # Another council's clerk sees none of it.
    assert _agenda(world.make.clerk(world.councils["schools-manchester"])).total == 0


# ---------------------------------------------------------------- a minister's agenda


@pytest.fixture
def national(world, db):
    """A minister of health-england; Manchester adopts a proposal and forwards it there."""
    from participate.proposals import services as proposals
    from participate.upward.services import forward_proposal

    england = world.councils["health-england"]
    minister = world.make.user("minister@example.org", "Helen Ward MP")
    world.make.member(minister, england, "elected", role="minister")
    adopted = _proposal(world.clerk, world.council, "Book GP appointments days ahead")
    proposals.set_status(world.clerk, adopted, "on_agenda")
    proposals.set_status(world.clerk, adopted, "adopted", reason="Adopted by the council.")
    forward_proposal(
        world.clerk,
        adopted,
        targets=["health-england"],
        subsidiarity="GP contracts are national; no local council can change them alone.",
    )
    return SimpleNamespace(england=england, minister=minister)


def test_a_minister_sees_the_waiting_inbox_and_consultations_closing_soon(world, national, db):
    from participate.upward.consultations import publish_consultation

    soon = publish_consultation(
        national.minister,
        national.england,
        title="A national standard for GP booking",
        body="Every practice offers booking two weeks ahead.",
        closes_at=_later(5),
    )
    publish_consultation(
        national.minister,
        national.england,
        title="A national standard for dental access",
        body="Every child sees an NHS dentist once a year.",
        closes_at=_later(60),
    )
    agenda = _agenda(national.minister)
    inbox = agenda.section("inbox")
    assert inbox.count == 1
    assert "Book GP appointments days ahead" in inbox.items[0].text
    assert inbox.items[0].url.startswith("/councils/health-england/inbox/clusters/")
    assert inbox.items[0].when.startswith("waiting")
    (closing,) = agenda.section("consultations").items
    assert closing.url == f"/consultations/{soon.id}" and closing.when == "closes in 5 days"
    # Manchester's clerk is asked for the council's position on both.
    positions = _agenda(world.clerk).section("positions")
    assert positions.count == 2


def test_the_agenda_takes_a_fixed_number_of_queries(world, national, db):
    """Lean SQL: grouped queries, not one per council, whatever the number of councils."""
    from participate.extensions import db as _db

    def statements(user) -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            _agenda(user)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    one = statements(world.clerk)
    for slug in ("health-salford", "health-north-west", "schools-manchester", "forum-manchester"):
        world.make.member(world.clerk, world.councils[slug], "employee", role="clerk")
        post = _proposal(world.clerk, world.councils[slug], f"Longer opening hours in {slug}")
        _round(world.clerk, world.councils[slug], post, f"Round of {slug}", 2)
    assert statements(world.clerk) == one <= 16


# ---------------------------------------------------------------- the page, the panel, the API


def test_the_page_for_a_member(client, login_as, world, db):
    from participate.votes import services as votes

    motion = votes.open_motion(
        world.clerk, world.council, title="Open on Saturdays", method="binary", closes_at=_later(2)
    )
    login_as(world.member)
    html = client.get("/me").get_data(as_text=True)
    assert "What needs you" in html and "Open on Saturdays" in html
    assert f'href="/motions/{motion.id}"' in html and "closes in 2 days" in html


def test_the_page_for_a_clerk(client, login_as, world, db):
    from participate.councils.memberships import request_membership

    request_membership(world.make.user(), world.council, "citizen")
    login_as(world.clerk)
    html = client.get("/me").get_data(as_text=True)
    assert "1 person asks to join" in html
    assert 'href="/councils/health-manchester/members"' in html


def test_the_page_for_a_minister(client, login_as, world, national, db):
    login_as(national.minister)
    html = client.get("/me").get_data(as_text=True)
    assert "Book GP appointments days ahead" in html and "waiting" in html


def test_the_page_for_someone_with_nothing_to_do(client, login_as, make, db):
    make.structure()
    login_as(make.user())
    html = client.get("/me").get_data(as_text=True)
    assert "Nothing needs you right now" in html


def test_a_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_lands_on_the_agenda_unless_a_next_was_given(client, make, db):
    from tests.conftest import PASSWORD

    user = make.user()
    landed = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert landed.headers["Location"].endswith("/me")
    client.post("/logout")
    sent = client.post("/login?next=/petitions", data={"email": user.email, "password": PASSWORD})
    assert sent.headers["Location"].endswith("/petitions")


def test_the_home_page_shows_a_short_panel_to_a_signed_in_person(client, login_as, world, db):
    from participate.votes import services as votes

    votes.open_motion(
        world.clerk, world.council, title="Open on Saturdays", method="binary", closes_at=_later(2)
    )
    assert "What needs you" not in client.get("/").get_data(as_text=True)
    login_as(world.member)
    html = client.get("/").get_data(as_text=True)
    assert "What needs you" in html and 'href="/me"' in html and "1 vote" in html


def test_the_api_gives_the_same_agenda(client, world, db):
    from participate.votes import services as votes

    motion = votes.open_motion(
        world.clerk, world.council, title="Open on Saturdays", method="binary", closes_at=_later(2)
    )
    assert client.get("/api/v1/me/agenda").status_code == 401
    data = client.get("/api/v1/me/agenda", headers=api_token(world.member)).get_json()
    assert data["total"] >= 1
    (votes_section,) = [s for s in data["sections"] if s["key"] == "votes"]
    assert votes_section["count"] == 1
    (item,) = votes_section["items"]
    assert item["url"].endswith(f"/motions/{motion.id}") and item["url"].startswith("http")
    assert item["due_at"].endswith("Z") and item["when"] == "closes in 2 days"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/me/agenda"]
