"""The council's answer to a petition past its threshold, and a passed governance change
applied to the constitution (DESIGN.md §4). For the rounds and votes features:

- `publish_response(actor, petition, decision=..., response_text=..., motion_id=...)`:
  records the council's answer (at a round's outcome, or at a meeting), closes the
  petition and tells the signers;
- `apply_governance_change(actor, petition, motion_id=...)`: a passed
  constitution_change / cooperative_governance petition becomes a new constitution
  version whose cause names the petition and the motion.
"""

from __future__ import annotations

from dataclasses import dataclass

from participate.audit.services import record_event
from participate.core import constitution_settings
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.services import (
    current_constitution,
    new_constitution_version,
    settings_of,
)
from participate.errors import Conflict, DomainError, Forbidden
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.petitions import signers
from participate.petitions.conflicts import check_no_conflict
from participate.petitions.models import (
    RESPONSE_DECISIONS,
    Petition,
    move_status,
)
from participate.petitions.reading import DECISION_LABELS
from participate.util import utcnow
from participate.votes.models import Motion


def check_response(actor, petition: Petition, *, decision: str, response_text: str) -> str:
    """Everything `publish_response` refuses before it writes; the response's text, cleaned.
    The clerk's page asks to confirm an answer (it closes the petition for good) only once it
    would be accepted."""
    if actor is None:
        role = rules.SYSTEM
    else:
        role = role_in(actor, petition.council)
    try:
        rules.check_transition(petition.status, "closed", role)
    except RuleViolation as violation:
        raise refusal(violation) from None
    check_no_conflict(actor, petition, "record the council's answer to it")
    if decision not in RESPONSE_DECISIONS:
        raise DomainError(
            "Choose the council's decision: adopted, partly adopted or not adopted.",
            code="decision_required",
            field="decision",
        )
    text = (response_text or "").strip()
    if len(text) < 20:
        raise DomainError(
            "Write the council's response (at least 20 characters): the signers will read it.",
            code="response_required",
            field="response_text",
        )
    return text


def publish_response(
    actor,
    petition: Petition,
    *,
    decision: str,
    response_text: str,
    motion_id: int | None = None,
    round_id: int | None = None,
    commit: bool = True,
) -> Petition:
    """Record the council's answer to a petition past its threshold; close it; tell the signers.

    ``actor`` is the clerk recording it (``None`` when a round's outcome records it by
    itself). With ``motion_id``/``round_id`` the answer is labelled as coming from a
    deliberation round; without, as given at a council meeting outside a round.
    """
    text = check_response(actor, petition, decision=decision, response_text=response_text)
    now = utcnow()
    route = "round" if (motion_id or round_id) else "meeting"
    if not move_status(
        petition.id,
        "threshold_reached",
        status="closed",
        responded_at=now,
        responded_by_id=getattr(actor, "id", None),
        response_decision=decision,
        response_text=text,
        response_html=render_markdown(text),
        response_route=route,
        response_motion_id=motion_id,
        response_round_id=round_id,
        closed_at=now,
        updated_at=now,
    ):
        db.session.rollback()
        raise Conflict("This petition has just been answered.", code="already_answered")
    db.session.refresh(petition)
    record_event(
        "petition.answered",
        actor=actor,
        council=petition.council,
        subject=petition,
        data={
            "decision": decision,
            "route": route,
            "motion": motion_id,
            "round": round_id,
            "on_time": petition.response_due_at is None or now <= petition.response_due_at,
        },
    )
    text_out = (
        f"{petition.council.name} answered the petition “{petition.title}”: "
        f"{DECISION_LABELS[decision].lower()}."
    )
    link = f"/petitions/{petition.id}#response"
    notify([petition.author_id], "petition_answered", text_out, link, email=True)
    signers.notify_signers(
        petition.id, "petition_answered", text_out, link, exclude={petition.author_id}, now=now
    )
    if commit:
        db.session.commit()
    return petition


@dataclass(frozen=True)
class DecidingMotion:
    """The motion that decided a petition (the one the council's answer recorded)."""

    id: int
    title: str
    passed: bool
    closed: bool


def deciding_motion(petition: Petition) -> DecidingMotion | None:
    """The motion that decided the petition: its agenda item's motion in the round that
    answered it (``response_motion_id``, recorded with the answer). ``None`` when no motion
    decided it: not answered yet, or answered at a meeting.
    """
    motion_id = petition.response_motion_id
    if motion_id is None:
        return None
    motion = db.session.get(Motion, motion_id)
    if motion is None or motion.council_id != petition.council_id:
        return None
    closed = motion.status == "closed"
    passed = closed and bool((motion.result or {}).get("passed"))
    return DecidingMotion(motion.id, motion.title, passed=passed, closed=closed)


def apply_governance_change(actor, petition: Petition, *, motion_id: int | None = None) -> Petition:
    """Apply a passed constitution_change / cooperative_governance petition as a new version.

    Only the motion that decided the petition applies it (`deciding_motion`); ``motion_id``,
    when given, must be that motion (the clerk confirms the one the page showed). The
    version's cause is ``petition:<id>; motion:<id>``, so the constitution's history shows
    which petition and which vote changed it.
    """
    if petition.kind not in rules.CONSTITUTION_KINDS:
        raise DomainError(
            "Only a constitution-change or co-operative governance petition changes the "
            "constitution.",
            code="not_a_governance_change",
            status=409,
        )
    if petition.status not in ("threshold_reached", "closed"):
        raise DomainError(
            "Only a petition that reached its threshold and went to a vote can change the "
            "constitution.",
            code="petition_not_decided",
            status=409,
        )
    if petition.constitution_version_id is not None:
        raise Conflict(
            "This petition's change was already applied to the constitution.",
            code="already_applied",
        )
    if actor is not None and role_in(actor, petition.council) != "clerk":
        raise Forbidden(
            f"Only a clerk of {petition.council.name} may apply a passed change.",
            code="clerk_only",
        )
    deciding = deciding_motion(petition)
    try:
        motion_id = rules.check_deciding_motion(
            motion_id,
            deciding.id if deciding else None,
            passed=deciding is not None and deciding.passed,
        )
    except RuleViolation as violation:
        field = "motion_id" if violation.code == "not_the_deciding_motion" else None
        raise DomainError(violation.message, code=violation.code, status=409, field=field) from None
    council = petition.council
    current = current_constitution(council)
    settings = dict(petition.proposed_settings or {})
    if "weights" in settings:
        weights = dict(settings_of(council)["weights"])
        weights.update(settings["weights"])
        try:
            settings["weights"] = constitution_settings.validate_constitution_settings(
                {"weights": weights}
            )["weights"]
        except RuleViolation as violation:
            raise DomainError(violation.message, code=violation.code, status=409) from None
    values_text = None
    if petition.kind == "cooperative_governance":
        before = current.values_text if current else ""
        values_text = (
            f"{before}\n\n**Co-operative governance (petition {petition.id}):** "
            f"{petition.change_text}"
        ).strip()
    version = new_constitution_version(
        actor,
        council,
        settings=settings or None,
        values_text=values_text,
        reason=f"Petition “{petition.title}” passed by motion {motion_id}.",
        cause=f"petition:{petition.id}; motion:{motion_id}",
        commit=False,
    )
    petition.constitution_version_id = version.id
    petition.governance_motion_id = motion_id
    record_event(
        "petition.change_applied",
        actor=actor,
        council=council,
        subject=petition,
        data={"version": version.number, "motion": motion_id, "settings": settings},
    )
    signers.notify_signers(
        petition.id,
        "petition_applied",
        f"The petition “{petition.title}” changed the constitution of {council.name} "
        f"(version {version.number}).",
        f"/councils/{council.slug}/constitution/{version.number}",
    )
    db.session.commit()
    return petition
