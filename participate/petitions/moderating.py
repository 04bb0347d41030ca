"""A clerk moderates a submitted petition: publishes it (the threshold and the deadline are
fixed and counting starts) or rejects it against a published standard, with a public
reason (DESIGN.md §4).
"""

from __future__ import annotations

from participate.audit.services import record_event
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.services import (
    settings_of,
)
from participate.errors import Conflict, DomainError
from participate.extensions import db
from participate.notifications.services import notify
from participate.petitions import signature_counter
from participate.petitions.conflicts import check_no_conflict
from participate.petitions.models import (
    Petition,
    move_status,
)
from participate.petitions.reading import sponsors_of
from participate.petitions.standards import STANDARDS
from participate.util import utcnow


def _clerk_transition(actor, petition: Petition, target: str, doing: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise DomainError("Sign in as a clerk of the council.", code="sign_in_required", status=401)
    try:
        rules.check_transition(petition.status, target, role_in(actor, petition.council))
    except RuleViolation as violation:
        raise refusal(violation) from None
    check_no_conflict(actor, petition, doing)


def publish(clerk, petition: Petition) -> Petition:
    """in_moderation -> open: fix the threshold and the deadline, start counting."""
    _clerk_transition(clerk, petition, "open", "publish it")
    now = utcnow()
    council = petition.council
    settings = settings_of(council)
    population = council.place.population
    minimum, rate = int(settings["petition_minimum"]), settings["petition_rate"]
    needed = rules.threshold(population, minimum, rate)
    if not move_status(
        petition.id,
        "in_moderation",
        status="open",
        opened_at=now,
        signing_deadline=rules.signing_deadline(now, rules.DEFAULT_SIGNING_MONTHS),
        threshold=needed,
        threshold_explanation=rules.threshold_explanation(population, minimum, rate),
        moderated_at=now,
        moderated_by_id=clerk.id,
        updated_at=now,
    ):
        db.session.rollback()
        raise Conflict("Another clerk has just moderated this petition.", code="already_moderated")
    signature_counter.ensure_counter(petition.id)
    db.session.refresh(petition)
    record_event(
        "petition.published",
        actor=clerk,
        council=council,
        subject=petition,
        data={
            "threshold": needed,
            "explanation": petition.threshold_explanation,
            "deadline": petition.signing_deadline,
        },
    )
    people = [petition.author_id, *(s.user_id for s in sponsors_of(petition))]
    notify(
        people,
        "petition_published",
        f"The petition “{petition.title}” is open for signatures until "
        f"{petition.signing_deadline:%-d %B %Y}.",
        f"/petitions/{petition.id}",
        email=True,
    )
    db.session.commit()
    return petition


def reject(clerk, petition: Petition, *, standard: str, reason: str) -> Petition:
    """in_moderation -> rejected, with the standard it breaks and a public reason."""
    _clerk_transition(clerk, petition, "rejected", "reject it")
    if standard not in STANDARDS:
        raise DomainError(
            "Choose the petition standard it does not meet (see the published standards).",
            code="standard_required",
            field="standard",
        )
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise DomainError(
            "Give a public reason of at least 10 characters: the author and everyone will see it.",
            code="reason_required",
            field="reason",
        )
    now = utcnow()
    if not move_status(
        petition.id,
        "in_moderation",
        status="rejected",
        rejection_standard=standard,
        rejection_reason=reason[:2000],
        moderated_at=now,
        moderated_by_id=clerk.id,
        closed_at=now,
        updated_at=now,
    ):
        db.session.rollback()
        raise Conflict("Another clerk has just moderated this petition.", code="already_moderated")
    db.session.refresh(petition)
    record_event(
        "petition.rejected",
        actor=clerk,
        council=petition.council,
        subject=petition,
        data={"standard": standard, "reason": reason},
    )
    people = [petition.author_id, *(s.user_id for s in sponsors_of(petition))]
    notify(
        people,
        "petition_rejected",
        f"The petition “{petition.title}” was not published: it does not meet the standard "
        f"“{STANDARDS[standard].title}”. {reason}",
        f"/petitions/{petition.id}",
        email=True,
    )
    db.session.commit()
    return petition
