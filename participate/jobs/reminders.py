"""The reminders (issue 16): a vote closing within a day that a member has not voted on, a
petition whose answer is due, a consultation closing that a council has not answered.

The job engine calls ``send_due_reminders(now)`` on its schedule; it is idempotent. Each
reminder is claimed by the unique (person, kind, object) of ``notification_reminders`` in
the same transaction as its mail, so a re-run, a retry or a second worker sends nothing
twice. It reads votes, rounds, petitions and upward tables, so it lives with the jobs, above
every feature.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from participate.councils.models import Council, Membership
from participate.extensions import db
from participate.notifications.models import ReminderSent
from participate.notifications.services import notify
from participate.petitions.models import Petition
from participate.rounds.models import Round
from participate.upward.models import Consultation, ConsultationCouncil, Position
from participate.votes.models import Motion, MotionEligibility, MotionParticipation

VOTE_REMINDER = timedelta(hours=24)
PETITION_REMINDER = timedelta(days=7)
CONSULTATION_REMINDER = timedelta(hours=24)


def send_due_reminders(now: datetime) -> int:
    """Give the reminders that are due, each once per person per object: voting closes in
    24 hours (members in the motion's eligibility snapshot who have not voted), a petition
    must be answered within 7 days (the council's clerks), a national consultation closes
    tomorrow (members of the consulted councils that have not given their position).
    Each is an in-app notification, e-mailed as the person chose. Returns how many."""
    given = 0
    for kind, subject, people, text, link in (
        *_vote_reminders(now),
        *_petition_reminders(now),
        *_consultation_reminders(now),
    ):
        given += _remind(kind, subject, people, text, link, now)
    return given


def _remind(kind: str, subject: str, people: list[int], text: str, link: str, now) -> int:
    """Claim (person, kind, subject) for each person not yet reminded, and tell exactly the
    people this run claimed: one transaction per object."""
    if not people:
        return 0
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    claimed = list(
        db.session.scalars(
            dialect.insert(ReminderSent)
            .values(
                [
                    {"user_id": uid, "kind": kind, "subject": subject, "sent_at": now}
                    for uid in sorted(set(people))
                ]
            )
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "subject"])
            .returning(ReminderSent.user_id)
        )
    )
    if claimed:
        notify(claimed, kind, text, link, email=True)
    db.session.commit()
    return len(claimed)


def _when(moment: datetime) -> str:
    return f"{moment:%-d %B %Y} at {moment:%H:%M} UTC"


def _vote_reminders(now: datetime) -> list[tuple]:
    """Open motions whose voting closes within 24 hours: a round's motions are one reminder
    (the round), a standalone motion its own. The close is the motion's, or for a round's
    motion opened without one, the round's planned end of voting."""
    motions = db.session.execute(
        sa.select(Motion.id, Motion.title, Motion.council_id, Motion.origin, Motion.closes_at)
        .where(Motion.status == "open")
        .order_by(Motion.id)
    ).all()
    round_ids = {
        int(m.origin.split(":", 1)[1])
        for m in motions
        if m.origin.startswith("round:") and m.origin.split(":", 1)[1].isdigit()
    }
    rounds = {
        r.id: r for r in db.session.scalars(sa.select(Round).where(Round.id.in_(sorted(round_ids))))
    }
    due: dict[int, tuple[datetime, Round | None]] = {}
    for m in motions:
        kind, _, ref = m.origin.partition(":")
        round_ = rounds.get(int(ref)) if kind == "round" and ref.isdigit() else None
        close = m.closes_at or (round_.voting_ends_at if round_ is not None else None)
        if close is not None and now < close <= now + VOTE_REMINDER:
            due[m.id] = (close, round_)
    if not due:
        return []
    waiting: dict[int, list[int]] = defaultdict(list)  # motion -> eligible non-voters
    for motion_id, user_id in db.session.execute(
        sa.select(MotionEligibility.motion_id, MotionEligibility.user_id)
        .join(Motion, Motion.id == MotionEligibility.motion_id)
        .join(
            Membership,
            sa.and_(
                Membership.user_id == MotionEligibility.user_id,
                Membership.council_id == Motion.council_id,
                Membership.status == "active",
            ),
        )
        .where(
            MotionEligibility.motion_id.in_(sorted(due)),
            ~sa.exists().where(
                MotionParticipation.motion_id == MotionEligibility.motion_id,
                MotionParticipation.user_id == MotionEligibility.user_id,
            ),
        )
    ):
        waiting[motion_id].append(user_id)
    names = _council_names({m.council_id for m in motions if m.id in due})
    found = []
    by_round: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for m in motions:
        if m.id not in due:
            continue
        close, round_ = due[m.id]
        if round_ is not None:
            for uid in waiting[m.id]:
                by_round[round_.id][uid] += 1
            continue
        found.append(
            (
                "reminder_vote",
                f"motion:{m.id}",
                waiting[m.id],
                f"Voting on “{m.title}” in {names[m.council_id]} closes within 24 hours, "
                f"on {_when(close)}, and you have not voted yet.",
                f"/motions/{m.id}",
            )
        )
    for round_id, counts in sorted(by_round.items()):
        round_ = rounds[round_id]
        close = round_.voting_ends_at
        for n in sorted(set(counts.values())):
            items = "one item" if n == 1 else f"{n} items"
            found.append(
                (
                    "reminder_vote",
                    f"round:{round_id}",
                    [uid for uid, c in counts.items() if c == n],
                    f"Voting in the round “{round_.title}” in {names[round_.council_id]} closes "
                    f"within 24 hours, on {_when(close)}; you have not voted on {items} yet.",
                    f"/rounds/{round_id}",
                )
            )
    return found


def _petition_reminders(now: datetime) -> list[tuple]:
    """Petitions past their threshold, not answered, whose answer is due within 7 days: to
    the clerks of the council that must answer."""
    petitions = list(
        db.session.scalars(
            sa.select(Petition)
            .where(
                Petition.status == "threshold_reached",
                Petition.responded_at.is_(None),
                Petition.response_due_at > now,
                Petition.response_due_at <= now + PETITION_REMINDER,
            )
            .order_by(Petition.id)
        )
    )
    clerks: dict[int, list[int]] = defaultdict(list)
    for council_id, user_id in db.session.execute(
        sa.select(Membership.council_id, Membership.user_id).where(
            Membership.council_id.in_({p.council_id for p in petitions}),
            Membership.status == "active",
            Membership.role == "clerk",
        )
    ):
        clerks[council_id].append(user_id)
    names = _council_names({p.council_id for p in petitions})
    found = []
    for p in petitions:
        days = (p.response_due_at - now).days
        left = "less than a day" if days < 1 else ("1 day" if days == 1 else f"{days} days")
        found.append(
            (
                "reminder_petition_answer",
                f"petition:{p.id}",
                clerks[p.council_id],
                f"{names[p.council_id]} must answer the petition “{p.title}” by "
                f"{_when(p.response_due_at)}: {left} left.",
                f"/petitions/{p.id}",
            )
        )
    return found


def _consultation_reminders(now: datetime) -> list[tuple]:
    """Open national consultations that close within 24 hours: to the active members of
    each consulted council that has not given its position."""
    consultations = list(
        db.session.scalars(
            sa.select(Consultation)
            .where(
                Consultation.adopted_at.is_(None),
                Consultation.closes_at > now,
                Consultation.closes_at <= now + CONSULTATION_REMINDER,
            )
            .order_by(Consultation.id)
        )
    )
    found = []
    for c in consultations:
        answered = sa.select(Position.council_id).where(Position.consultation_id == c.id)
        members: dict[int, list[int]] = defaultdict(list)
        for council_id, user_id in db.session.execute(
            sa.select(Membership.council_id, Membership.user_id)
            .join(ConsultationCouncil, ConsultationCouncil.council_id == Membership.council_id)
            .where(
                ConsultationCouncil.consultation_id == c.id,
                Membership.status == "active",
                Membership.council_id.not_in(answered),
            )
            .order_by(Membership.council_id, Membership.user_id)
        ):
            members[council_id].append(user_id)
        names = _council_names(set(members))
        seen: set[int] = set()
        for council_id in sorted(members, key=lambda cid: names[cid]):
            people = [uid for uid in members[council_id] if uid not in seen]
            seen.update(people)
            found.append(
                (
                    "reminder_consultation",
                    f"consultation:{c.id}",
                    people,
                    f"The national consultation “{c.title}” closes within 24 hours, on "
                    f"{_when(c.closes_at)}, and {names[council_id]} has not given its "
                    "position yet.",
                    f"/consultations/{c.id}",
                )
            )
    return found


def _council_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Council.id, Council.name).where(Council.id.in_(sorted(ids)))
        ).all()
    )
