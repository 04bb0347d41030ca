"""A member's part of the agenda: votes to cast, rounds to take part in, their petitions,
replies and amendments waiting for them. One grouped query per section."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import aliased

from participate.core.petitions import FINAL_STATUSES
from participate.councils.models import Council
from participate.extensions import db
from participate.home.model import Item, Scope
from participate.home.wording import quoted, until, waited
from participate.petitions import shown_counts
from participate.petitions.models import (
    SIGNABLE,
    Petition,
    PetitionCounter,
    PetitionSponsor,
    Signature,
)
from participate.proposals.models import Amendment, Comment, Proposal
from participate.rounds.lifecycle import effective_phase
from participate.rounds.models import PHASE_LABELS, Round
from participate.votes.models import Motion, MotionEligibility, MotionParticipation

# Replies and finished petitions stay on the agenda this long.
RECENT = timedelta(days=14)
FINISHED = timedelta(days=30)

# section key -> (count, items) or (count, items, address of the full list)
Found = dict[str, tuple[int, list[Item]] | tuple[int, list[Item], str]]


def url(endpoint: str, **values) -> str:
    """The page's path (a path, also outside a request: the API makes it absolute)."""
    return url_for(endpoint, _external=False, **values)


def open_rounds(scope: Scope) -> list[Round]:
    """The rounds not closed of every council the person is an active member of (one query;
    clerks are members of the councils they clerk, so the clerk's part uses it too)."""
    if not scope.member_of:
        return []
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.council_id.in_(scope.member_of), Round.phase != "closed")
            .order_by(Round.id)
        )
    )


def sections(scope: Scope, now: datetime, rounds: list[Round]) -> Found:
    found: Found = {}
    votes = _votes(scope, now)
    found["votes"] = (len(votes), [item for item, _round in votes])
    voting_rounds = {round_id for _item, round_id in votes if round_id}
    taking_part = _rounds(scope, now, rounds, voting_rounds)
    found["rounds"] = (len(taking_part), taking_part)
    replies = _replies(scope, now) + _amendments(scope, now)
    found["replies"] = (len(replies), replies)
    petitions = _petitions(scope, now)
    found["petitions"] = (len(petitions), petitions)
    return found


# ---------------------------------------------------------------- votes


def _votes(scope: Scope, now: datetime) -> list[tuple[Item, int | None]]:
    """Open motions of the person's councils where they are in the eligibility snapshot and
    have not voted (who voted is public; what they chose is never read)."""
    if not scope.member_of:
        return []
    uid = scope.user_id
    rows = db.session.execute(
        sa.select(Motion.id, Motion.title, Motion.closes_at, Motion.council_id, Motion.origin)
        .join(
            MotionEligibility,
            sa.and_(MotionEligibility.motion_id == Motion.id, MotionEligibility.user_id == uid),
        )
        .where(
            Motion.status == "open",
            Motion.council_id.in_(scope.member_of),  # active: not suspended, not left
            sa.or_(Motion.closes_at.is_(None), Motion.closes_at > now),
            ~sa.exists().where(
                MotionParticipation.motion_id == Motion.id, MotionParticipation.user_id == uid
            ),
        )
        .order_by(Motion.closes_at.is_(None), Motion.closes_at, Motion.id)
    ).all()
    found = []
    for row in rows:
        kind, _, ref = (row.origin or "").partition(":")
        found.append(
            (
                Item(
                    text=f"Vote on {quoted(row.title)}."
                    if quoted(row.title) != row.title
                    else f"Vote on the motion: {row.title}.",
                    url=url("votes.motion_detail", motion_id=row.id),
                    council=scope.name(row.council_id),
                    due_at=row.closes_at,
                    when=f"closes {until(row.closes_at, now)}" if row.closes_at else "",
                ),
                int(ref) if kind == "round" and ref.isdigit() else None,
            )
        )
    return found


# ---------------------------------------------------------------- rounds

_DOING = {
    "briefing": "Read the evidence for {title} and ask the clerk your questions.",
    "discussion": "Discussion is open in {title}: comment on its agenda items.",
    "refinement": "Propose amendments to the agenda items of {title}.",
    "voting": "Voting opens in {title}: vote on each agenda item.",
}


def _rounds(scope: Scope, now: datetime, rounds: list[Round], voting: set[int]) -> list[Item]:
    """Rounds in a phase where members act (core.phases: briefing questions, discussion
    comments, refinement amendments, voting ballots), soonest phase end first. A round whose
    motions are already open shows as its votes instead; a round the person clerks shows in
    the clerk's part (its deadlines), not as one to take part in."""
    found = []
    for round_ in rounds:
        if round_.council_id in scope.clerk_of:
            continue
        phase = effective_phase(round_, now)
        if phase not in _DOING or (phase == "voting" and round_.phase == "voting"):
            continue
        if round_.id in voting:
            continue
        end = round_.planned_end(phase)
        found.append(
            Item(
                text=_DOING[phase].format(title=quoted(round_.title)),
                url=url("rounds.round_page", round_id=round_.id),
                council=scope.name(round_.council_id),
                due_at=end,
                when=f"{PHASE_LABELS[phase].lower()} ends {until(end, now)}" if end else "",
            )
        )
    return sorted(found, key=lambda i: (i.due_at is None, i.due_at or now))


# ---------------------------------------------------------------- replies and amendments


def _replies(scope: Scope, now: datetime) -> list[Item]:
    """Comments of the last two weeks by others on the person's proposals (top level) or in
    reply to their comments, grouped by proposal, newest first."""
    uid = scope.user_id
    parent = aliased(Comment)
    own = Proposal.author_id == uid
    rows = db.session.execute(
        sa.select(
            Comment.proposal_id,
            Proposal.title,
            Proposal.council_id,
            own.label("own"),
            sa.func.count().label("n"),
            sa.func.max(Comment.id).label("latest_id"),
            sa.func.max(Comment.created_at).label("latest_at"),
        )
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .outerjoin(parent, parent.id == Comment.parent_id)
        .where(
            Comment.author_id != uid,
            Comment.hidden_at.is_(None),
            Comment.created_at >= now - RECENT,
            Proposal.hidden_at.is_(None),
            sa.or_(sa.and_(Comment.parent_id.is_(None), own), parent.author_id == uid),
        )
        .group_by(Comment.proposal_id, Proposal.title, Proposal.council_id, own)
        .order_by(sa.func.max(Comment.created_at).desc())
    ).all()
    found = []
    for row in rows:
        replies = f"{row.n} repl{'y' if row.n == 1 else 'ies'}"
        to = "your proposal" if row.own else f"your comment{'' if row.n == 1 else 's'} on"
        found.append(
            Item(
                text=f"{replies} to {to} {quoted(row.title)}.",
                url=url("proposals.proposal_page", proposal_id=row.proposal_id)
                + f"#comment-{row.latest_id}",
                council=scope.name(row.council_id) or _council_name(row.council_id),
                due_at=row.latest_at,
                when=f"latest {until(row.latest_at, now)}",
            )
        )
    return found


def _amendments(scope: Scope, now: datetime) -> list[Item]:
    """Amendments to the person's proposals waiting for them to accept or decline."""
    rows = db.session.execute(
        sa.select(
            Amendment.proposal_id,
            Proposal.title,
            Proposal.council_id,
            sa.func.count().label("n"),
            sa.func.min(Amendment.created_at).label("first_at"),
        )
        .join(Proposal, Proposal.id == Amendment.proposal_id)
        .where(Proposal.author_id == scope.user_id, Amendment.status == "pending")
        .group_by(Amendment.proposal_id, Proposal.title, Proposal.council_id)
        .order_by(sa.func.min(Amendment.created_at))
    ).all()
    return [
        Item(
            text=(
                f"{row.n} amendment{'' if row.n == 1 else 's'} to your proposal {quoted(row.title)} "
                f"wait{'s' if row.n == 1 else ''} for you to accept or decline."
            ),
            url=url("proposals.proposal_page", proposal_id=row.proposal_id) + "#amendments",
            council=scope.name(row.council_id) or _council_name(row.council_id),
            due_at=row.first_at,
            when=f"waiting {waited(row.first_at, now)}",
        )
        for row in rows
    ]


def _council_name(council_id: int) -> str:
    # A proposal of a council the person has left: rare enough for one lookup.
    council = db.session.get(Council, council_id)
    return council.name if council else ""


# ---------------------------------------------------------------- petitions

_ORDER = {
    "draft": 0,
    "collecting_sponsors": 1,
    "threshold_reached": 2,
    "open": 3,
    "in_moderation": 4,
    "closed": 5,
    "rejected": 6,
    "closed_unsuccessful": 7,
}


def _petitions(scope: Scope, now: datetime) -> list[Item]:
    """Petitions the person started or signed (validly), with their state; finished ones
    for a month after they finished."""
    uid = scope.user_id
    signed = sa.exists().where(
        Signature.petition_id == Petition.id,
        Signature.user_id == uid,
        Signature.invalidated_at.is_(None),
    )
    finished_at = sa.func.coalesce(
        Petition.responded_at, Petition.closed_at, Petition.moderated_at, Petition.signing_deadline
    )
    query = (
        sa.select(Petition)
        .where(
            sa.or_(Petition.author_id == uid, signed),
            sa.or_(Petition.status.not_in(FINAL_STATUSES), finished_at >= now - FINISHED),
        )
        .order_by(Petition.id.desc())
    )
    petitions = list(db.session.scalars(query))
    if not petitions:
        return []
    ids = [p.id for p in petitions]
    shown_counts.refresh_listed([p.id for p in petitions if p.status in SIGNABLE], now)
    counted = dict(
        db.session.execute(
            sa.select(PetitionCounter.petition_id, PetitionCounter.count).where(
                PetitionCounter.petition_id.in_(ids)
            )
        ).all()
    )
    sponsors = dict(
        db.session.execute(
            sa.select(PetitionSponsor.petition_id, sa.func.count())
            .where(PetitionSponsor.petition_id.in_(ids))
            .group_by(PetitionSponsor.petition_id)
        ).all()
    )
    petitions.sort(key=lambda p: (_ORDER.get(p.status, 9), -p.id))
    return [
        _petition_item(p, p.author_id == uid, counted.get(p.id, 0), sponsors.get(p.id, 0), now)
        for p in petitions
    ]


def _petition_item(p: Petition, mine: bool, count: int, sponsors: int, now) -> Item:
    title = f"{quoted(p.title)}"
    whose = f"Your petition {title}" if mine else f"You signed {title}:"
    signatures = f"{count:,} of {p.threshold or 0:,} signatures"
    due, when = None, ""
    if p.status == "draft":
        text = f"Your draft petition {title} is not sent yet: invite sponsors when it is ready."
    elif p.status == "collecting_sponsors":
        text = (
            f"Your petition {title} has {sponsors} of {p.sponsors_needed} sponsors: "
            "share its sponsor link."
        )
    elif p.status == "in_moderation":
        text = f"Your petition {title} is waiting for the clerk's check."
    elif p.status == "open":
        text = f"{whose} has {signatures}." if mine else f"{whose} {signatures} so far."
        due = p.signing_deadline
        when = f"signing closes {until(due, now)}" if due else ""
    elif p.status == "threshold_reached":
        text = f"{title} passed its threshold ({signatures}): the council must answer it."
        due = p.response_due_at
        when = f"answer due {until(due, now)}" if due else ""
    elif p.status == "closed":
        text = f"The council answered {title}: read its response."
        due = p.responded_at
        when = f"answered {until(due, now)}" if due else ""
    elif p.status == "rejected":
        text = f"The clerk did not publish {title}: read the reason."
        due = p.moderated_at
    else:  # closed_unsuccessful
        text = f"{title} closed without reaching its threshold ({signatures})."
        due = p.signing_deadline
    if due is not None and not when:
        when = until(due, now)
    return Item(
        text=text,
        url=url("petitions.detail", petition_id=p.id),
        council=p.council.name,
        due_at=due,
        when=when,
    )
