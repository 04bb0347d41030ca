"""Votes: the council tab, the clerk's motion form, the motion page, casting and changing,
closing, auto-close, results, receipts, permissions and bad input (pages and htmx)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from participate.votes.ballots import cast_ballot, my_vote_status
from participate.votes.closing import close_voting
from participate.votes.results import opened_ballots
from tests.conftest import htmx_headers
from tests.factories import votes as factory
from tests.factories.votes import audit_actions, counts, later, open_motion

hm = factory.hm  # the fixture (tests/factories/votes.py)


# ---------------------------------------------------------------- the council tab


def test_votes_tab_lists_open_and_closed_motions(client, db, hm):
    from participate.votes import services

    open_one = open_motion(hm, title="Open the clinic on Saturdays")
    closed_one = open_motion(hm, method="consent", title="Adopt the new triage leaflet")
    close_voting(hm["clerk"], closed_one)
    services.create_motion(hm["clerk"], hm["council"], title="A draft only", method="binary")

    html = client.get("/councils/health-manchester/votes").get_data(as_text=True)
    assert "Open the clinic on Saturdays" in html
    assert "Adopt the new triage leaflet" in html
    assert "proceeds" in html  # nobody objected
    assert "A draft only" not in html  # drafts are for clerks
    assert "New motion" not in html
    assert f'href="/motions/{open_one.id}"' in html
    assert 'aria-current="page">Votes' in html
    # The council page shows the tab.
    assert 'href="/councils/health-manchester/votes"' in client.get(
        "/councils/health-manchester"
    ).get_data(as_text=True)


def test_clerk_sees_drafts_and_new_motion_button(client, login_as, hm):
    from participate.votes import services

    services.create_motion(hm["clerk"], hm["council"], title="A draft only", method="binary")
    login_as(hm["clerk"])
    html = client.get("/councils/health-manchester/votes").get_data(as_text=True)
    assert "A draft only" in html and "New motion" in html


def test_member_sees_that_they_voted_in_the_list(client, login_as, hm):
    motion = open_motion(hm)
    voter = hm["members"]["citizen"][0]
    cast_ballot(voter, motion, choice="yes")
    login_as(voter)
    html = client.get("/councils/health-manchester/votes").get_data(as_text=True)
    assert "you have voted" in html
    assert "1 of 10 eligible members have voted" in html


# ---------------------------------------------------------------- creating and opening


def test_clerk_creates_and_opens_a_binary_motion(client, db, login_as, hm):
    from participate.councils.services import settings_of
    from participate.notifications.models import Notification
    from participate.votes.models import Motion, MotionEligibility

    login_as(hm["clerk"])
    assert client.get("/councils/health-manchester/votes/new").status_code == 200
    closes = later(3)
    response = client.post(
        "/councils/health-manchester/votes/new",
        data={
            "title": "Open the walk-in clinic on Saturdays",
            "description": "The **evidence** pack shows demand.",
            "method": "binary",
            "kind": "ordinary",
            "options": "",
            "closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
            "action": "open",
        },
    )
    assert response.status_code == 303
    motion = db.session.scalars(sa.select(Motion)).one()
    assert response.headers["Location"].endswith(f"/motions/{motion.id}")
    assert motion.status == "open"
    settings = settings_of(hm["council"])
    assert motion.rules == {
        "weights": settings["weights"],
        "quorum": settings["quorum"],
        "threshold": settings["threshold"],
        "min_constituencies": settings["min_constituencies"],
        "concurrent_majority": settings["concurrent_majority"],
    }
    assert motion.constitution_version == 1
    # Everybody active, the clerk included (employee), is in the snapshot.
    assert motion.eligible == {"citizen": 4, "employee": 4, "leader": 2, "elected": 0, "partner": 0}
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(MotionEligibility)
            .where(MotionEligibility.motion_id == motion.id)
        )
        == 10
    )
    assert audit_actions(db, motion.id) == ["motion.created", "motion.opened"]
    notified = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "vote_open")
    )
    assert notified == 9  # everyone but the clerk who opened it
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "<strong>evidence</strong>" in page
    assert "Close voting now" in page


def test_clerk_saves_a_draft_then_opens_it(client, db, login_as, hm):
    from participate.votes.models import Motion

    login_as(hm["clerk"])
    response = client.post(
        "/councils/health-manchester/votes/new",
        data={
            "title": "Which service to extend first",
            "method": "schulze",
            "kind": "ordinary",
            "options": "Dentistry\nPhysiotherapy\n\nMental health\n",
            "action": "draft",
        },
    )
    assert response.status_code == 303
    motion = db.session.scalars(sa.select(Motion)).one()
    assert motion.status == "draft" and motion.rules is None
    assert motion.options == ["Dentistry", "Physiotherapy", "Mental health"]
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Open voting" in page and "Voting has not opened yet" in page
    response = client.post(
        f"/motions/{motion.id}/open", data={"closes_at": later(2).strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 303
    db.session.refresh(motion)
    assert motion.status == "open" and motion.rules is not None
    # Opening twice is refused.
    response = client.post(
        f"/motions/{motion.id}/open", data={"closes_at": later(2).strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 400
    assert "already opened" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "method": "binary"}, "Give the motion a title"),
        ({"method": "schulze", "options": "Only one"}, "needs 2 to 20 options"),
        ({"method": "schulze", "options": "A\nB\na"}, "listed twice"),
        ({"method": "schulze", "options": "\n".join(f"O{i}" for i in range(21))}, "2 to 20"),
        ({"method": "binary", "options": "A\nB"}, "Options are for ranked-choice motions only"),
        ({"method": "maybe"}, "Not a valid choice"),
        ({"closes_at": "2001-01-01T10:00"}, "at least five minutes from now"),
        ({"closes_at": ""}, "Choose when voting closes"),
    ],
)
def test_bad_motion_form_is_refused_and_nothing_is_written(client, db, login_as, hm, data, message):
    from participate.votes.models import Motion

    login_as(hm["clerk"])
    form = {
        "title": "A motion",
        "method": "binary",
        "kind": "ordinary",
        "options": "",
        "closes_at": later().strftime("%Y-%m-%dT%H:%M"),
        "action": "open",
        **data,
    }
    response = client.post("/councils/health-manchester/votes/new", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Motion)) == 0


def test_opening_a_council_without_active_members_is_refused(db, make):
    from participate.councils.models import Membership
    from participate.errors import DomainError
    from participate.votes import services
    from participate.votes.models import Motion, MotionEligibility

    council = make.structure()["schools-manchester"]
    clerk = make.clerk(council)
    motion = services.create_motion(clerk, council, title="Nobody here", method="binary")
    db.session.execute(
        sa.update(Membership).where(Membership.council_id == council.id).values(status="suspended")
    )
    db.session.commit()
    with pytest.raises(DomainError, match="no active members"):
        services.open_voting(None, motion, later())
    db.session.rollback()
    assert db.session.get(Motion, motion.id).status == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MotionEligibility)) == 0


@pytest.mark.parametrize("who", ["visitor", "account", "member"])
def test_only_clerks_create_motions(client, db, make, login_as, hm, who):
    from participate.votes.models import Motion

    if who == "account":
        login_as(make.user())
    elif who == "member":
        login_as(hm["members"]["citizen"][0])
    get = client.get("/councils/health-manchester/votes/new")
    post = client.post(
        "/councils/health-manchester/votes/new",
        data={"title": "X", "method": "binary", "kind": "ordinary", "action": "draft"},
    )
    if who == "visitor":
        assert get.status_code == 302 and "/login" in get.headers["Location"]
        assert post.status_code == 302
    else:
        assert get.status_code == 403 and post.status_code == 403
        assert "Only a clerk" in post.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Motion)) == 0


# ---------------------------------------------------------------- casting and changing


def test_member_casts_then_changes_a_binary_ballot(client, db, login_as, hm):
    motion = open_motion(hm)
    voter = hm["members"]["citizen"][0]
    login_as(voter)
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Cast my ballot" in page and "You have voted" not in page

    response = client.post(f"/motions/{motion.id}/ballot", data={"choice": "yes"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    receipt = re.search(r"Your receipt is ([A-Z2-9-]{19})", page).group(1)
    assert "You have voted." in page and receipt in page
    assert "Change my ballot" in page

    response = client.post(f"/motions/{motion.id}/ballot", data={"choice": "no"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Your receipt is still {receipt}" in page
    assert counts(db, motion.id) == (1, 1)
    [ballot] = opened_ballots(motion)  # as the server sees it, with the key
    assert (ballot.choice, ballot.receipt, ballot.constituency) == ("no", receipt, "citizen")


def test_ranked_ballot_from_the_select_per_rank_form(client, db, login_as, hm):
    motion = open_motion(hm, method="schulze")
    login_as(hm["members"]["employee"][0])
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    for i in (1, 2, 3):
        assert f'<label for="rank-{i}">' in page and f'name="rank-{i}"' in page
    assert "1st choice" in page and "2nd choice" in page and "3rd choice" in page
    assert re.search(r"/static/js/ranking(\.[0-9a-f]+)?\.js", page)
    response = client.post(
        f"/motions/{motion.id}/ballot", data={"rank-1": "Gamma", "rank-2": "", "rank-3": "Alpha"}
    )
    assert response.status_code == 303
    assert [b.ranking for b in opened_ballots(motion)] == [["Gamma", "Alpha"]]


@pytest.mark.parametrize(
    ("method", "data", "message"),
    [
        ("binary", {"choice": "maybe"}, "&#39;maybe&#39; is not a choice"),
        ("binary", {}, "Choose yes, no or abstain"),
        ("binary", {"rank-1": "Alpha"}, "This is a yes/no motion"),
        ("schulze", {"rank-1": "Alpha", "rank-2": "Delta"}, "&#39;Delta&#39; is not one of"),
        ("schulze", {"rank-1": "Alpha", "rank-2": "Alpha"}, "You ranked &#39;Alpha&#39; twice"),
        ("schulze", {"rank-1": "", "rank-2": "", "rank-3": ""}, "Rank at least one option"),
        ("schulze", {"choice": "yes"}, "This is a ranked-choice motion"),
        ("consent", {"choice": "object", "reason": "  "}, "An objection needs a reason"),
        ("consent", {"choice": "yes"}, "is not a choice on this motion"),
    ],
)
def test_bad_ballots_are_refused_and_nothing_is_written(
    client, db, login_as, hm, method, data, message
):
    motion = open_motion(hm, method=method)
    login_as(hm["members"]["citizen"][1])
    response = client.post(f"/motions/{motion.id}/ballot", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'role="alert"' in html
    assert counts(db, motion.id) == (0, 0)


def test_consent_ballots_consent_and_object(client, db, login_as, hm):
    motion = open_motion(hm, method="consent")
    login_as(hm["members"]["citizen"][0])
    assert (
        client.post(f"/motions/{motion.id}/ballot", data={"choice": "consent"}).status_code == 303
    )
    login_as(hm["members"]["leader"][0])
    response = client.post(
        f"/motions/{motion.id}/ballot",
        data={"choice": "object", "reason": "The leaflet omits the out-of-hours number."},
    )
    assert response.status_code == 303
    rows = [(b.choice, b.reason) for b in opened_ballots(motion)]
    assert sorted(rows, key=str) == [
        ("consent", None),
        ("object", "The leaflet omits the out-of-hours number."),
    ]


@pytest.mark.parametrize("who", ["visitor", "account", "pending", "late_member", "suspended"])
def test_people_who_are_not_eligible_cannot_vote(client, db, make, login_as, hm, who):
    motion = open_motion(hm)
    council = hm["council"]
    expected = {
        "account": "Only members of",
        "pending": "Only members of",
        "late_member": "after voting on this motion opened",
        "suspended": "suspended",
    }
    if who == "account":
        login_as(make.user())
    elif who == "pending":
        user = make.user()
        make.member(user, council, "citizen", status="pending")
        login_as(user)
    elif who == "late_member":
        user = make.user()
        make.member(user, council, "citizen")  # active, but joined after opening
        login_as(user)
    elif who == "suspended":
        from participate.councils.models import Membership

        user = hm["members"]["citizen"][2]
        db.session.execute(
            sa.update(Membership).where(Membership.user_id == user.id).values(status="suspended")
        )
        db.session.commit()
        login_as(user)
    response = client.post(f"/motions/{motion.id}/ballot", data={"choice": "yes"})
    if who == "visitor":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
        assert expected[who] in response.get_data(as_text=True)
        page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
        assert "Cast my ballot" not in page and expected[who] in page
    assert counts(db, motion.id) == (0, 0)


def test_no_ballot_on_a_draft_or_a_closed_motion(client, db, login_as, hm):
    from participate.votes import services

    draft = services.create_motion(hm["clerk"], hm["council"], title="Draft", method="binary")
    closed = open_motion(hm)
    close_voting(hm["clerk"], closed)
    login_as(hm["members"]["citizen"][0])
    response = client.post(f"/motions/{draft.id}/ballot", data={"choice": "yes"})
    assert response.status_code == 409 and "has not opened yet" in response.get_data(as_text=True)
    response = client.post(f"/motions/{closed.id}/ballot", data={"choice": "yes"})
    assert response.status_code == 409 and "has closed" in response.get_data(as_text=True)
    assert counts(db, draft.id) == (0, 0) and counts(db, closed.id) == (0, 0)
    assert client.post("/motions/999999/ballot", data={"choice": "yes"}).status_code == 404


# ---------------------------------------------------------------- htmx fragments


def test_htmx_cast_returns_the_ballot_panel_fragment(client, db, login_as, hm):
    motion = open_motion(hm)
    login_as(hm["members"]["citizen"][0])
    response = client.post(
        f"/motions/{motion.id}/ballot", data={"choice": "abstain"}, headers=htmx_headers()
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="ballot-panel"' in html
    assert "Your ballot was recorded" in html and "You have voted." in html
    bad = client.post(
        f"/motions/{motion.id}/ballot", data={"choice": "perhaps"}, headers=htmx_headers()
    )
    assert bad.status_code == 400
    assert "<html" not in bad.get_data(as_text=True)
    assert "is not a choice" in bad.get_data(as_text=True)
    # Full page and fragment render the same partial.
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'id="ballot-panel"' in page and 'hx-post="/motions/' in page


def test_turnout_fragment_counts_only(client, db, hm):
    motion = open_motion(hm)
    cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    cast_ballot(hm["members"]["leader"][0], motion, choice="no")
    response = client.get(f"/motions/{motion.id}/turnout", headers=htmx_headers())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="turnout"' in html and 'hx-trigger="every 20s"' in html
    assert '<td class="num">1 of 4</td><td class="num">25%</td>' in html
    assert "yes" not in html.lower().replace("eyes", "")
    plain = client.get(f"/motions/{motion.id}/turnout")
    assert plain.status_code == 302


# ---------------------------------------------------------------- closing and results


def test_results_are_hidden_until_the_clerk_closes(client, db, login_as, hm):
    motion = open_motion(hm)
    for user in hm["members"]["citizen"][:3]:
        cast_ballot(user, motion, choice="yes")
    cast_ballot(hm["members"]["employee"][0], motion, choice="no")
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'id="results"' not in page and "Passed" not in page and "ballots.json" not in page
    assert "Counts only" in page

    login_as(hm["members"]["citizen"][0])
    assert client.post(f"/motions/{motion.id}/close").status_code == 403
    login_as(hm["clerk"])
    response = client.post(f"/motions/{motion.id}/close", data={"confirm": "yes"})
    assert response.status_code == 303
    db.session.refresh(motion)
    assert motion.status == "closed" and motion.result["passed"] is False
    assert audit_actions(db, motion.id) == [
        "motion.created",
        "motion.opened",
        "motion.closed",
        "motion.tallied",
    ]
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'id="results"' in page and "Not passed" in page
    assert f"/api/v1/motions/{motion.id}/ballots.json" in page
    assert "Check a receipt" in page
    # Closing again is refused with a message.
    again = client.post(
        f"/motions/{motion.id}/close", data={"confirm": "yes"}, follow_redirects=True
    )
    assert "already closed" in again.get_data(as_text=True)


def test_binary_result_page_shows_support_quorum_minority_and_bars(client, db, make, hm):
    council = hm["council"]
    extra = make.members(council, {"employee": 1})
    motion = open_motion(hm)
    citizens, employees, leaders = (hm["members"][c] for c in ("citizen", "employee", "leader"))
    for user in citizens[:3]:
        cast_ballot(user, motion, choice="yes")
    cast_ballot(citizens[3], motion, choice="no")
    for user in [*employees, *extra][:3]:
        cast_ballot(user, motion, choice="no")
    for user in leaders:
        cast_ballot(user, motion, choice="yes")
    result = close_voting(hm["clerk"], motion)
    # citizens 3/4 yes, employees 0/3, leaders 2/2: S = (0.75 + 0 + 1) / 3 = 0.583 > 0.5
    assert result["passed"] is True
    assert result["minority"] == ["employee"]
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Passed" in html and "weighted support of 58%" in html  # whole, in prose (issue 15)
    assert "Minority note" in html and "on the losing side" in html
    assert html.count('class="vb-yes"') == 3 and 'class="vb-quorum"' in html
    assert "<svg" in html and "chart.js" not in html.lower()


def test_schulze_result_page_shows_winner_full_ranking_and_pairwise(client, db, hm):
    motion = open_motion(hm, method="schulze")
    # Citizens 3 B>A>G, 1 A>G; employees 2 B>G>A, 1 A: weighted, Beta beats both.
    ballots = [["Beta", "Alpha", "Gamma"]] * 3 + [["Alpha", "Gamma"]]
    ballots += [["Beta", "Gamma", "Alpha"]] * 2 + [["Alpha"]]
    voters = hm["members"]["citizen"] + hm["members"]["employee"]
    for user, ranking in zip(voters, ballots, strict=True):
        cast_ballot(user, motion, ranking=ranking)
    result = close_voting(hm["clerk"], motion)
    assert result["winner"] == "Beta" and result["ranking"][0] == "Beta"
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Winner: Beta" in html and "Full ranking" in html and "Head to head" in html


def test_consent_result_publishes_objections_with_reasons(client, db, hm):
    motion = open_motion(hm, method="consent")
    cast_ballot(hm["members"]["citizen"][0], motion, choice="consent")
    cast_ballot(
        hm["members"]["employee"][0], motion, objection="Staffing on Sundays is not covered."
    )
    result = close_voting(hm["clerk"], motion)
    assert result["passed"] is False and result["objections"] == 1
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Does not proceed" in html
    assert "Staffing on Sundays is not covered." in html
    assert "employees constituency" in html or "employee" in html


def test_motion_closes_itself_when_its_time_has_passed(client, db, hm):
    from participate.votes.models import Motion

    motion = open_motion(hm)

    cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    db.session.execute(
        sa.update(Motion)
        .where(Motion.id == motion.id)
        .values(closes_at=motion.opens_at + timedelta(microseconds=1))
    )
    db.session.commit()
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'id="results"' in html
    db.session.expire_all()
    motion = db.session.get(Motion, motion.id)
    assert motion.status == "closed" and motion.result is not None
    assert audit_actions(db, motion.id)[-2:] == ["motion.closed", "motion.tallied"]
    from participate.audit.models import AuditEvent

    closed_event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "motion.closed")
    ).one()
    assert closed_event.actor_id is None and '"by": "schedule"' in closed_event.data


def test_ballot_after_the_closing_time_is_refused_and_closes_the_motion(client, db, login_as, hm):
    from participate.votes.models import Motion

    motion = open_motion(hm)
    db.session.execute(
        sa.update(Motion)
        .where(Motion.id == motion.id)
        .values(closes_at=motion.opens_at + timedelta(microseconds=1))
    )
    db.session.commit()
    login_as(hm["members"]["citizen"][0])
    response = client.post(f"/motions/{motion.id}/ballot", data={"choice": "yes"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Motion, motion.id).status == "closed"
    assert counts(db, motion.id) == (0, 0)


# ---------------------------------------------------------------- receipts


def test_receipt_lookup_after_close(client, db, hm):
    motion = open_motion(hm)
    cast = cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    early = client.get(f"/motions/{motion.id}/receipt", query_string={"code": cast.receipt})
    assert early.status_code == 409
    close_voting(hm["clerk"], motion)
    found = client.get(f"/motions/{motion.id}/receipt", query_string={"code": cast.receipt.lower()})
    assert found.status_code == 200
    html = found.get_data(as_text=True)
    assert "Counted." in html and cast.receipt in html
    assert re.search(r"constituency:\s+yes\.", html)
    missing = client.get(
        f"/motions/{motion.id}/receipt",
        query_string={"code": "AAAA-BBBB-CCCC-DDDD"},
        headers=htmx_headers(),
    )
    assert missing.status_code == 200 and "<html" not in missing.get_data(as_text=True)
    assert "No ballot with receipt" in missing.get_data(as_text=True)
    bad = client.get(f"/motions/{motion.id}/receipt", query_string={"code": "12"})
    assert bad.status_code == 400 and "16 letters and digits" in bad.get_data(as_text=True)


# ---------------------------------------------------------------- rules snapshot


def test_rules_are_frozen_at_opening_and_governance_uses_its_threshold(db, hm):
    from participate.councils.models import ConstitutionVersion

    first = open_motion(hm, kind="governance")
    assert first.rules["threshold"] == pytest.approx(2 / 3)
    council = hm["council"]
    version = db.session.scalars(
        sa.select(ConstitutionVersion).where(ConstitutionVersion.council_id == council.id)
    ).one()
    db.session.add(
        ConstitutionVersion(
            council_id=council.id,
            number=2,
            settings={**version.settings, "quorum": 0.5, "threshold": 0.6},
            reason="test",
        )
    )
    db.session.commit()
    second = open_motion(hm)
    db.session.refresh(first)
    assert first.rules["quorum"] == 0.1 and first.constitution_version == 1
    assert second.rules["quorum"] == 0.5 and second.rules["threshold"] == 0.6
    assert second.constitution_version == 2
    cast_ballot(hm["members"]["citizen"][0], first, choice="yes")
    db.session.refresh(first)
    assert first.rules["quorum"] == 0.1


# ---------------------------------------------------------------- permissions matrix

ROLES = ("visitor", "account", "member", "clerk")
STATES = ("draft", "open", "closed")
# (action, state) -> roles allowed; every other cell is refused.
ALLOWED = {
    ("cast", "open"): {"member", "clerk"},
    ("open", "draft"): {"clerk"},
    ("close", "open"): {"clerk"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["cast", "open", "close"])
def test_permission_matrix(client, db, make, login_as, hm, role, state, action):
    from participate.votes import services
    from participate.votes.models import Motion

    if state == "draft":
        motion = services.create_motion(hm["clerk"], hm["council"], title="M", method="binary")
    else:
        motion = open_motion(hm)
        if state == "closed":
            close_voting(hm["clerk"], motion)
    user = {
        "visitor": None,
        "account": make.user(),
        "member": hm["members"]["citizen"][0],
        "clerk": hm["clerk"],
    }[role]
    if user is not None:
        login_as(user)
    url, data = {
        "cast": (f"/motions/{motion.id}/ballot", {"choice": "yes"}),
        "open": (f"/motions/{motion.id}/open", {"closes_at": later().strftime("%Y-%m-%dT%H:%M")}),
        "close": (f"/motions/{motion.id}/close", {"confirm": "yes"}),
    }[action]
    before = db.session.get(Motion, motion.id).status
    response = client.post(url, data=data)
    db.session.expire_all()
    after = db.session.get(Motion, motion.id).status
    allowed = role in ALLOWED.get((action, state), set())
    if allowed:
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        if action != "cast":
            assert after != before
        else:
            assert counts(db, motion.id) == (1, 1)
    else:
        if role == "visitor":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        elif action == "close" and role == "clerk":
            assert response.status_code == 303  # flashed refusal: not open
        else:
            assert 400 <= response.status_code < 500
        assert after == before
        assert counts(db, motion.id)[0] == 0


# ---------------------------------------------------------------- demo data


def test_demo_seed_has_open_and_closed_motions_of_each_method(demo):
    from participate.accounts.models import User
    from participate.votes.models import Motion

    client, db, summary = demo.client, demo.db, demo.summary
    assert summary["motions"] >= 6 and summary["ballots"] > 100
    # The standalone motions of health-manchester (rounds add motions of their own).
    motions = db.session.scalars(
        sa.select(Motion)
        .join(Motion.council)
        .where(Motion.origin == "", sa.text("councils.slug = 'health-manchester'"))
        .order_by(Motion.id)
    ).all()
    assert {(m.method, m.status) for m in motions} == {
        (method, status)
        for method in ("binary", "schulze", "consent")
        for status in ("open", "closed")
    }
    closed = [m for m in motions if m.status == "closed"]
    assert any(m.result["minority"] for m in closed if m.method == "binary")
    for motion in closed:
        data = client.get(f"/api/v1/motions/{motion.id}/ballots.json").get_json()
        assert len(data["ballots"]) == sum(
            row["voted"] for row in motion.result["constituencies"].values()
        )
    citizen = db.session.scalars(sa.select(User).where(User.email == "citizen@example.org")).one()
    statuses = [my_vote_status(citizen, m) for m in motions if m.status == "open"]
    assert any(s.can_vote and not s.voted for s in statuses)
    assert any(s.voted for s in statuses)
    for motion in motions:
        assert client.get(f"/motions/{motion.id}").status_code == 200
    assert client.get("/councils/health-manchester/votes").status_code == 200


def test_a_session_ended_by_a_password_change_cannot_vote(client, db, login_as, hm):
    from participate.accounts.models import User

    motion = open_motion(hm)
    voter = hm["members"]["citizen"][0]
    login_as(voter)
    db.session.execute(
        sa.update(User).where(User.id == voter.id).values(session_version=User.session_version + 1)
    )
    db.session.commit()
    # The test keeps one app context (and so one ``g``) across requests, where Flask-Login
    # caches the signed-in user; a server starts each request afresh.
    g.pop("_login_user", None)
    response = client.post(f"/motions/{motion.id}/ballot", data={"choice": "yes"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    g.pop("_login_user", None)
    fragment = client.post(
        f"/motions/{motion.id}/ballot", data={"choice": "yes"}, headers=htmx_headers()
    )
    assert fragment.status_code == 401 and "Sign in to vote" in fragment.get_data(as_text=True)
    assert counts(db, motion.id) == (0, 0)
