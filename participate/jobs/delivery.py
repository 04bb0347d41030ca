"""Delivering queued mail: claim the rows, send each through the backend, mark it sent.

A row is sent only by the worker whose claim it carries, and marked sent under that claim.
A failed send leaves the claim to expire (the lease below), after which the periodic sweep
takes the row again; after ``MAX_ATTEMPTS`` claims the row is marked failed and left for an
operator. A worker that dies between handing a message to the mail server and marking it
sent would send it again after the lease; the message's Message-ID is fixed by its row, so
the receiving side can recognise the copy.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from participate.extensions import db
from participate.jobs.claims import claim_rows
from participate.mail import OutgoingMail, build_message, transport
from participate.util import utcnow

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BATCH = 200


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0


def deliver(ids: list[int] | None = None, *, now: datetime | None = None) -> Delivered:
    """Send the pending messages given by ``ids`` (or every pending one whose claim is free,
    in batches); returns how many were sent and how many failed this time."""
    now = now or utcnow()
    done = Delivered()
    while True:
        token, rows = claim_rows(
            OutgoingMail,
            now=now,
            lease=LEASE,
            where=(OutgoingMail.status == "pending",),
            ids=ids,
            limit=BATCH,
        )
        for row in rows:
            if _send(row, token, now):
                done.sent += 1
            else:
                done.failed += 1
        if ids is not None or len(rows) < BATCH:
            return done


def _send(row: OutgoingMail, token: str | None, now: datetime) -> bool:
    mail_id, to, subject, attempts = row.id, row.to_address, row.subject, row.attempts
    try:
        transport(build_message(row))
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.exception("mail to %s not sent: %s", to, subject)
        db.session.rollback()
        db.session.execute(
            sa.update(OutgoingMail)
            .where(OutgoingMail.id == mail_id, OutgoingMail.claim_token == token)
            .values(
                last_error=f"{type(error).__name__}: {error}"[:2000],
                status="failed" if attempts >= MAX_ATTEMPTS else "pending",
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return False
    marked = db.session.execute(
        sa.update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.claim_token == token)
        .values(status="sent", sent_at=utcnow(), claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if marked != 1:
        current_app.logger.warning(
            "mail %s to %s was sent after its claim expired; another worker may send it too",
            mail_id,
            to,
        )
    return True
