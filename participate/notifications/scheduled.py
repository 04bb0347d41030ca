"""Scheduled notification work: the daily digest and the reminders (issue 16).

The job engine calls ``send_due_digests(now)`` and ``send_due_reminders(now)`` on its
schedule; both are idempotent. Each claims its rows in the database before it mails, in the
same transaction as the mail: a digest by the unique (person, day) of
``notification_digests``, a reminder by the unique (person, kind, object) of
``notification_reminders``. A re-run, a retry or a second worker finds the claim and sends
nothing twice; a run that fails rolls its claim back with its mail.

This module sits above the features it reads (votes, rounds, petitions, upward), like the
home agenda; nothing below imports it (participate.notifications.services, which every
feature uses, does not).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from participate.accounts.models import User
from participate.councils.models import Council, Membership
from participate.extensions import db
from participate.notifications import kinds as K
from participate.notifications import mailing, preferences
from participate.notifications.models import DigestSent, Notification, ReminderSent
from participate.notifications.services import notify
from participate.petitions.models import Petition
from participate.proposals.models import Hiding, Proposal
from participate.rounds.models import Round
from participate.upward.models import Consultation, ConsultationCouncil, Position
from participate.votes.models import Motion, MotionEligibility, MotionParticipation

# A digest carries what was not mailed yet from this far back (a missed day is caught up;
# older things stay on the site only).
DIGEST_LOOKBACK = timedelta(days=7)
VOTE_REMINDER = timedelta(hours=24)
PETITION_REMINDER = timedelta(days=7)
CONSULTATION_REMINDER = timedelta(hours=24)
PEOPLE_CHUNK = 200
ELSEWHERE = "Across the platform"

# --------------------------------------------------------------------------- digests


def send_due_digests(now: datetime) -> int:
    """Send each person who keeps e-mail on one mail with their digest-kind notifications
    not mailed yet (from the last 7 days up to ``now``), grouped by council and kind, at
    most once per person per day (``now``'s UTC date). Returns how many mails were sent.

    The schedule sets the hour: run it once a day (e.g. 07:00 UTC); running it more often
    is harmless (the first run of a day sends, later ones find the day's claim). It ends
    the session's transaction and commits once per person."""
    since = now - DIGEST_LOOKBACK
    day = now.date()
    people = list(
        db.session.scalars(
            sa.select(Notification.user_id)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.mailed_at.is_(None),
                Notification.created_at > since,
                Notification.created_at <= now,
                User.email_notifications.is_(True),
                ~sa.exists().where(
                    DigestSent.user_id == Notification.user_id, DigestSent.day == day
                ),
            )
            .distinct()
            .order_by(Notification.user_id)
        )
    )
    db.session.rollback()  # end the read: each person's digest is its own transaction
    sent = 0
    for start in range(0, len(people), PEOPLE_CHUNK):
        sent += _digest_chunk(people[start : start + PEOPLE_CHUNK], since, now)
    return sent


def _digest_chunk(user_ids: list[int], since: datetime, now: datetime) -> int:
    chosen = preferences.deliveries_for(user_ids)
    rows = db.session.execute(
        sa.select(
            Notification.id,
            Notification.user_id,
            Notification.kind,
            Notification.text,
            Notification.link,
        )
        .where(
            Notification.user_id.in_(user_ids),
            Notification.mailed_at.is_(None),
            Notification.created_at > since,
            Notification.created_at <= now,
        )
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    mine: dict[int, list] = defaultdict(list)
    for row in rows:
        delivery = chosen[row.user_id].get(row.kind, K.default_for(row.kind))
        if delivery == K.DIGEST:
            mine[row.user_id].append(row)
    councils = _councils_of_links({row.link for items in mine.values() for row in items})
    addresses = dict(
        db.session.execute(
            sa.select(User.id, User.email).where(
                User.id.in_(list(mine)), User.email_notifications.is_(True)
            )
        ).all()
    )
    db.session.rollback()
    sent = 0
    for user_id, items in mine.items():
        if user_id in addresses and _send_digest(user_id, addresses[user_id], items, councils, now):
            sent += 1
    return sent


def _send_digest(user_id: int, address: str, items: list, councils: dict, now: datetime) -> bool:
    """Claim (person, day), mail, mark the notifications mailed: one transaction."""
    db.session.add(DigestSent(user_id=user_id, day=now.date(), items=len(items), sent_at=now))
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # another run sent today's digest: nothing more
        return False
    mailing.send(
        user_id,
        address,
        _digest_subject(items, now),
        digest_body(items, councils),
        K.DIGEST_SCOPE,
    )
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_([row.id for row in items]), Notification.mailed_at.is_(None))
        .values(mailed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def _digest_subject(items: list, now: datetime) -> str:
    count = f"{len(items)} update" + ("" if len(items) == 1 else "s")
    return f"Your daily digest for {now:%-d %B %Y}: {count}"


def digest_body(items: Iterable, councils: dict[str, str]) -> str:
    """The digest's text: a heading per council (alphabetical, the platform-wide last), a
    line per kind under it, then each notification as a sentence with its page."""
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in items:
        grouped[councils.get(row.link, ELSEWHERE)][row.kind].append(row)
    base = mailing.base_url()
    order = sorted(grouped, key=lambda name: (name == ELSEWHERE, name))
    parts = ["Here is what happened since your last digest."]
    for council in order:
        parts.append(f"In {council}:" if council != ELSEWHERE else f"{ELSEWHERE}:")
        for kind in sorted(grouped[council], key=_kind_order):
            rows = grouped[council][kind]
            known = K.KINDS.get(kind)
            title = known.label if known else kind.replace("_", " ")
            lines = [f"When {title} ({len(rows)}):"]
            for row in rows:
                lines.append(f"- {mailing.sentence(row.text)}")
                if row.link:
                    lines.append(f"  {base}{row.link}")
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _kind_order(kind: str) -> tuple[int, str]:
    keys = list(K.KINDS)
    return (keys.index(kind) if kind in keys else len(keys), kind)


_LINK = re.compile(
    r"^/(councils|proposals|rounds|motions|petitions|consultations|hidings)/([^/#?]+)"
)
_OWNED = {
    "proposals": Proposal,
    "rounds": Round,
    "motions": Motion,
    "petitions": Petition,
    "consultations": Consultation,
}


def _councils_of_links(links: Iterable[str]) -> dict[str, str]:
    """The name of the council each page belongs to (a statement per kind of page)."""
    wanted: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for link in links:
        match = _LINK.match(link or "")
        if match:
            wanted[match.group(1)][match.group(2)].append(link)
    found: dict[str, str] = {}

    def name_by(column, keys: dict[str, list[str]], where) -> None:
        for key, name in db.session.execute(sa.select(column, Council.name).where(where)):
            for link in keys.get(str(key), []):
                found[link] = name

    if "councils" in wanted:
        keys = wanted["councils"]
        name_by(Council.slug, keys, Council.slug.in_(list(keys)))
    for prefix, model in _OWNED.items():
        keys = {k: v for k, v in wanted.get(prefix, {}).items() if k.isdigit()}
        if keys:
            name_by(
                model.id,
                keys,
                sa.and_(model.id.in_([int(k) for k in keys]), Council.id == model.council_id),
            )
    keys = {k: v for k, v in wanted.get("hidings", {}).items() if k.isdigit()}
    if keys:
        for key, name in db.session.execute(
            sa.select(Hiding.id, Council.name)
            .join(Proposal, Proposal.id == Hiding.proposal_id)
            .join(Council, Council.id == Proposal.council_id)
            .where(Hiding.id.in_([int(k) for k in keys]))
        ):
            for link in keys.get(str(key), []):
                found[link] = name
    return found


# --------------------------------------------------------------------------- reminders


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
