"""Who has taken part in a round, by constituency: distinct members who asked a question,
commented on or amended an agenda item (during the round), or voted on its motions.

Counts only: the votes feature records THAT a member voted, never what; nothing here shows
a name next to a ballot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from participate.councils.models import CONSTITUENCIES
from participate.extensions import db
from participate.rounds.models import AgendaItem, Question, Round

KINDS = ("asked", "commented", "amended", "voted")
KIND_LABELS = {
    "asked": "Asked a question",
    "commented": "Commented",
    "amended": "Proposed an amendment",
    "voted": "Voted",
}


@dataclass
class Participation:
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)

    @property
    def people(self) -> int:
        return sum(self.total.values())

    def as_json(self) -> dict:
        return {"by_constituency": self.total, "people": self.people, "by_kind": self.by_kind}


def _window(round_: Round) -> tuple[datetime, datetime | None]:
    return round_.created_at, round_.closed_at


def sources(round_: Round) -> dict[str, sa.Select]:
    """One SELECT (user_id, constituency) per kind of taking part."""
    from participate.proposals.models import Amendment, Comment
    from participate.votes.models import MotionEligibility, MotionParticipation

    start, end = _window(round_)
    proposal_ids = sa.select(AgendaItem.proposal_id).where(
        AgendaItem.round_id == round_.id, AgendaItem.proposal_id.is_not(None)
    )
    motion_ids = sa.select(AgendaItem.motion_id).where(
        AgendaItem.round_id == round_.id, AgendaItem.motion_id.is_not(None)
    )

    def during(column):
        return [column >= start] + ([column <= end] if end is not None else [])

    return {
        "asked": sa.select(
            Question.author_id.label("user_id"), Question.author_constituency.label("constituency")
        ).where(Question.round_id == round_.id),
        "commented": sa.select(
            Comment.author_id.label("user_id"), Comment.author_constituency.label("constituency")
        ).where(Comment.proposal_id.in_(proposal_ids), *during(Comment.created_at)),
        "amended": sa.select(
            Amendment.author_id.label("user_id"),
            Amendment.author_constituency.label("constituency"),
        ).where(Amendment.proposal_id.in_(proposal_ids), *during(Amendment.created_at)),
        "voted": sa.select(
            MotionParticipation.user_id.label("user_id"),
            MotionEligibility.constituency.label("constituency"),
        )
        .join(
            MotionEligibility,
            sa.and_(
                MotionEligibility.motion_id == MotionParticipation.motion_id,
                MotionEligibility.user_id == MotionParticipation.user_id,
            ),
        )
        .where(MotionParticipation.motion_id.in_(motion_ids)),
    }


def _count(select: sa.Select) -> dict[str, int]:
    sub = select.subquery()
    rows = db.session.execute(
        sa.select(sub.c.constituency, sa.func.count(sa.distinct(sub.c.user_id))).group_by(
            sub.c.constituency
        )
    ).all()
    counts = dict.fromkeys(CONSTITUENCIES, 0)
    counts.update({c: n for c, n in rows if c in counts})
    return counts


def participation(round_: Round) -> Participation:
    """Distinct people per constituency, for each kind and overall (5 grouped queries)."""
    selects = sources(round_)
    by_kind = {kind: _count(select) for kind, select in selects.items()}
    total = _count(sa.union(*selects.values()))
    return Participation(by_kind=by_kind, total=total)


def contributors(round_: Round, proposal_id: int) -> list[dict]:
    """Who commented on an agenda proposal during the round: name, constituency, stances."""
    from participate.accounts.models import User
    from participate.proposals.models import Comment

    start, end = _window(round_)
    where = [
        Comment.proposal_id == proposal_id,
        Comment.created_at >= start,
        Comment.hidden_at.is_(None),
    ]
    if end is not None:
        where.append(Comment.created_at <= end)
    rows = db.session.execute(
        sa.select(User.id, User.name, Comment.author_constituency, Comment.stance, sa.func.count())
        .join(User, User.id == Comment.author_id)
        .where(*where)
        .group_by(User.id, User.name, Comment.author_constituency, Comment.stance)
        .order_by(User.name)
    ).all()
    people: dict[tuple[int, str], dict] = {}
    for user_id, name, constituency, stance, n in rows:
        entry = people.setdefault(
            (user_id, constituency), {"name": name, "constituency": constituency, "stances": {}}
        )
        entry["stances"][stance] = n
    return list(people.values())
