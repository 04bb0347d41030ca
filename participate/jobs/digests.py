"""The daily digest of notifications not mailed yet (issue 16); the reminders are in
`participate.jobs.reminders`.

The job engine calls ``send_due_digests(now)`` on its schedule; it is idempotent. It claims
its rows in the database before it mails, in the same transaction as the mail: a digest by
the unique (person, day) of ``notification_digests``. A re-run, a retry or a second worker
finds the claim and sends nothing twice; a run that fails rolls its claim back with its mail.

It reads the tables of the features whose links a digest groups by council (proposals,
votes, petitions, rounds, upward), so it lives with the jobs, above every feature;
participate.notifications stays below them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import Council
from participate.extensions import db
from participate.mail import base_url
from participate.notifications import kinds as K
from participate.notifications import mailing, preferences
from participate.notifications.models import DigestSent, Notification
from participate.petitions.models import Petition
from participate.proposals.models import Hiding, Proposal
from participate.rounds.models import Round
from participate.upward.models import Consultation
from participate.votes.models import Motion

# A digest carries what was not mailed yet from this far back (a missed day is caught up;
# older things stay on the site only).
DIGEST_LOOKBACK = timedelta(days=7)
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
    base = base_url()
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
