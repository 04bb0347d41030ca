"""Petitions on a round's agenda: the council answers them through the round. A passed
constitution-change petition changes the constitution; a rejected one is answered; a
deferred one keeps waiting for a later round."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from tests.factories import rounds as shared
from tests.factories.rounds import advance_to, start_round

hm = shared.hm  # the fixture


def _petition(hm, kind="constitution_change", title="Raise the quorum to 20%", settings=None):
    """A petition that reached its threshold (written directly: signing is the petitions
    feature's business and has its own tests)."""
    from participate.markup import render_markdown
    from participate.petitions.models import Petition
    from participate.util import utcnow

    now = utcnow()
    author = hm["members"]["citizen"][3]
    petition = Petition(
        council_id=hm["council"].id,
        author_id=author.id,
        kind=kind,
        title=title,
        change_text="Raise the quorum of every constituency from 10% to 20% of its members.",
        reason_text="Decisions taken by a handful of members are not legitimate.",
        change_html=render_markdown("Raise the quorum."),
        reason_html=render_markdown("Legitimacy."),
        proposed_settings=settings if settings is not None else {"quorum": 0.2},
        status="threshold_reached",
        sponsors_needed=5,
        created_at=now - timedelta(days=90),
        updated_at=now,
        opened_at=now - timedelta(days=80),
        signing_deadline=now + timedelta(days=100),
        threshold=100,
        threshold_explanation="max(100, 1% of 568,996)",
        threshold_reached_at=now - timedelta(days=10),
        response_due_at=now + timedelta(days=50),
    )
    from participate.extensions import db

    db.session.add(petition)
    db.session.commit()
    return petition


def _vote(hm, round_, item, choice):
    from participate.votes import services as votes

    motion = votes.get_motion(item.motion_id)
    for group in hm["members"].values():
        for member in group:
            cast_ballot(member, motion, choice=choice)
    return motion


def test_a_passed_constitution_petition_is_answered_and_applied(db, hm):
    from participate.councils.services import settings_of
    from participate.petitions.models import Petition
    from participate.rounds.decisions import record_outcome
    from participate.votes.models import Motion

    petition = _petition(hm)
    round_ = start_round(hm, items=[("petition", petition.id), ("proposal", hm["proposals"][0].id)])
    item = sorted(round_.items, key=lambda i: i.position)[0]
    assert item.kind == "petition" and item.title == "Raise the quorum to 20%"
    advance_to(hm, round_, "voting")
    db.session.refresh(item)
    motion = db.session.get(Motion, item.motion_id)
    assert motion.kind == "governance" and motion.title.startswith("Grant the petition")
    _vote(hm, round_, item, "yes")
    advance_to(hm, round_, "outcome")
    record_outcome(
        hm["clerk"],
        round_,
        item,
        decision="adopted",
        reasons="Every constituency voted for it, well above the two-thirds threshold.",
    )
    db.session.expire_all()
    petition = db.session.get(Petition, petition.id)
    assert petition.status == "closed" and petition.response_decision == "adopted"
    assert petition.response_round_id == round_.id and petition.response_motion_id == motion.id
    assert petition.constitution_version_id is not None
    assert settings_of(hm["council"])["quorum"] == 0.2


def test_a_rejected_petition_is_answered_and_a_deferred_one_keeps_waiting(db, hm):
    from participate.errors import DomainError
    from participate.petitions.models import Petition
    from participate.rounds.decisions import record_outcome
    from participate.rounds.lifecycle import advance_phase

    rejected = _petition(hm, title="Raise the quorum to 20%")
    deferred = _petition(
        hm, kind="early_scrutiny", title="Inspect out-of-hours GP care", settings={}
    )
    round_ = start_round(hm, items=[("petition", rejected.id), ("petition", deferred.id)])
    first, second = sorted(round_.items, key=lambda i: i.position)
    advance_to(hm, round_, "voting")
    db.session.refresh(first)
    _vote(hm, round_, first, "no")
    advance_to(hm, round_, "outcome")
    with pytest.raises(DomainError) as refused:
        record_outcome(
            hm["clerk"],
            round_,
            first,
            decision="adopted",
            reasons="The clerk would like it to pass anyway.",
        )
    assert refused.value.code == "motion_not_carried"
    record_outcome(
        hm["clerk"],
        round_,
        first,
        decision="rejected",
        reasons="Members voted against raising the quorum this year.",
    )
    record_outcome(
        hm["clerk"],
        round_,
        second,
        decision="deferred",
        reasons="The regulator inspects in January; we answer after that.",
    )
    db.session.expire_all()
    assert db.session.get(Petition, rejected.id).status == "closed"
    assert db.session.get(Petition, rejected.id).response_decision == "rejected"
    assert db.session.get(Petition, rejected.id).constitution_version_id is None
    assert db.session.get(Petition, deferred.id).status == "threshold_reached"
    advance_phase(hm["clerk"], round_)
    # The deferred petition can go on a new round's agenda.
    again = start_round(hm, items=[("petition", deferred.id)], title="The spring round")
    assert again.items[0].petition_id == deferred.id


def test_a_petition_of_another_council_or_not_at_its_threshold_is_refused(db, hm):
    from participate.errors import DomainError
    from participate.petitions.models import Petition

    petition = _petition(hm)
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id)
        .values(council_id=hm["councils"]["health-salford"].id)
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        start_round(hm, items=[("petition", petition.id)])
    assert refused.value.code == "agenda_other_council"
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id)
        .values(council_id=hm["council"].id, status="open")
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        start_round(hm, items=[("petition", petition.id)])
    assert refused.value.code == "agenda_item_not_open"


def test_a_petition_is_on_one_live_round_at_a_time(db, hm):
    from participate.errors import DomainError

    petition = _petition(hm)
    start_round(hm, items=[("petition", petition.id)])
    with pytest.raises(DomainError) as refused:
        start_round(hm, items=[("petition", petition.id)], title="Another round")
    assert refused.value.code == "agenda_item_taken"


@pytest.mark.parametrize("settings", [None, {"quorum": 0.2}])
def test_a_passed_cooperative_governance_petition_is_applied_as_a_new_version(db, hm, settings):
    """DESIGN §4: a co-operative governance petition's passed motion changes the
    constitution as constitution_change does: threshold → agenda item → governance
    motion → outcome → a new version naming the petition and the motion."""
    from participate.audit.models import AuditEvent
    from participate.councils.services import current_constitution, settings_of
    from participate.petitions.models import Petition
    from participate.rounds.decisions import record_outcome
    from participate.votes.models import Motion

    before = current_constitution(hm["council"])
    petition = _petition(
        hm,
        kind="cooperative_governance",
        title="A member-elected stakeholder board",
        settings=settings if settings is not None else {},
    )
    if settings is None:
        petition.proposed_settings = None  # as a petition without settings is stored
        db.session.commit()
    round_ = start_round(hm, items=[("petition", petition.id)])
    item = round_.items[0]
    assert item.kind == "petition" and item.petition_id == petition.id
    advance_to(hm, round_, "voting")
    db.session.refresh(item)
    motion = db.session.get(Motion, item.motion_id)
    assert motion.kind == "governance" and motion.title.startswith("Grant the petition")
    _vote(hm, round_, item, "yes")
    advance_to(hm, round_, "outcome")
    record_outcome(
        hm["clerk"],
        round_,
        item,
        decision="adopted",
        reasons="Every constituency voted for a member-elected board.",
    )
    db.session.expire_all()
    petition = db.session.get(Petition, petition.id)
    assert petition.status == "closed" and petition.response_decision == "adopted"
    assert petition.response_motion_id == motion.id
    version = current_constitution(hm["council"])
    assert version.number == (before.number + 1 if before else 1)
    assert petition.constitution_version_id == version.id
    assert petition.governance_motion_id == motion.id
    assert version.cause == f"petition:{petition.id}; motion:{motion.id}"
    assert "Co-operative governance" in version.values_text
    assert petition.change_text in version.values_text
    if settings:
        assert settings_of(hm["council"])["quorum"] == 0.2
    applied = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "petition.change_applied")
    ).all()
    assert len(applied) == 1


def test_a_clerk_who_started_the_petition_does_not_record_its_answer(client, db, hm, make):
    """Issue 13, finding 3: the round's outcome on a petition is the petition's answer."""
    from participate.errors import DomainError
    from participate.petitions.models import Petition
    from participate.rounds.decisions import record_outcome
    from participate.rounds.models import AgendaItem
    from tests.conftest import login

    petition = _petition(hm)
    petition.author_id = hm["clerk"].id
    db.session.commit()
    round_ = start_round(hm, items=[("petition", petition.id)])
    item = round_.items[0]
    advance_to(hm, round_, "voting")
    db.session.refresh(item)
    _vote(hm, round_, item, "no")
    advance_to(hm, round_, "outcome")
    login(client, hm["clerk"])
    html = client.get(f"/rounds/{round_.id}/items/{item.id}/outcome").get_data(as_text=True)
    assert "started this petition, so another clerk of the council decides on it" in html
    assert "Record and publish the decision" not in html
    with pytest.raises(DomainError) as refused:
        record_outcome(
            hm["clerk"], round_, item, decision="rejected", reasons="Members voted against it."
        )
    assert refused.value.code == "conflict_of_interest"
    assert "started this petition, so another clerk of the council decides on it" in (
        refused.value.message
    )
    db.session.rollback()
    assert db.session.get(AgendaItem, item.id).decision is None
    assert db.session.get(Petition, petition.id).status == "threshold_reached"
    other = make.clerk(hm["council"])
    record_outcome(other, round_, item, decision="rejected", reasons="Members voted against it.")
    db.session.expire_all()
    assert db.session.get(Petition, petition.id).status == "closed"
