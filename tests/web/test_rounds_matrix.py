"""The phase x action x role matrix at the service level: every rounds service and the agenda
gate on the proposal threads refuse and allow exactly as `participate.core.phases.PERMISSIONS`
says, and a refusal writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participate.core import phases
from participate.core.rules import ROLES
from participate.votes.ballots import cast_ballot
from tests.factories import rounds as shared
from tests.factories.rounds import advance_to, start_round

hm = shared.hm  # the fixture

# Roles in an order where the one that changes the round (a clerk) acts last.
ORDER = ("visitor", "account", "admin", "member", "minister", "clerk")
assert set(ORDER) == set(ROLES)

SERVICE_ACTIONS = (
    "comment",
    "ask_question",
    "answer_question",
    "publish_evidence",
    "propose_amendment",
    "change_agenda",
    "merge_agenda_items",
    "record_outcome",
    "advance_phase",
    "publish_minutes",
)
GATE_ACTIONS = {
    "comment": "comment",
    "propose_amendment": "propose_amendment",
    "resolve_amendment": "resolve_amendment",
}


def _people(make, council):
    minister = make.user()
    make.member(minister, council, "elected", role="minister")
    member = make.user()
    make.member(member, council, "partner")
    return {
        "visitor": None,
        "account": make.user(),
        "admin": make.user(admin=True),
        "member": member,
        "minister": minister,
    }


def _round_in(hm, phase):
    """A round with three items, a question asked in briefing, moved to ``phase``."""
    from participate.rounds.briefing import ask_question
    from participate.rounds.decisions import record_outcome

    round_ = start_round(hm, items=[("proposal", p.id) for p in hm["proposals"][:2]])
    ask_question(hm["members"]["citizen"][0], round_, body="What is the evidence?")
    if phases.PHASES.index(phase) >= phases.PHASES.index("closed"):
        advance_to(hm, round_, "outcome")
        for item in round_.items:
            record_outcome(
                hm["clerk"],
                round_,
                item,
                decision="rejected",
                reasons="Not supported by the vote, so not adopted.",
            )
    advance_to(hm, round_, phase)
    return round_


def _written(db) -> tuple:
    from participate.audit.models import AuditEvent
    from participate.proposals.models import Amendment, Comment
    from participate.rounds.models import AgendaItem, EvidenceLink, Question, Round

    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Comment)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Amendment)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Question)),
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Question)
            .where(Question.answered_at.is_not(None))
        ),
        db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)),
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AgendaItem)
            .where(AgendaItem.merged_into_id.is_not(None))
        ),
        db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceLink)),
        tuple(
            db.session.execute(sa.select(Round.phase, Round.evidence, Round.minutes_version)).all()
        ),
    )


def _act(action, actor, round_, hm):
    from participate.proposals import amendments, discussion
    from participate.proposals import services as proposals
    from participate.rounds import minutes
    from participate.rounds.agenda import add_agenda_item, merge_items
    from participate.rounds.briefing import answer_question, ask_question, update_evidence
    from participate.rounds.decisions import record_outcome
    from participate.rounds.evidence import questions_of
    from participate.rounds.lifecycle import advance_phase

    items = sorted(round_.items, key=lambda i: i.position)
    proposal = proposals.get_proposal(items[0].proposal_id)
    if action == "comment":
        return discussion.add_comment(actor, proposal, body="I support this.", stance="for")
    if action == "propose_amendment":
        return amendments.propose_amendment(
            actor,
            proposal,
            body=proposal.body + " On bank holidays too.",
            reason="Bank holidays see the same demand.",
        )
    if action == "ask_question":
        return ask_question(actor, round_, body="Who pays for it?")
    if action == "answer_question":
        question = questions_of(round_)[0]
        return answer_question(actor, round_, question, answer="The council does.")
    if action == "publish_evidence":
        return update_evidence(actor, round_, text="The figures for last winter.")
    if action == "change_agenda":
        return add_agenda_item(actor, round_, kind="proposal", subject_id=hm["proposals"][2].id)
    if action == "merge_agenda_items":
        return merge_items(actor, round_, items[1], items[0], reason="They ask for the same thing.")
    if action == "record_outcome":
        return record_outcome(
            actor,
            round_,
            items[0],
            decision="rejected",
            reasons="The motion did not pass in this round.",
        )
    if action == "advance_phase":
        return advance_phase(actor, round_)
    if action == "publish_minutes":
        return minutes.republish(actor, round_, note="Corrected the list of attendees.")
    raise AssertionError(action)


@pytest.mark.parametrize("action", SERVICE_ACTIONS)
@pytest.mark.parametrize("phase", phases.PHASES)
def test_services_follow_the_permission_table(db, make, hm, phase, action):
    from participate.errors import DomainError

    people = _people(make, hm["council"]) | {"clerk": hm["clerk"]}
    round_ = _round_in(hm, phase)
    if (phase, action) == ("outcome", "advance_phase"):
        from participate.rounds.decisions import record_outcome

        for item in round_.items:  # closing also needs every decision recorded
            record_outcome(
                hm["clerk"],
                round_,
                item,
                decision="deferred",
                reasons="Deferred to the spring round by the clerk.",
            )
    allowed = phases.PERMISSIONS.get((phase, action), frozenset())
    for role in ORDER:
        before = _written(db)
        if role in allowed:
            _act(action, people[role], round_, hm)
            continue
        with pytest.raises(DomainError) as refused:
            _act(action, people[role], round_, hm)
        assert refused.value.status in (401, 403, 409), (role, refused.value.code)
        db.session.rollback()
        db.session.expire_all()
        assert _written(db) == before, f"{role} {action} in {phase} wrote something"
        if role in ("member", "clerk", "minister") and action in ("comment", "propose_amendment"):
            if phase != "closed":  # decided proposals are frozen by the proposal rules first
                assert refused.value.code.startswith("phase_closed_for_"), refused.value.code
                assert phases.PHASES[0] and "phase" in refused.value.message


@pytest.mark.parametrize("action", list(GATE_ACTIONS))
@pytest.mark.parametrize("phase", phases.PHASES[:-1])
def test_the_agenda_gate_follows_the_permission_table(db, make, hm, phase, action):
    from participate.errors import DomainError
    from participate.proposals.gates import AGENDA_GATES
    from participate.rounds.gate import agenda_gate

    assert agenda_gate in AGENDA_GATES
    people = _people(make, hm["council"]) | {"clerk": hm["clerk"]}
    round_ = _round_in(hm, phase)
    from participate.proposals import services as proposals

    proposal = proposals.get_proposal(round_.items[0].proposal_id)
    allowed = phases.PERMISSIONS.get((phase, GATE_ACTIONS[action]), frozenset())
    for role in ORDER:
        if role in allowed:
            agenda_gate(proposal, action, people[role])
        else:
            with pytest.raises(DomainError) as refused:
                agenda_gate(proposal, action, people[role])
            assert refused.value.status in (401, 403)
            if role in ("member", "clerk", "minister"):
                assert refused.value.code.startswith("phase_closed_for_")


@pytest.mark.parametrize("phase", ["briefing", "discussion"])
def test_a_question_stance_comment_is_a_question_for_the_gate(db, make, hm, phase):
    from participate.proposals import services as proposals
    from participate.rounds.gate import agenda_gate

    round_ = _round_in(hm, phase)
    proposal = proposals.get_proposal(round_.items[0].proposal_id)
    member = hm["members"]["citizen"][1]
    agenda_gate(proposal, "comment", member, stance="question")  # questions in both phases
    agenda_gate(proposal, "comment", member, stance="for")  # and comments (DESIGN §2)


def test_comments_on_a_proposal_off_the_agenda_are_not_gated(db, hm):
    from participate.proposals import discussion

    round_ = _round_in(hm, "voting")
    assert round_.phase == "voting"
    free = hm["proposals"][2]  # not on the agenda
    discussion.add_comment(hm["members"]["citizen"][0], free, body="Still open.", stance="for")


def test_ballots_only_in_voting(db, hm):
    from participate.errors import DomainError
    from participate.votes import services as votes

    round_ = _round_in(hm, "voting")
    motion = votes.get_motion(round_.items[0].motion_id)
    voter = hm["members"]["citizen"][0]
    cast_ballot(voter, motion, choice="yes")
    advance_to(hm, round_, "outcome")
    with pytest.raises(DomainError) as refused:
        cast_ballot(hm["members"]["citizen"][1], votes.get_motion(motion.id), choice="yes")
    assert refused.value.code == "voting_closed" and "voting phase" in refused.value.message
