"""Sponsoring a draft: the author sends out the private sponsor link (`invite_sponsors`),
people sponsor through it (`sponsor_petition`), and the last sponsor needed sends the
petition to the clerks' moderation queue (DESIGN.md §4).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.services import (
    clerks_of,
    settings_of,
)
from participate.errors import Conflict, NotFound
from participate.extensions import db
from participate.notifications.services import notify
from participate.petitions.drafting import require_account
from participate.petitions.models import (
    Petition,
    PetitionSponsor,
    move_status,
)
from participate.petitions.reading import is_sponsor, sponsor_count
from participate.util import utcnow


def invite_sponsors(author, petition: Petition) -> Petition:
    """draft -> collecting_sponsors: a private, unguessable sponsor link is made.

    A council that needs no sponsors sends the petition straight to moderation.
    """
    require_account(author, "send out a petition")
    try:
        rules.check_transition(
            petition.status,
            "collecting_sponsors",
            role_in(author, petition.council),
            is_author=petition.author_id == author.id,
        )
    except RuleViolation as violation:
        raise refusal(violation) from None
    now = utcnow()
    petition.sponsors_needed = int(settings_of(petition.council)["petition_sponsors"])
    petition.sponsor_token = secrets.token_urlsafe(24)
    petition.sponsors_invited_at = now
    petition.status = "collecting_sponsors"
    petition.updated_at = now
    db.session.flush()
    if rules.sponsors_complete(0, petition.sponsors_needed):
        _submit(petition, now)
    db.session.commit()
    return petition


def petition_by_token(token: str) -> Petition:
    petition = db.session.scalar(sa.select(Petition).where(Petition.sponsor_token == token))
    if petition is None:
        raise NotFound(
            "This sponsor link is not valid. Check that you copied the whole link from the "
            "person who started the petition."
        )
    return petition


def sponsor_petition(user, petition: Petition) -> int:
    """Add the person as a sponsor; the last sponsor needed sends the petition to moderation.

    Returns the number of sponsors. A link used after the petition moved on is refused.
    """
    require_account(user, "sponsor a petition")
    try:
        rules.check_can_sponsor(
            petition.status,
            petition.author_id == user.id,
            is_sponsor(user, petition),
            role=role_in(user, petition.council),
            email_confirmed=user.confirmed,
        )
    except RuleViolation as violation:
        raise refusal(violation) from None
    db.session.add(PetitionSponsor(petition_id=petition.id, user_id=user.id))
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(
            "You have already sponsored this petition.", code="already_sponsored"
        ) from None
    count = sponsor_count(petition)
    if rules.sponsors_complete(count, petition.sponsors_needed):
        _submit(petition, utcnow())
    db.session.commit()
    return count


def _submit(petition: Petition, now: datetime) -> None:
    """collecting_sponsors -> in_moderation (system), once, whoever sponsors last."""
    rules.check_transition("collecting_sponsors", "in_moderation", rules.SYSTEM)
    if not move_status(
        petition.id, "collecting_sponsors", status="in_moderation", submitted_at=now, updated_at=now
    ):
        return
    db.session.refresh(petition)
    record_event(
        "petition.submitted",
        council=petition.council,
        subject=petition,
        data={"sponsors": petition.sponsors_needed},
    )
    link = f"/petitions/{petition.id}"
    notify(
        [m.user_id for m in clerks_of(petition.council)],
        "petition_moderation",
        f"A petition waits for moderation in {petition.council.name}: “{petition.title}”.",
        f"/councils/{petition.council.slug}/petitions/moderation",
        email=True,
    )
    notify(
        [petition.author_id],
        "petition_moderation",
        f"Your petition “{petition.title}” has its sponsors and waits for the clerk.",
        link,
        email=True,
    )
