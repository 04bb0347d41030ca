"""The answerer's part of the agenda (a minister's, or a clerk's of a council with an upward
inbox): clusters of forwarded proposals waiting for an answer, longest first, and the
consultations the council published that close soon or closed and wait for a decision."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.extensions import db
from participate.home.member import Found, url
from participate.home.model import Item, Scope
from participate.home.wording import quoted, until, waited
from participate.upward.models import Cluster, Consultation

# How many waiting clusters the agenda names (it counts them all).
SHOWN = 5
CLOSING = timedelta(days=14)
DECIDED_WITHIN = timedelta(days=30)


def sections(scope: Scope, now: datetime) -> Found:
    found: Found = {}
    found["inbox"] = _inbox(scope, now)
    consultations = _consultations(scope, now)
    found["consultations"] = (len(consultations), consultations)
    return found


def _waiting():
    return sa.and_(Cluster.merged_into_id.is_(None), Cluster.unanswered > 0, Cluster.size > 0)


def _inbox(scope: Scope, now: datetime) -> tuple[int, list[Item], str]:
    per_council = dict(
        db.session.execute(
            sa.select(Cluster.council_id, sa.func.count())
            .where(Cluster.council_id.in_(scope.clerk_of), _waiting())
            .group_by(Cluster.council_id)
        ).all()
    )
    total = sum(per_council.values())
    if not total:
        return 0, [], ""
    rows = db.session.execute(
        sa.select(
            Cluster.id,
            Cluster.title,
            Cluster.council_id,
            Cluster.unanswered,
            Cluster.councils,
            Cluster.unanswered_since,
        )
        .where(Cluster.council_id.in_(per_council), _waiting())
        .order_by(Cluster.unanswered_since.is_(None), Cluster.unanswered_since, Cluster.id)
        .limit(SHOWN)
    ).all()
    items = []
    for row in rows:
        proposals = f"{row.unanswered} proposal{'' if row.unanswered == 1 else 's'}"
        places = f"{row.councils} council{'' if row.councils == 1 else 's'}"
        verb = "waits" if row.unanswered == 1 else "wait"
        items.append(
            Item(
                text=f"{quoted(row.title)}: {proposals} from {places} {verb} for an answer.",
                url=url("upward.cluster_page", slug=scope.slug(row.council_id), cluster_id=row.id),
                council=scope.name(row.council_id),
                due_at=row.unanswered_since,
                when=f"waiting {waited(row.unanswered_since, now)}" if row.unanswered_since else "",
            )
        )
    more = ""
    if total > len(items):  # the rest are on the inbox page, longest waiting first
        council_id = max(per_council, key=lambda c: per_council[c])
        more = url("upward.inbox", slug=scope.slug(council_id), sort="waiting", status="unanswered")
    return total, items, more


def _consultations(scope: Scope, now: datetime) -> list[Item]:
    """Published by the person's councils: open and closing within two weeks, or closed in
    the last month and not adopted (the minister reads the positions and decides)."""
    rows = db.session.execute(
        sa.select(
            Consultation.id,
            Consultation.title,
            Consultation.council_id,
            Consultation.closes_at,
            Consultation.cascade_count,
            Consultation.positions_count,
        )
        .where(
            Consultation.council_id.in_(scope.clerk_of),
            Consultation.adopted_at.is_(None),
            Consultation.closes_at <= now + CLOSING,
            Consultation.closes_at >= now - DECIDED_WITHIN,
        )
        .order_by(Consultation.closes_at, Consultation.id)
    ).all()
    items = []
    for row in rows:
        given = f"{row.positions_count} of {row.cascade_count} councils have given their position"
        if row.closes_at > now:
            text = f"{quoted(row.title)} closes soon: {given}."
            when = f"closes {until(row.closes_at, now)}"
        else:
            text = f"{quoted(row.title)} has closed ({given}): read the positions, then decide on adoption."
            when = f"closed {until(row.closes_at, now)}"
        items.append(
            Item(
                text=text,
                url=url("upward.consultation_page", consultation_id=row.id),
                council=scope.name(row.council_id),
                due_at=row.closes_at,
                when=when,
            )
        )
    return items
