"""Telling a petition's valid signers something: one notification each, written by one
INSERT ... SELECT (a petition may have hundreds of thousands of signers)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.extensions import db
from participate.notifications.models import Notification
from participate.petitions.models import (
    Signature,
)
from participate.util import utcnow


def notify_signers(
    petition_id: int, kind: str, text: str, link: str, *, exclude=(), now: datetime | None = None
) -> None:
    """One notification per valid signer, written by one INSERT ... SELECT (no N+1)."""
    select = sa.select(
        Signature.user_id,
        sa.literal(kind),
        sa.literal(text),
        sa.literal(link),
        sa.literal(now or utcnow(), sa.DateTime),
    ).where(Signature.petition_id == petition_id, Signature.invalidated_at.is_(None))
    excluded = sorted(set(exclude))
    if excluded:
        select = select.where(Signature.user_id.not_in(excluded))
    db.session.execute(
        sa.insert(Notification).from_select(
            ["user_id", "kind", "text", "link", "created_at"], select
        )
    )
