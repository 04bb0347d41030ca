"""A clerk's part of the agenda, over every council they clerk at once: join requests,
flagged posts and appeals, petitions to check and to answer, rounds whose phase ends soon,
consultations waiting for the council's position. One grouped query per section."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.councils.models import Membership
from participate.extensions import db
from participate.home.member import Found, url
from participate.home.model import Item, Scope
from participate.home.wording import quoted, until, waited
from participate.petitions.models import Petition, PetitionCounter
from participate.proposals.models import Flag, Hiding, Proposal
from participate.rounds.lifecycle import effective_phase
from participate.rounds.models import PHASE_LABELS, Round
from participate.upward.models import Consultation, ConsultationCouncil, Position

# A round's phase that ends within this shows on its clerks' agenda.
SOON = timedelta(days=3)


def sections(scope: Scope, now: datetime, rounds: list[Round]) -> Found:
    found: Found = {}
    requests = _requests(scope, now)
    found["requests"] = (sum(n for n, _ in requests), [item for _, item in requests])
    moderation = _moderation(scope, now)
    found["moderation"] = (sum(n for n, _ in moderation), [item for _, item in moderation])
    checks = _petition_checks(scope, now)
    found["petition_checks"] = (len(checks), checks)
    answers = _petition_answers(scope, now)
    found["petition_answers"] = (len(answers), answers)
    deadlines = _round_deadlines(scope, now, rounds)
    found["round_deadlines"] = (len(deadlines), deadlines)
    positions = _positions(scope, now)
    found["positions"] = (len(positions), positions)
    return found


def _people(n: int) -> str:
    return "1 person asks" if n == 1 else f"{n} people ask"


def _requests(scope: Scope, now: datetime) -> list[tuple[int, Item]]:
    rows = db.session.execute(
        sa.select(
            Membership.council_id,
            sa.func.count().label("n"),
            sa.func.min(Membership.requested_at).label("first_at"),
        )
        .where(Membership.council_id.in_(scope.clerk_of), Membership.status == "pending")
        .group_by(Membership.council_id)
        .order_by(sa.func.min(Membership.requested_at))
    ).all()
    return [
        (
            row.n,
            Item(
                text=f"{_people(row.n)} to join {scope.name(row.council_id)}: admit or refuse.",
                url=url("councils.members", slug=scope.slug(row.council_id)),
                council=scope.name(row.council_id),
                due_at=row.first_at,
                when=f"waiting {waited(row.first_at, now)}",
            ),
        )
        for row in rows
    ]


def _moderation(scope: Scope, now: datetime) -> list[tuple[int, Item]]:
    """Flagged content (counted once however many flags it has) and appeals, per council."""
    # A flagged comment by its id, a flagged proposal by minus its id: one distinct key.
    content = sa.case((Flag.comment_id.is_(None), -Flag.proposal_id), else_=Flag.comment_id)
    flags = db.session.execute(
        sa.select(
            Proposal.council_id,
            sa.func.count(sa.distinct(content)),
            sa.func.min(Flag.created_at),
        )
        .join(Proposal, Proposal.id == Flag.proposal_id)
        .where(Proposal.council_id.in_(scope.clerk_of), Flag.resolved_at.is_(None))
        .group_by(Proposal.council_id)
    ).all()
    appeals = db.session.execute(
        sa.select(Proposal.council_id, sa.func.count(), sa.func.min(Hiding.appealed_at))
        .join(Proposal, Proposal.id == Hiding.proposal_id)
        .where(
            Proposal.council_id.in_(scope.clerk_of),
            Hiding.appealed_at.is_not(None),
            Hiding.decision.is_(None),
        )
        .group_by(Proposal.council_id)
    ).all()
    by_council: dict[int, list] = defaultdict(lambda: [0, 0, None])
    for council_id, n, first in flags:
        by_council[council_id][0] = n
        by_council[council_id][2] = first
    for council_id, n, first in appeals:
        entry = by_council[council_id]
        entry[1] = n
        entry[2] = min(d for d in (entry[2], first) if d is not None)
    found = []
    for council_id, (n_flags, n_appeals, first) in sorted(
        by_council.items(), key=lambda kv: kv[1][2]
    ):
        parts = []
        if n_flags:
            parts.append(f"{n_flags} flagged post{'' if n_flags == 1 else 's'}")
        if n_appeals:
            parts.append(f"{n_appeals} appeal{'' if n_appeals == 1 else 's'} against a hiding")
        total = n_flags + n_appeals
        found.append(
            (
                total,
                Item(
                    text=f"{' and '.join(parts)} in {scope.name(council_id)} "
                    f"wait{'s' if total == 1 else ''} for your decision.",
                    url=url("proposals.moderation", slug=scope.slug(council_id)),
                    council=scope.name(council_id),
                    due_at=first,
                    when=f"waiting {waited(first, now)}",
                ),
            )
        )
    return found


def _petition_checks(scope: Scope, now: datetime) -> list[Item]:
    rows = db.session.execute(
        sa.select(Petition.id, Petition.title, Petition.council_id, Petition.submitted_at)
        .where(Petition.council_id.in_(scope.clerk_of), Petition.status == "in_moderation")
        .order_by(Petition.submitted_at, Petition.id)
    ).all()
    return [
        Item(
            text=f"Check {quoted(row.title)} against the petition standards, then publish or reject it.",
            url=url("petitions.moderation", slug=scope.slug(row.council_id)),
            council=scope.name(row.council_id),
            due_at=row.submitted_at,
            when=f"waiting {waited(row.submitted_at, now)}" if row.submitted_at else "",
        )
        for row in rows
    ]


def _petition_answers(scope: Scope, now: datetime) -> list[Item]:
    """Petitions past their threshold: the council must answer them by their deadline."""
    rows = db.session.execute(
        sa.select(
            Petition.id,
            Petition.title,
            Petition.council_id,
            Petition.response_due_at,
            PetitionCounter.count,
        )
        .outerjoin(PetitionCounter, PetitionCounter.petition_id == Petition.id)
        .where(Petition.council_id.in_(scope.clerk_of), Petition.status == "threshold_reached")
        .order_by(Petition.response_due_at, Petition.id)
    ).all()
    found = []
    for row in rows:
        due = row.response_due_at
        late = due is not None and due <= now
        signed = f"{row.count or 0:,} {'person' if row.count == 1 else 'people'} signed it"
        found.append(
            Item(
                text=f"Answer {quoted(row.title)} ({signed}): put it on a round's agenda or record "
                "the council's response.",
                url=url("petitions.must_answer", slug=scope.slug(row.council_id)),
                council=scope.name(row.council_id),
                due_at=due,
                when=(
                    f"answer was due {until(due, now)}" if late else f"answer due {until(due, now)}"
                )
                if due
                else "",
            )
        )
    return found


def _round_deadlines(scope: Scope, now: datetime, rounds: list[Round]) -> list[Item]:
    """Rounds of the clerk's councils whose phase ends within three days, and rounds in
    their outcome phase (the clerk records each decision)."""
    found = []
    for round_ in rounds:
        if round_.council_id not in scope.clerk_of:
            continue
        phase = effective_phase(round_, now)
        end = round_.planned_end(phase)
        if phase == "closed" or end is None:
            continue
        if phase != "outcome" and end - now > SOON:
            continue
        label = PHASE_LABELS[phase].lower()
        if phase == "outcome":
            text = f"Record the decision on each agenda item of {quoted(round_.title)}."
        else:
            following = PHASE_LABELS[_next(phase)].lower()
            text = (
                f"{quoted(round_.title)} moves from {label} to {following} by itself when "
                f"{label} ends; advance it sooner if everyone is ready."
            )
        found.append(
            Item(
                text=text,
                url=url("rounds.round_page", round_id=round_.id),
                council=scope.name(round_.council_id),
                due_at=end,
                when=f"{label} ends {until(end, now)}",
            )
        )
    return sorted(found, key=lambda i: i.due_at or now)


def _next(phase: str) -> str:
    order = list(PHASE_LABELS)
    return order[order.index(phase) + 1]


def _positions(scope: Scope, now: datetime) -> list[Item]:
    """Open consultations cascaded to the clerk's councils that have no position yet."""
    cascade = ConsultationCouncil
    rows = db.session.execute(
        sa.select(Consultation.id, Consultation.title, Consultation.closes_at, cascade.council_id)
        .join(cascade, cascade.consultation_id == Consultation.id)
        .where(
            cascade.council_id.in_(scope.clerk_of),
            Consultation.closes_at > now,
            ~sa.exists().where(
                Position.consultation_id == Consultation.id,
                Position.council_id == cascade.council_id,
            ),
        )
        .order_by(Consultation.closes_at, Consultation.id)
    ).all()
    return [
        Item(
            text=f"Give {scope.name(row.council_id)}'s position on the national draft "
            f"{quoted(row.title)}: support, oppose or amend.",
            url=url("upward.position", slug=scope.slug(row.council_id), consultation_id=row.id),
            council=scope.name(row.council_id),
            due_at=row.closes_at,
            when=f"closes {until(row.closes_at, now)}",
        )
        for row in rows
    ]
