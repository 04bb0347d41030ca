"""Recording and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa

from participate.audit.models import GENESIS, AuditEvent, AuditHead
from participate.extensions import db
from participate.util import utcnow


def _digest(prev_hash: str, seq: int, event: AuditEvent) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": event.created_at.isoformat(timespec="microseconds"),
            "actor": event.actor_id,
            "council": event.council_id,
            "action": event.action,
            "subject": [event.subject_type, event.subject_id],
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record_event(
    action: str,
    *,
    actor=None,
    council=None,
    subject=None,
    data: dict | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction (the caller commits).

    The head row is updated first: on PostgreSQL that takes its row lock, on SQLite it takes
    the database write lock, so concurrent appends queue instead of forking the chain.
    """
    session = db.session
    bumped = session.execute(
        sa.update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    )
    if bumped.rowcount == 0:
        session.add(AuditHead(id=1, seq=1, last_hash=GENESIS))
        session.flush()
    head = session.execute(
        sa.select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one()
    event = AuditEvent(
        seq=head.seq,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", actor),
        council_id=getattr(council, "id", council),
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        data=json.dumps(data or {}, sort_keys=True, default=str),
        prev_hash=head.last_hash,
    )
    event.hash = _digest(head.last_hash, head.seq, event)
    session.add(event)
    session.execute(sa.update(AuditHead).where(AuditHead.id == 1).values(last_hash=event.hash))
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str


def verify_chain(batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first event whose link or hash does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return VerifyResult(
                    False, checked, f"event seq {expected_seq} is missing (next is {event.seq})"
                )
            if event.prev_hash != prev:
                return VerifyResult(
                    False,
                    checked,
                    f"event seq {event.seq} (id {event.id}) does not link to the event before it",
                )
            if _digest(prev, event.seq, event) != event.hash:
                return VerifyResult(
                    False,
                    checked,
                    f"event seq {event.seq} (id {event.id}, {event.action}) was altered: its hash does not match its content",
                )
            prev = event.hash
            expected_seq += 1
            checked += 1
            last_id = event.id
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and head.last_hash != prev:
        return VerifyResult(
            False,
            checked,
            "the chain's head does not match its last event (events were removed from the end)",
        )
    del last_id
    return VerifyResult(True, checked, f"audit chain intact: {checked} events")


def events_query(council_id: int | None = None):
    query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc())
    if council_id is not None:
        query = query.where(AuditEvent.council_id == council_id)
    return query
