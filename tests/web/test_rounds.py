"""Rounds: creating a round, the round page, advancing by hand and by schedule, the evidence
pack, questions, merges, voting, outcomes and minutes, the council tab, notifications and
the audit log; bad input is refused with a clear message and nothing written.

Its fixture and helpers (``hm``, ``start_round`` ...) are in tests/factories/rounds.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from tests.factories import rounds as factory
from tests.factories.rounds import (
    advance_to,
    audit_actions,
    counts,
    form_schedule,
    schedule,
    start_round,
    vote_all,
)

hm = factory.hm  # the fixture (tests/factories/rounds.py)


# ---------------------------------------------------------------- creating a round


def test_clerk_creates_a_round_with_an_ordered_agenda(client, db, login_as, hm):
    from participate.notifications.models import Notification
    from participate.rounds.models import AgendaItem, Round

    login_as(hm["clerk"])
    page = client.get("/councils/health-manchester/rounds/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Open the walk-in centre on Saturdays" in html
    assert "Breakfast clubs" not in html  # another council's proposal is not offered
    p1, p2, p3 = hm["proposals"]
    response = client.post(
        "/councils/health-manchester/rounds/new",
        data={
            "title": "Winter pressures on urgent care",
            "purpose": "Decide what to do about winter.",
            f"order-proposal-{p3.id}": "1",
            f"order-proposal-{p1.id}": "2",
            f"order-proposal-{p2.id}": "",
            **form_schedule(schedule()),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    round_ = db.session.scalar(sa.select(Round))
    assert response.headers["Location"].endswith(f"/rounds/{round_.id}")
    assert round_.phase == "briefing"
    items = db.session.scalars(sa.select(AgendaItem).order_by(AgendaItem.position)).all()
    assert [(i.position, i.proposal_id) for i in items] == [(1, p3.id), (2, p1.id)]
    db.session.refresh(p1)
    db.session.refresh(p2)
    assert p1.status == "on_agenda" and p2.status == "open"
    assert "round.created" in audit_actions(db, round_.id)
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "round_created")
    ).all()
    assert len(told) == 9  # every member but the clerk who opened it
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Winter pressures on urgent care" in html and "Move to discussion now" in html


@pytest.mark.parametrize(
    "change, message",
    [
        ({"discussion": -1}, "The discussion phase must end after the briefing phase ends"),
        ({"briefing": -3}, "The planned end of the briefing phase is in the past"),
    ],
)
def test_schedule_out_of_order_or_in_the_past_is_refused(client, db, login_as, hm, change, message):
    login_as(hm["clerk"])
    ends = schedule(start_days=2)
    for phase, days in change.items():
        ends[phase] = ends["briefing"] + timedelta(days=days)
    before = counts(db)
    response = client.post(
        "/councils/health-manchester/rounds/new",
        data={
            "title": "Winter pressures",
            "purpose": "Decide.",
            f"order-proposal-{hm['proposals'][0].id}": "1",
            **form_schedule(ends),
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts(db) == before
    db.session.refresh(hm["proposals"][0])
    assert hm["proposals"][0].status == "open"


def test_agenda_item_from_another_council_is_refused_and_nothing_written(db, hm):
    from participate.errors import DomainError

    before = counts(db)
    with pytest.raises(DomainError) as refused:
        start_round(hm, items=[("proposal", hm["proposals"][0].id), ("proposal", hm["foreign"].id)])
    assert refused.value.code == "agenda_other_council"
    assert "belongs to Schools" in refused.value.message
    assert counts(db) == before
    db.session.refresh(hm["proposals"][0])
    assert hm["proposals"][0].status == "open"  # the first item's status change was rolled back


@pytest.mark.parametrize(
    "agenda, code",
    [
        ([], "agenda_empty"),
        ([("proposal", 999_999)], "agenda_unknown_item"),
        ("x", "agenda_invalid"),
        ([("proposal", "a")], "agenda_invalid"),
    ],
)
def test_bad_agendas_are_refused(db, hm, agenda, code):
    from participate.errors import DomainError

    with pytest.raises(DomainError) as refused:
        start_round(hm, items=agenda)
    assert refused.value.code == code


def test_a_proposal_already_on_an_agenda_cannot_join_another(db, hm):
    from participate.errors import DomainError

    start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    with pytest.raises(DomainError) as refused:
        start_round(hm, items=[("proposal", hm["proposals"][0].id)], title="Another round")
    assert refused.value.code == "agenda_item_not_open"
    assert "on the agenda of another round" in refused.value.message


def test_only_clerks_create_rounds(client, login_as, hm):
    member = hm["members"]["citizen"][0]
    login_as(member)
    response = client.get("/councils/health-manchester/rounds/new")
    assert response.status_code == 403
    assert "Only the clerks of" in response.get_data(as_text=True)
    from participate.errors import DomainError
    from participate.rounds import services

    with pytest.raises(DomainError) as refused:
        services.create_round(
            member,
            hm["council"],
            title="Mine",
            purpose="x",
            agenda=[("proposal", hm["proposals"][0].id)],
            schedule=schedule(),
        )
    assert refused.value.code == "clerks_only" and refused.value.status == 403


# ---------------------------------------------------------------- the page and the tab


def test_round_page_shows_phase_timeline_agenda_and_participation(client, db, hm):
    round_ = start_round(hm)
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert 'aria-current="step"' in html and "Briefing" in html
    assert "ends <strong>in 23 hours</strong>" in html or "ends <strong>in 1 day</strong>" in html
    for p in hm["proposals"]:
        assert p.title in html
    assert "Who has taken part" in html and "0 members have taken part" in html
    assert 'hx-trigger="every 10s"' in html
    assert "Move to discussion now" not in html  # visitors do not run rounds


def test_council_rounds_tab_lists_rounds_by_phase(client, db, hm):
    live = start_round(hm, items=[("proposal", hm["proposals"][0].id)], title="Live round here")
    advance_to(hm, live, "discussion")
    html = client.get("/councils/health-manchester/rounds").get_data(as_text=True)
    assert "In discussion (1)" in html and "Live round here" in html
    assert 'aria-current="page">Rounds' in html
    assert 'href="/councils/health-manchester/rounds"' in client.get(
        "/councils/health-manchester"
    ).get_data(as_text=True)


# ---------------------------------------------------------------- advancing


def test_clerk_advances_phase_by_phase_with_audit_and_notifications(client, db, login_as, hm):
    from participate.notifications.models import Notification
    from participate.rounds.models import PhaseChange

    round_ = start_round(hm)
    login_as(hm["clerk"])
    response = client.post(
        f"/rounds/{round_.id}/advance", data={"from_phase": "briefing", "confirm": "yes"}
    )
    assert response.status_code == 302
    db.session.refresh(round_)
    assert round_.phase == "discussion"
    change = db.session.scalar(sa.select(PhaseChange))
    assert (change.from_phase, change.to_phase, change.cause) == ("briefing", "discussion", "clerk")
    assert "round.phase_changed" in audit_actions(db, round_.id)
    told = db.session.scalars(
        sa.select(Notification.text).where(Notification.kind == "round_phase")
    ).all()
    assert len(told) == 9 and "is now in discussion" in told[0]


def test_a_stale_advance_is_refused_with_a_clear_message(client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    client.post(f"/rounds/{round_.id}/advance", data={"from_phase": "briefing", "confirm": "yes"})
    again = client.post(
        f"/rounds/{round_.id}/advance", data={"from_phase": "briefing", "confirm": "yes"}
    )
    assert again.status_code == 409
    assert "already in the discussion phase" in again.get_data(as_text=True)
    db.session.refresh(round_)
    assert round_.phase == "discussion"


def test_advancing_a_closed_round_is_refused(db, hm):
    from participate.errors import DomainError
    from participate.rounds.decisions import record_outcome
    from participate.rounds.lifecycle import advance_phase

    round_ = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    advance_to(hm, round_, "outcome")
    record_outcome(
        hm["clerk"],
        round_,
        round_.items[0],
        decision="rejected",
        reasons="Nobody voted for it, so the council does not adopt it.",
    )
    advance_phase(hm["clerk"], round_)
    assert round_.phase == "closed"
    with pytest.raises(DomainError) as refused:
        advance_phase(hm["clerk"], round_)
    assert refused.value.code == "round_closed" and refused.value.status == 409
    assert "closed round has no next phase" in refused.value.message


def test_members_cannot_advance(client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["members"]["citizen"][0])
    response = client.post(
        f"/rounds/{round_.id}/advance", data={"from_phase": "briefing", "confirm": "yes"}
    )
    assert response.status_code == 403
    assert "Only the council&#39;s clerks can advance the round" in response.get_data(as_text=True)
    db.session.refresh(round_)
    assert round_.phase == "briefing"


def test_a_phase_whose_end_passed_advances_when_the_round_is_read(client, db, hm):
    from participate.rounds.models import PhaseChange, Round

    round_ = start_round(hm)
    # Move the planned ends of briefing and discussion into the past (as time passing would).
    from participate.util import utcnow

    now = utcnow()
    db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id)
        .values(
            briefing_ends_at=now - timedelta(hours=2), discussion_ends_at=now - timedelta(hours=1)
        )
    )
    db.session.commit()
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    db.session.expire_all()
    round_ = db.session.get(Round, round_.id)
    assert round_.phase == "refinement"
    changes = db.session.scalars(sa.select(PhaseChange).order_by(PhaseChange.id)).all()
    assert [(c.to_phase, c.cause, c.actor_id) for c in changes] == [
        ("discussion", "schedule", None),
        ("refinement", "schedule", None),
    ]
    assert "Refinement" in html and "by its schedule" in html
    # Reading again changes nothing.
    client.get(f"/rounds/{round_.id}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PhaseChange)) == 2


def test_outcome_cannot_close_with_undecided_items_but_the_schedule_defers_them(db, hm):
    from participate.errors import DomainError
    from participate.rounds import services
    from participate.rounds.lifecycle import advance_phase
    from participate.rounds.models import Round
    from participate.util import utcnow

    round_ = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    advance_to(hm, round_, "outcome")
    with pytest.raises(DomainError) as refused:
        advance_phase(hm["clerk"], round_)
    assert refused.value.code == "outcomes_missing"
    now = utcnow()
    ends = {
        p: now - timedelta(hours=6 - i)
        for i, p in enumerate(("briefing", "discussion", "refinement", "voting", "outcome"))
    }
    db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id)
        .values(**{f"{p}_ends_at": e for p, e in ends.items()})
    )
    db.session.commit()
    db.session.expire_all()
    round_ = services.get_round(round_.id)
    assert round_.phase == "closed"
    item = round_.items[0]
    assert item.decision == "deferred" and "No decision was recorded" in item.reasons
    db.session.refresh(hm["proposals"][0])
    assert hm["proposals"][0].status == "open"
    assert round_.minutes is not None


# ---------------------------------------------------------------- briefing: evidence and questions


def test_clerk_publishes_evidence_and_links_in_briefing_only(client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    response = client.post(
        f"/rounds/{round_.id}/evidence",
        data={"evidence": "## Demand\n\nA&E attendances rose **12%**."},
    )
    assert response.status_code == 302
    client.post(
        f"/rounds/{round_.id}/links",
        data={"title": "NHS winter data", "url": "https://www.england.nhs.uk/statistics/"},
    )
    bad = client.post(
        f"/rounds/{round_.id}/links", data={"title": "Script", "url": "javascript:alert(1)"}
    )
    assert bad.status_code == 400 and "full web address starting with https://" in bad.get_data(
        as_text=True
    )
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "<strong>12%</strong>" in html and "NHS winter data" in html
    assert "javascript:" not in html
    advance_to(hm, round_, "discussion")
    late = client.post(f"/rounds/{round_.id}/evidence", data={"evidence": "Later addition"})
    assert late.status_code == 403
    assert "Publishing evidence is not allowed in the discussion phase" in late.get_data(
        as_text=True
    )
    db.session.refresh(round_)
    assert "Later addition" not in round_.evidence
    assert "round.evidence_published" in audit_actions(db, round_.id)


def test_members_ask_and_the_clerk_answers(client, db, login_as, hm):
    from participate.notifications.models import Notification

    round_ = start_round(hm)
    member = hm["members"]["citizen"][2]
    login_as(member)
    item = round_.items[0]
    response = client.post(
        f"/rounds/{round_.id}/questions",
        data={"body": "How many extra staff would Saturdays need?", "item_id": str(item.id)},
    )
    assert response.status_code == 302
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "How many extra staff would Saturdays need?" in html and "about item 1" in html
    question_id = int(response.headers["Location"].rsplit("question-", 1)[1])
    # A member cannot answer.
    refused = client.post(
        f"/rounds/{round_.id}/questions/{question_id}/answer", data={"answer": "I think ten."}
    )
    assert refused.status_code == 403
    login_as(hm["clerk"])
    answered = client.post(
        f"/rounds/{round_.id}/questions/{question_id}/answer",
        data={"answer": "Four nurses and a GP per Saturday."},
    )
    assert answered.status_code == 302
    twice = client.post(
        f"/rounds/{round_.id}/questions/{question_id}/answer", data={"answer": "Again"}
    )
    assert twice.status_code == 409
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Notification.user_id == member.id, Notification.kind == "round_answer"
            )
        )
        == 1
    )
    # Questions close after discussion.
    advance_to(hm, round_, "refinement")
    login_as(member)
    late = client.post(f"/rounds/{round_.id}/questions", data={"body": "One more?"})
    assert late.status_code == 403
    assert "Questions are not allowed in the refinement phase" in late.get_data(as_text=True)


def test_visitors_and_non_members_cannot_ask(client, db, login_as, make, hm):
    round_ = start_round(hm)
    assert client.post(f"/rounds/{round_.id}/questions", data={"body": "Hi?"}).status_code == 302
    stranger = make.user()
    login_as(stranger)
    response = client.post(f"/rounds/{round_.id}/questions", data={"body": "Can I ask?"})
    assert response.status_code == 403
    assert "Only members of this council can ask questions" in response.get_data(as_text=True)


# ---------------------------------------------------------------- agenda changes and merges


def test_agenda_changes_only_in_briefing(client, db, login_as, hm):
    p1, p2, p3 = hm["proposals"]
    round_ = start_round(hm, items=[("proposal", p1.id), ("proposal", p2.id)])
    login_as(hm["clerk"])
    added = client.post(f"/rounds/{round_.id}/agenda", data={"subject": f"proposal-{p3.id}"})
    assert added.status_code == 302
    removed = client.post(f"/rounds/{round_.id}/items/{round_.items[0].id}/remove")
    assert removed.status_code == 302
    db.session.expire_all()
    assert [i.proposal_id for i in sorted(round_.items, key=lambda i: i.position)] == [p2.id, p3.id]
    db.session.refresh(p1)
    assert p1.status == "open"
    advance_to(hm, round_, "discussion")
    late = client.post(f"/rounds/{round_.id}/agenda", data={"subject": f"proposal-{p1.id}"})
    assert late.status_code == 403
    assert "The agenda is fixed once discussion starts" in late.get_data(as_text=True)


def test_clerk_merges_duplicates_in_refinement_and_they_share_one_motion(client, db, login_as, hm):
    from participate.rounds.models import AgendaItem

    round_ = start_round(hm)
    first, _second, duplicate = sorted(round_.items, key=lambda i: i.position)
    login_as(hm["clerk"])
    early = client.post(
        f"/rounds/{round_.id}/merge",
        data={"source": duplicate.id, "target": first.id, "reason": "Same weekend opening."},
    )
    assert early.status_code == 403
    assert "Merging agenda items is not allowed in the briefing phase" in early.get_data(
        as_text=True
    )
    advance_to(hm, round_, "refinement")
    merged = client.post(
        f"/rounds/{round_.id}/merge",
        data={
            "source": duplicate.id,
            "target": first.id,
            "reason": "Both ask for the walk-in centre to open at weekends.",
        },
    )
    assert merged.status_code == 302
    db.session.expire_all()
    duplicate = db.session.get(AgendaItem, duplicate.id)
    assert duplicate.merged_into_id == first.id and "weekends" in duplicate.merge_reason
    assert "round.items_merged" in audit_actions(db, round_.id)
    advance_to(hm, round_, "voting")
    db.session.expire_all()
    items = sorted(db.session.get(type(round_), round_.id).items, key=lambda i: i.position)
    assert items[0].motion_id is not None and items[1].motion_id is not None
    assert items[2].motion_id is None  # the merged duplicate has no motion of its own
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "merged into item 1" in html


# ---------------------------------------------------------------- voting and outcome


def test_entering_voting_opens_one_motion_per_item_and_leaving_closes_them(db, hm):
    from participate.rounds.decisions import set_method
    from participate.votes.models import Motion

    round_ = start_round(hm)
    item = sorted(round_.items, key=lambda i: i.position)[1]
    set_method(
        hm["clerk"],
        round_,
        item,
        method="schulze",
        options="Text reminders\nLetters only\nNo change",
    )
    advance_to(hm, round_, "voting")
    motions = db.session.scalars(sa.select(Motion).order_by(Motion.id)).all()
    assert [m.status for m in motions] == ["open"] * 3
    assert {m.origin for m in motions} == {f"round:{round_.id}"}
    assert motions[1].method == "schulze" and motions[1].options[0] == "Text reminders"
    assert motions[0].closes_at == round_.voting_ends_at
    assert "round.voting_method_set" in audit_actions(db, round_.id)
    vote_all(hm, round_, "yes", skip=hm["members"]["leader"])
    advance_to(hm, round_, "outcome")
    db.session.expire_all()
    motions = db.session.scalars(sa.select(Motion).order_by(Motion.id)).all()
    assert [m.status for m in motions] == ["closed"] * 3
    assert motions[0].result["passed"] is True


def test_voting_method_is_fixed_once_voting_opens(db, hm):
    from participate.errors import DomainError
    from participate.rounds.decisions import set_method

    round_ = start_round(hm)
    advance_to(hm, round_, "voting")
    with pytest.raises(DomainError) as refused:
        set_method(hm["clerk"], round_, round_.items[0], method="consent")
    assert refused.value.code == "method_fixed"


def test_outcome_records_decisions_with_minority_report_prefilled(client, db, login_as, hm):
    from participate.rounds.outcomes import minority_prefill
    from participate.votes import services as votes

    round_ = start_round(hm, items=[("proposal", p.id) for p in hm["proposals"][:2]])
    advance_to(hm, round_, "voting")
    adopted_item, rejected_item = sorted(round_.items, key=lambda i: i.position)
    motion = votes.get_motion(adopted_item.motion_id)
    # Citizens and employees vote yes; the leaders vote no: they are the minority.
    for member in hm["members"]["citizen"] + hm["members"]["employee"]:
        cast_ballot(member, motion, choice="yes")
    for member in hm["members"]["leader"]:
        cast_ballot(member, motion, choice="no")
    advance_to(hm, round_, "outcome")
    login_as(hm["clerk"])
    page = client.get(f"/rounds/{round_.id}/items/{adopted_item.id}/outcome")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Service leaders: a majority voted against the motion" in html
    assert re.search(r'<input checked[^>]*value="adopted"', html)
    prefill = minority_prefill(adopted_item)
    response = client.post(
        f"/rounds/{round_.id}/items/{adopted_item.id}/outcome",
        data={
            "decision": "adopted",
            "reasons": "Passed with broad support from citizens and staff.",
            "minority_report": prefill,
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    db.session.refresh(hm["proposals"][0])
    assert hm["proposals"][0].status == "adopted"
    # Adopting an item whose motion did not pass is refused; nothing changes.
    refused = client.post(
        f"/rounds/{round_.id}/items/{rejected_item.id}/outcome",
        data={
            "decision": "adopted",
            "reasons": "The clerk likes it very much indeed.",
            "confirm": "yes",
        },
    )
    assert refused.status_code == 409
    assert "did not pass" in refused.get_data(as_text=True)
    db.session.refresh(rejected_item)
    assert rejected_item.decision is None
    client.post(
        f"/rounds/{round_.id}/items/{rejected_item.id}/outcome",
        data={
            "decision": "deferred",
            "reasons": "Nobody voted: take it to the spring round.",
            "confirm": "yes",
        },
    )
    db.session.refresh(hm["proposals"][1])
    assert hm["proposals"][1].status == "open"
    again = client.post(
        f"/rounds/{round_.id}/items/{rejected_item.id}/outcome",
        data={"decision": "rejected", "reasons": "Changing my mind after the fact."},
    )
    assert again.status_code == 409 and "decisions are final" in again.get_data(as_text=True)
    assert audit_actions(db, round_.id).count("round.outcome_recorded") == 2


def test_short_reasons_are_refused(db, hm):
    from participate.errors import DomainError
    from participate.rounds.decisions import record_outcome

    round_ = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    advance_to(hm, round_, "outcome")
    with pytest.raises(DomainError) as refused:
        record_outcome(hm["clerk"], round_, round_.items[0], decision="rejected", reasons="No.")
    assert refused.value.field == "reasons"
    db.session.refresh(round_.items[0])
    assert round_.items[0].decision is None


# ---------------------------------------------------------------- minutes


def test_minutes_are_published_when_the_round_closes(client, db, hm):
    from participate.proposals import amendments, discussion
    from participate.rounds.briefing import ask_question
    from participate.rounds.decisions import record_outcome
    from participate.rounds.lifecycle import advance_phase
    from participate.rounds.outcomes import minority_prefill, suggested_decision
    from participate.votes import services as votes

    round_ = start_round(hm, items=[("proposal", p.id) for p in hm["proposals"][:2]])
    assert client.get(f"/rounds/{round_.id}/minutes").status_code == 404
    member = hm["members"]["employee"][1]
    ask_question(member, round_, body="What does it cost?")
    advance_to(hm, round_, "discussion")
    discussion.add_comment(
        member, hm["proposals"][0], body="Staff would welcome this.", stance="for"
    )
    discussion.add_comment(
        hm["members"]["leader"][0], hm["proposals"][0], body="We cannot staff it.", stance="against"
    )
    advance_to(hm, round_, "refinement")
    amendment = amendments.propose_amendment(
        hm["members"]["citizen"][3],
        hm["proposals"][0],
        body="Open the walk-in centre on Saturdays and Sundays.",
        reason="Sundays matter as much.",
    )
    amendments.resolve_amendment(
        hm["members"]["citizen"][0], amendment, accept=False, reason="One step at a time."
    )
    advance_to(hm, round_, "voting")
    first = sorted(round_.items, key=lambda i: i.position)[0]
    motion = votes.get_motion(first.motion_id)
    for m in hm["members"]["citizen"] + hm["members"]["employee"]:
        cast_ballot(m, motion, choice="yes")
    for m in hm["members"]["leader"]:
        cast_ballot(m, motion, choice="no")
    advance_to(hm, round_, "outcome")
    for item in round_.items:
        passed = suggested_decision(item)
        record_outcome(
            hm["clerk"],
            round_,
            item,
            decision=passed,
            reasons="As the members voted, recorded by the clerk.",
            minority_report=minority_prefill(item),
        )
    advance_phase(hm["clerk"], round_)
    page = client.get(f"/rounds/{round_.id}/minutes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "Participants by constituency",
        "What does it cost?",
        "Staff would welcome",
        "Sundays matter as much.",
        "declined",
        "Passed",
        "Minority report",
        "Service leaders: a majority voted against the motion",
    ):
        if text == "Staff would welcome":
            continue  # comments are counted per speaker, not copied
        assert text in html, text
    assert "Minutes: Winter pressures on urgent care" in html
    md = client.get(f"/rounds/{round_.id}/minutes.md")
    assert md.status_code == 200 and md.headers["Content-Type"].startswith("text/markdown")
    assert "attachment" in md.headers["Content-Disposition"]
    text = md.get_data(as_text=True)
    assert text.startswith("# Minutes: Winter pressures on urgent care")
    assert "| Citizens |" in text and "**Decision: adopted.**" in text
    data = client.get(f"/rounds/{round_.id}/minutes.json").get_json()
    assert data["participants"]["by_constituency"]["employee"] >= 2
    assert data["items"][0]["amendments"][0]["status"] == "declined"
    assert data["items"][0]["motion"]["result"]["minority"] == ["leader"]
    assert data["items"][0]["decision"] == "adopted"
    assert "round.minutes_published" in audit_actions(db, round_.id)


def test_the_gate_applies_the_schedule_before_anyone_reads_the_round(db, hm):
    """A comment sent after the discussion's planned end is refused even though nobody has
    loaded the round since (the stored phase is still discussion)."""
    from participate.errors import DomainError
    from participate.proposals import discussion
    from participate.rounds.models import Round
    from participate.util import utcnow

    round_ = start_round(hm)
    advance_to(hm, round_, "discussion")
    now = utcnow()
    db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id)
        .values(
            briefing_ends_at=now - timedelta(hours=2), discussion_ends_at=now - timedelta(hours=1)
        )
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        discussion.add_comment(
            hm["members"]["citizen"][2], hm["proposals"][0], body="Too late?", stance="for"
        )
    assert refused.value.code == "phase_closed_for_comments"
    assert "not allowed in the refinement phase" in refused.value.message
    assert "propose an amendment instead" in refused.value.message


def test_a_step_the_schedule_cannot_take_leaves_the_round_readable(client, db, hm):
    """If voting cannot open by itself (here: the constitution's rules are unusable), reading
    the round still works and it stays where it was; the clerk advancing sees why."""
    from participate.councils.models import ConstitutionVersion
    from participate.rounds.models import Round
    from participate.util import utcnow

    round_ = start_round(hm)
    advance_to(hm, round_, "refinement")
    db.session.add(
        ConstitutionVersion(
            council_id=hm["council"].id,
            number=99,
            settings={"quorum": 7},
            reason="broken on purpose",
        )
    )
    db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id)
        .values(
            briefing_ends_at=utcnow() - timedelta(hours=3),
            discussion_ends_at=utcnow() - timedelta(hours=2),
            refinement_ends_at=utcnow() - timedelta(hours=1),
        )
    )
    db.session.commit()
    response = client.get(f"/rounds/{round_.id}")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Round, round_.id).phase == "refinement"
