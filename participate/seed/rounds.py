"""Demo rounds (``participate seed``), one in each phase, run through the real services.

- health-manchester (clerk@example.org): a **closed** round with published minutes: evidence
  pack with a PDF and a chart, questions answered, comments, an accepted amendment, two
  motions voted on by the members and closed, decisions with a minority report; and a round
  in **briefing** answering the petition the council must answer;
- forum-manchester (clerk@example.org): a round in **voting**, motions open, ballots cast;
- health-north-west: a round in **refinement** with a pending and an accepted amendment;
- health-england: a round in **discussion** with comments in every stance;
- health-leeds: a round in **outcome**, one decision recorded and one awaiting the clerk.

Agenda items are the open proposals the proposals seed made. Each round is planned as a real
one (each phase lasts its LENGTHS; the current phase ends a few days from now) and run through
the services on the story clock: created when its briefing began, each phase moved on by the
clerk shortly before its planned end, each question, comment, amendment, ballot and decision
made during its phase, so the phase log, the notifications and the audit log tell it in order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

import participate.seed.rounds_text as text
from participate.accounts.models import User
from participate.core.phases import PHASES as ALL_PHASES
from participate.extensions import db
from participate.petitions.reading import must_answer
from participate.proposals import amendments, discussion
from participate.proposals import services as proposals
from participate.proposals.models import Proposal
from participate.rounds import services
from participate.rounds.briefing import (
    add_attachment,
    add_link,
    answer_question,
    ask_question,
    update_evidence,
)
from participate.rounds.decisions import record_outcome
from participate.rounds.lifecycle import advance_phase
from participate.rounds.minutes import build
from participate.rounds.models import Round
from participate.rounds.outcomes import minority_prefill, suggested_decision
from participate.seed.files import bar_chart_png, briefing_pdf
from participate.votes import services as votes
from participate.votes.ballots import cast_ballot

# Days each phase lasts in the demo schedules.
LENGTHS = {"briefing": 7, "discussion": 14, "refinement": 7, "voting": 7, "outcome": 7}
PHASES = tuple(LENGTHS)
AHEAD = timedelta(days=4, hours=6)  # the current phase's planned end, from the present
EARLY = timedelta(minutes=30)  # the clerk moves each phase on this long before its planned end


def seed(ctx) -> None:
    made = [
        _closed(ctx),
        _briefing(ctx),
        _voting(ctx),
        _refinement(ctx),
        _discussion(ctx),
        _outcome(ctx),
    ]
    ctx.summary["rounds"] = sum(1 for r in made if r is not None)


# ---------------------------------------------------------------- helpers


def _open_proposals(ctx, slug: str, n: int = 2) -> list[Proposal]:
    council = ctx.councils.get(slug)
    if council is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(
                Proposal.council_id == council.id,
                Proposal.status == "open",
                Proposal.hidden_at.is_(None),
            )
            .order_by(Proposal.id)
            .limit(n)
        )
    )


def _titled(ctx, slug: str, titles) -> list[Proposal]:
    """The council's open proposals with these titles, in this order; [] if one is missing."""
    council = ctx.councils.get(slug)
    if council is None:
        return []
    found = []
    for title in titles:
        proposal = db.session.scalar(
            sa.select(Proposal)
            .where(
                Proposal.council_id == council.id,
                Proposal.title == title,
                Proposal.status == "open",
                Proposal.hidden_at.is_(None),
            )
            .limit(1)
        )
        if proposal is None:
            return []
        found.append(proposal)
    return found


def _members(ctx, slug: str) -> dict[str, list[User]]:
    """Active ordinary members by constituency (clerks and ministers run, they do not vote)."""
    grouped: dict[str, list[User]] = {}
    for membership in ctx.members_of(slug):
        if membership.role != "member":
            continue
        grouped.setdefault(membership.constituency, []).append(
            db.session.get(User, membership.user_id)
        )
    return grouped


def _plan(ctx, target: str, days_ago: float) -> tuple[datetime, dict[str, datetime]]:
    """When a round whose ``target`` phase began ``days_ago`` was created, and its planned
    ends: each earlier phase lasted its LENGTHS, ``target`` ends AHEAD of the present and the
    later phases follow it. A ``closed`` round's outcome phase ended ``days_ago``."""
    now = ctx.now.replace(second=0, microsecond=0)
    done = len(PHASES) if target == "closed" else PHASES.index(target)
    ends: dict[str, datetime] = {}
    moment = now - timedelta(days=days_ago)
    for phase in reversed(PHASES[:done]):
        ends[phase] = moment
        moment -= timedelta(days=LENGTHS[phase])
    created = moment
    moment = now + AHEAD
    for phase in PHASES[done:]:
        ends[phase] = moment
        moment += timedelta(days=LENGTHS[phase])
    return created, {phase: ends[phase] for phase in PHASES}


def _start(
    ctx, clerk_key: str, slug: str, content: dict, agenda, target: str, *, days_ago: float
) -> Round | None:
    if not agenda or slug not in ctx.councils:
        return None
    created, ends = _plan(ctx, target, days_ago)
    clerk = ctx.people[clerk_key]
    with ctx.at(created):
        round_ = services.create_round(
            clerk,
            ctx.councils[slug],
            title=content["title"],
            purpose=content["purpose"],
            agenda=agenda,
            schedule=ends,
        )
        if content.get("evidence"):
            update_evidence(clerk, round_, text=content["evidence"])
        for title, url in content.get("links", []):
            add_link(clerk, round_, title=title, url=url)
    return round_


def _on_open_proposals(
    ctx, clerk_key: str, slug: str, content: dict, target: str, *, days_ago: float
) -> tuple[Round, list[Proposal], dict[str, list[User]]] | None:
    """A round of the council on its oldest open proposals, whose ``target`` phase began
    ``days_ago`` (``_start``); with those proposals and the members by constituency. None when
    the council or its open proposals are missing."""
    subjects = _open_proposals(ctx, slug)
    round_ = _start(
        ctx,
        clerk_key,
        slug,
        content,
        [("proposal", p.id) for p in subjects],
        target,
        days_ago=days_ago,
    )
    if round_ is None:
        return None
    return round_, subjects, _members(ctx, slug)


def _advance(ctx, clerk_key: str, round_: Round, phase: str) -> None:
    """The clerk moves the round on, phase by phase, each a little before its planned end."""
    while ALL_PHASES.index(round_.phase) < ALL_PHASES.index(phase):
        with ctx.at(getattr(round_, f"{round_.phase}_ends_at") - EARLY):
            advance_phase(ctx.people[clerk_key], round_)


def _during(ctx, round_: Round, phase: str, days: float):
    """The story clock ``days`` into ``phase`` of the round: never after the phase's end
    (the clerk's early move) nor after the present."""
    index = PHASES.index(phase)
    begun = (
        round_.created_at if index == 0 else getattr(round_, f"{PHASES[index - 1]}_ends_at") - EARLY
    )
    latest = min(getattr(round_, f"{phase}_ends_at") - 2 * EARLY, ctx.when(hours_ago=1))
    return ctx.at(min(begun + timedelta(days=days), latest))


def _first(people: dict[str, list[User]], constituency: str, index: int = 0) -> User | None:
    group = people.get(constituency) or next(iter(people.values()), [])
    return group[index % len(group)] if group else None


def _vote(ctx, motion_id: int, people, yes_share: dict[str, float], turnout: float = 0.7) -> int:
    """Ballots on the motion of an agenda item: those who turn out vote yes as their
    constituency's ``yes_share`` says, else no, a few abstain; returns how many."""
    motion = votes.get_motion(motion_id)
    rng = ctx.rng
    cast = 0
    for constituency, group in people.items():
        for user in group:
            if rng.random() > turnout:
                continue
            roll = rng.random()
            choice = (
                "abstain"
                if roll > 0.96
                else "yes"
                if roll < yes_share.get(constituency, 0.5) * 0.96
                else "no"
            )
            cast_ballot(user, motion, choice=choice)
            cast += 1
    return cast


# ---------------------------------------------------------------- the rounds


def _closed(ctx) -> Round | None:
    """Briefing to closed over six weeks, ended a week ago."""
    slug = "health-manchester"
    content = text.CLOSED
    subjects = _titled(ctx, slug, content["subjects"]) or _open_proposals(ctx, slug)
    round_ = _start(
        ctx, "clerk", slug, content, [("proposal", p.id) for p in subjects], "closed", days_ago=8
    )
    if round_ is None:
        return None
    clerk = ctx.people["clerk"]
    people = _members(ctx, slug)
    with _during(ctx, round_, "briefing", 0.2):
        add_attachment(
            clerk,
            round_,
            filename="winter-urgent-care-briefing.pdf",
            data=briefing_pdf(
                "Urgent and crisis care briefing",
                [
                    "Salford's crisis cafe: results of its first year",
                    "2,300 visits, 95% of shifts filled, 8% fewer A&E attendances in crisis",
                    "Cost: 1.2m a year for two cafes open until 10pm; 14 support workers",
                    "Handover delays over 60 minutes: 1,420 last winter",
                ],
            ),
        )
        add_attachment(
            clerk,
            round_,
            filename="handover-delays-by-month.png",
            data=bar_chart_png([120, 180, 260, 410, 330, 120]),
        )
    items = sorted(round_.items, key=lambda i: i.position)
    for n, (constituency, question, item_index, answer) in enumerate(content["questions"]):
        asker = _first(people, constituency, n)
        with _during(ctx, round_, "briefing", 1 + n):
            q = ask_question(asker, round_, body=question, item_id=items[item_index].id)
        with _during(ctx, round_, "briefing", 1.8 + n):
            answer_question(clerk, round_, q, answer=answer)
    _advance(ctx, "clerk", round_, "discussion")
    for n, (index, constituency, stance, body) in enumerate(content["comments"]):
        with _during(ctx, round_, "discussion", 1 + 1.5 * n):
            discussion.add_comment(
                _first(people, constituency, n + 1), subjects[index], body=body, stance=stance
            )
    _advance(ctx, "clerk", round_, "refinement")
    index, constituency, extra, reason, response = content["amendment"]
    proposal = proposals.get_proposal(subjects[index].id)
    with _during(ctx, round_, "refinement", 1):
        amendment = amendments.propose_amendment(
            _first(people, constituency, 3), proposal, body=proposal.body + extra, reason=reason
        )
    with _during(ctx, round_, "refinement", 3):
        amendments.resolve_amendment(
            db.session.get(User, proposal.author_id), amendment, accept=True, reason=response
        )
    _advance(ctx, "clerk", round_, "voting")
    db.session.refresh(round_)
    items = sorted(round_.items, key=lambda i: i.position)
    # The first passes with the service leaders against; the second falls short.
    motions = [item.motion_id for item in items]
    with _during(ctx, round_, "voting", 2), ctx.casting(*motions):
        ballots = _vote(
            ctx,
            items[0].motion_id,
            people,
            {"citizen": 0.85, "employee": 0.7, "leader": 0.15, "elected": 0.9, "partner": 0.8},
            turnout=0.75,
        )
        if len(items) > 1:
            ballots += _vote(
                ctx,
                items[1].motion_id,
                people,
                {"citizen": 0.45, "employee": 0.3, "leader": 0.2, "elected": 0.5, "partner": 0.7},
                turnout=0.6,
            )
    _advance(ctx, "clerk", round_, "outcome")
    adopted_reason, rejected_reason = content["reasons"]
    with _during(ctx, round_, "outcome", 2):
        for item in items:
            decision = suggested_decision(item)
            record_outcome(
                clerk,
                round_,
                item,
                decision=decision,
                reasons=(adopted_reason if decision == "adopted" else rejected_reason).format(
                    title=item.title
                ),
                minority_report=minority_prefill(item),
            )
    _advance(ctx, "clerk", round_, "closed")
    db.session.refresh(round_)
    minutes = build(round_, round_.closed_at)
    minutes.update(version=1, published_at=round_.closed_at.isoformat(timespec="seconds") + "Z")
    round_.minutes = minutes
    db.session.commit()
    ctx.summary["ballots"] = ctx.summary.get("ballots", 0) + ballots
    return round_


def _briefing(ctx) -> Round | None:
    """Two days into its briefing, answering the petition the council must answer."""
    slug = "health-manchester"
    if slug not in ctx.councils:
        return None
    waiting = must_answer(ctx.councils[slug])
    if not waiting:
        return None
    content = text.BRIEFING
    round_ = _start(
        ctx, "clerk", slug, content, [("petition", waiting[0].id)], "briefing", days_ago=2
    )
    people = _members(ctx, slug)
    for n, (constituency, question, answer) in enumerate(content["questions"]):
        with _during(ctx, round_, "briefing", 0.3 + 0.4 * n):
            q = ask_question(_first(people, constituency, n + 5), round_, body=question)
        if answer:
            with _during(ctx, round_, "briefing", 0.5 + 0.4 * n):
                answer_question(ctx.people["clerk"], round_, q, answer=answer)
    return round_


def _voting(ctx) -> Round | None:
    """Voting since two days ago; the demo people have not voted yet."""
    made = _on_open_proposals(ctx, "clerk", "forum-manchester", text.VOTING, "voting", days_ago=2)
    if made is None:
        return None
    round_, subjects, people = made
    _advance(ctx, "clerk", round_, "voting")
    db.session.refresh(round_)
    demo = {ctx.people[k].id for k in ("citizen", "employee", "leader", "elected")}
    voters = {c: [u for u in g if u.id not in demo] for c, g in people.items()}
    ballots = 0
    with _during(ctx, round_, "voting", 1):
        for item in round_.items:
            ballots += _vote(
                ctx,
                item.motion_id,
                voters,
                {"citizen": 0.7, "employee": 0.6, "leader": 0.5},
                turnout=0.4,
            )
    ctx.summary["ballots"] = ctx.summary.get("ballots", 0) + ballots
    return round_


def _refinement(ctx) -> Round | None:
    """Refinement since two days ago: one amendment accepted, one waiting for its author."""
    made = _on_open_proposals(
        ctx, "regional_clerk", "health-north-west", text.REFINEMENT, "refinement", days_ago=2
    )
    if made is None:
        return None
    round_, subjects, people = made
    _advance(ctx, "regional_clerk", round_, "refinement")
    for n, (index, extra, reason, response) in enumerate(text.REFINEMENT["amendments"]):
        if index >= len(subjects):
            continue
        proposal = proposals.get_proposal(subjects[index].id)
        with _during(ctx, round_, "refinement", 0.3 + 0.5 * n):
            amendment = amendments.propose_amendment(
                _first(people, "citizen", n + 2),
                proposal,
                body=proposal.body + extra,
                reason=reason,
            )
        if response:
            with _during(ctx, round_, "refinement", 0.6 + 0.5 * n):
                amendments.resolve_amendment(
                    db.session.get(User, proposal.author_id),
                    amendment,
                    accept=True,
                    reason=response,
                )
    return round_


def _discussion(ctx) -> Round | None:
    """Discussion since three days ago, comments in every stance."""
    made = _on_open_proposals(
        ctx, "national_clerk", "health-england", text.DISCUSSION, "discussion", days_ago=3
    )
    if made is None:
        return None
    round_, subjects, people = made
    _advance(ctx, "national_clerk", round_, "discussion")
    constituencies = list(people)
    for n, (index, stance, body) in enumerate(text.DISCUSSION["comments"]):
        if index < len(subjects):
            author = _first(people, constituencies[n % len(constituencies)], n + 7)
            with _during(ctx, round_, "discussion", 0.2 + 0.3 * n):
                discussion.add_comment(author, subjects[index], body=body, stance=stance)
    return round_


def _outcome(ctx) -> Round | None:
    """In its outcome phase since two days ago: one decision recorded, one awaited."""
    made = _on_open_proposals(
        ctx, "leeds_clerk", "health-leeds", text.OUTCOME, "outcome", days_ago=2
    )
    if made is None:
        return None
    round_, _subjects, people = made
    _advance(ctx, "leeds_clerk", round_, "voting")
    db.session.refresh(round_)
    motions = [item.motion_id for item in round_.items]
    with _during(ctx, round_, "voting", 2), ctx.casting(*motions):
        for item in round_.items:
            _vote(
                ctx,
                item.motion_id,
                people,
                {"citizen": 0.8, "employee": 0.75, "leader": 0.7, "elected": 0.8, "partner": 0.8},
                turnout=0.8,
            )
    _advance(ctx, "leeds_clerk", round_, "outcome")
    first = sorted(round_.items, key=lambda i: i.position)[0]
    decision = suggested_decision(first)
    with _during(ctx, round_, "outcome", 1):
        record_outcome(
            ctx.people["leeds_clerk"],
            round_,
            first,
            decision=decision,
            reasons=text.OUTCOME["reason" if decision == "adopted" else "rejected"].format(
                title=first.title
            ),
            minority_report=minority_prefill(first),
        )
    return round_
