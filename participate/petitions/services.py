"""Petition use cases: start, sponsor, moderate, answer, apply, list (DESIGN.md §4).

Signing and invalidation are in `participate.petitions.signing`; counting in
`participate.petitions.counters`. Services take the acting user; they raise DomainError.

For the rounds and votes features:

- `must_answer(council)`: the petitions past their threshold the council must answer;
- `publish_response(actor, petition, decision=..., response_text=..., motion_id=...)`:
  records the council's answer (at a round's outcome, or at a meeting), closes the
  petition and tells the signers;
- `apply_governance_change(actor, petition, motion_id=...)`: a passed
  constitution_change / cooperative_governance petition becomes a new constitution
  version whose cause names the petition and the motion.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import petition_counts as pc
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.models import Council
from participate.councils.services import (
    clerks_of,
    current_constitution,
    new_constitution_version,
    settings_of,
)
from participate.errors import Conflict, DomainError, Forbidden, NotFound, check_choice
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.petitions import counters, counts
from participate.petitions.conflicts import check_no_conflict
from participate.petitions.models import (
    PUBLISHED,
    RESPONSE_DECISIONS,
    SIGNABLE,
    Petition,
    PetitionCounter,
    PetitionSponsor,
)
from participate.petitions.standards import STANDARDS
from participate.util import utcnow

KIND_LABELS = {
    "cooperative_governance": "Co-operative governance",
    "early_scrutiny": "Early scrutiny or inspection",
    "constitution_change": "Change to the council's constitution",
}
KIND_HINTS = {
    "cooperative_governance": "Adopt co-operative styles of governance within the service: "
    "member ownership, an elected stakeholder board.",
    "early_scrutiny": "Trigger an early inspection or local scrutiny of the service over its "
    "performance or ethos.",
    "constitution_change": "Change the council's own constitution: weights, quorum, "
    "thresholds, promises.",
}
DECISION_LABELS = {
    "adopted": "Adopted",
    "partly_adopted": "Partly adopted",
    "rejected": "Not adopted",
}
ROUTE_LABELS = {
    "round": "Answered through a deliberation round",
    "meeting": "Answered at a council meeting, outside a deliberation round",
}
# Statuses anyone may see (a rejected petition shows its public reason).
PUBLIC_STATUSES = (*PUBLISHED, "rejected")


def _require_account(user, doing: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(f"Sign in to {doing}.", code="sign_in_required", status=401)
    if not user.confirmed:
        raise Forbidden(
            f"Confirm your e-mail address before you {doing}: follow the link we sent you.",
            code="email_unconfirmed",
        )


# ---------------------------------------------------------------- reading


def petition_by_id(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        raise NotFound("There is no such petition. See the list of petitions.")
    return petition


def can_view(user, petition: Petition) -> bool:
    """Published and rejected petitions are public; drafts are the author's and the clerks'."""
    if petition.status in PUBLIC_STATUSES:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if petition.author_id == user.id:
        return True
    if role_in(user, petition.council) == "clerk":
        return True
    return is_sponsor(user, petition)


def petition_for(user, petition_id: int) -> Petition:
    """The petition if the person may see it; closes it first if its deadline has passed."""
    from participate.petitions.signing import close_if_due

    petition = petition_by_id(petition_id)
    if not can_view(user, petition):
        raise NotFound("There is no such petition. See the list of petitions.")
    deadline = petition.signing_deadline
    if petition.status == "open" and deadline is not None and utcnow() >= deadline:
        if close_if_due(petition.id):
            db.session.refresh(petition)
    return petition


def is_sponsor(user, petition: Petition) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            sa.select(PetitionSponsor.id).where(
                PetitionSponsor.petition_id == petition.id, PetitionSponsor.user_id == user.id
            )
        )
        is not None
    )


def sponsors_of(petition: Petition) -> list[PetitionSponsor]:
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            sa.select(PetitionSponsor)
            .options(joinedload(PetitionSponsor.user))
            .where(PetitionSponsor.petition_id == petition.id)
            .order_by(PetitionSponsor.id)
        )
    )


def sponsor_count(petition: Petition) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(PetitionSponsor.petition_id == petition.id)
        )
        or 0
    )


@dataclass
class Listing:
    items: list[tuple[Petition, int]]
    total: int
    page: int
    pages: int


def list_petitions(
    *,
    council: Council | None = None,
    kind: str | None = None,
    status: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> Listing:
    """Public petitions with their counts, filtered by council, kind and status, sorted."""
    from participate.petitions.signing import close_expired

    now = now or utcnow()
    close_expired(now)
    check_choice(sort, pc.SORTS, "sort")
    sort = pc.sort_or_default(sort)
    count = sa.func.coalesce(PetitionCounter.count, 0)
    query = (
        sa.select(Petition, count)
        .outerjoin(PetitionCounter, PetitionCounter.petition_id == Petition.id)
        .where(Petition.status.in_(PUBLIC_STATUSES))
    )
    if council is not None:
        query = query.where(Petition.council_id == council.id)
    if kind:
        if kind not in rules.KINDS:
            raise DomainError(
                f"Unknown kind {kind!r}: choose one of {', '.join(rules.KINDS)}.",
                code="bad_filter",
            )
        query = query.where(Petition.kind == kind)
    if status:
        if status not in PUBLIC_STATUSES:
            raise DomainError(
                f"Unknown status {status!r}: choose one of {', '.join(PUBLIC_STATUSES)}.",
                code="bad_filter",
            )
        query = query.where(Petition.status == status)
    if sort == "most_signed":
        query = query.order_by(count.desc(), Petition.id.desc())
    elif sort == "newest":
        query = query.order_by(
            sa.func.coalesce(Petition.opened_at, Petition.created_at).desc(), Petition.id.desc()
        )
    else:  # closing soon: petitions still taking signatures, nearest deadline first
        if not status:
            query = query.where(Petition.status.in_(SIGNABLE), Petition.signing_deadline > now)
        query = query.order_by(Petition.signing_deadline.asc(), Petition.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    signable = [p.id for p, _n in rows if p.status in SIGNABLE]
    if signable:
        counts.refresh_listed(signable, now)
        fresh = dict(
            db.session.execute(
                sa.select(PetitionCounter.petition_id, PetitionCounter.count).where(
                    PetitionCounter.petition_id.in_(signable)
                )
            ).all()
        )
        rows = [(p, fresh.get(p.id, n)) for p, n in rows]
    return Listing([(p, n) for p, n in rows], total, page, pages)


def must_answer(council: Council) -> list[Petition]:
    """Petitions past their threshold that the council must answer, the most urgent first."""
    return list(
        db.session.scalars(
            sa.select(Petition)
            .where(Petition.council_id == council.id, Petition.status == "threshold_reached")
            .order_by(Petition.response_due_at, Petition.id)
        )
    )


def moderation_queue(council: Council) -> list[Petition]:
    return list(
        db.session.scalars(
            sa.select(Petition)
            .where(Petition.council_id == council.id, Petition.status == "in_moderation")
            .order_by(Petition.submitted_at, Petition.id)
        )
    )


def petitions_of_author(user) -> list[Petition]:
    return list(
        db.session.scalars(
            sa.select(Petition).where(Petition.author_id == user.id).order_by(Petition.id.desc())
        )
    )


# ---------------------------------------------------------------- starting and editing


class SettingsError(DomainError):
    """Proposed constitution settings refused: ``errors`` maps each setting to its problem."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message, code="settings_invalid", status=400, field="settings")
        self.errors = errors


def _clean_text(title: str, change_text: str, reason_text: str) -> tuple[str, str, str]:
    title = (title or "").strip()
    change_text = (change_text or "").strip()
    reason_text = (reason_text or "").strip()
    if len(title) < 10:
        raise DomainError(
            "Give a title of at least 10 characters that says what you ask for.",
            code="title_required",
            field="title",
        )
    if len(title) > 200:
        raise DomainError("Keep the title to 200 characters.", code="too_long", field="title")
    if len(change_text) < 20:
        raise DomainError(
            "Say what should change, in at least 20 characters.",
            code="change_required",
            field="change_text",
        )
    if len(reason_text) < 20:
        raise DomainError(
            "Say why it should change, in at least 20 characters.",
            code="reason_required",
            field="reason_text",
        )
    if len(change_text) > 5000 or len(reason_text) > 5000:
        raise DomainError(
            "Keep each text to 5,000 characters.",
            code="too_long",
            field="change_text" if len(change_text) > 5000 else "reason_text",
        )
    return title, change_text, reason_text


def clean_settings(kind: str, proposed: dict | None) -> dict | None:
    """Validate the proposed settings of a constitution change (rules.validate_constitution_settings)."""
    proposed = {k: v for k, v in (proposed or {}).items() if v not in (None, "", {})}
    if kind == "constitution_change" and not proposed:
        raise SettingsError(
            "A constitution change must propose at least one new setting: weights per "
            "constituency, quorum, thresholds or the petition rules.",
            {"settings": "give at least one setting"},
        )
    if kind == "early_scrutiny" and proposed:
        raise SettingsError(
            "An early-scrutiny petition does not change the constitution: leave the "
            "settings empty, or choose a constitution change.",
            {"settings": "not for this kind of petition"},
        )
    if not proposed:
        return None
    try:
        return rules.validate_constitution_settings(proposed)
    except RuleViolation as violation:
        raise SettingsError(violation.message, dict(violation.details.get("errors", {}))) from None


def start_petition(
    author,
    council: Council,
    *,
    kind: str,
    title: str,
    change_text: str,
    reason_text: str,
    proposed_settings: dict | None = None,
) -> Petition:
    """A signed-in person with a confirmed e-mail starts a petition to a council (a draft)."""
    _require_account(author, "start a petition")
    try:
        kind = rules.validate_kind(kind)
    except RuleViolation as violation:
        raise DomainError(violation.message, code=violation.code, field="kind") from None
    title, change_text, reason_text = _clean_text(title, change_text, reason_text)
    settings = clean_settings(kind, proposed_settings)
    petition = Petition(
        council_id=council.id,
        author_id=author.id,
        kind=kind,
        title=title,
        change_text=change_text,
        reason_text=reason_text,
        change_html=render_markdown(change_text),
        reason_html=render_markdown(reason_text),
        proposed_settings=settings,
        status="draft",
        sponsors_needed=int(settings_of(council)["petition_sponsors"]),
    )
    db.session.add(petition)
    db.session.commit()
    return petition


def edit_petition(
    author,
    petition: Petition,
    *,
    kind: str,
    title: str,
    change_text: str,
    reason_text: str,
    proposed_settings: dict | None = None,
) -> Petition:
    """The author edits a draft (the text is fixed once sponsors are invited)."""
    _require_account(author, "edit a petition")
    try:
        rules.check(
            petition.status,
            "edit",
            role_in(author, petition.council),
            is_author=petition.author_id == author.id,
        )
        kind = rules.validate_kind(kind)
    except RuleViolation as violation:
        raise refusal(violation) from None
    title, change_text, reason_text = _clean_text(title, change_text, reason_text)
    petition.kind = kind
    petition.title = title
    petition.change_text = change_text
    petition.reason_text = reason_text
    petition.change_html = render_markdown(change_text)
    petition.reason_html = render_markdown(reason_text)
    petition.proposed_settings = clean_settings(kind, proposed_settings)
    petition.updated_at = utcnow()
    db.session.commit()
    return petition


def invite_sponsors(author, petition: Petition) -> Petition:
    """draft -> collecting_sponsors: a private, unguessable sponsor link is made.

    A council that needs no sponsors sends the petition straight to moderation.
    """
    _require_account(author, "send out a petition")
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
    _require_account(user, "sponsor a petition")
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
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id, Petition.status == "collecting_sponsors")
        .values(status="in_moderation", submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
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


# ---------------------------------------------------------------- moderation


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
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id, Petition.status == "in_moderation")
        .values(
            status="open",
            opened_at=now,
            signing_deadline=rules.signing_deadline(now, rules.DEFAULT_SIGNING_MONTHS),
            threshold=needed,
            threshold_explanation=rules.threshold_explanation(population, minimum, rate),
            moderated_at=now,
            moderated_by_id=clerk.id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        db.session.rollback()
        raise Conflict("Another clerk has just moderated this petition.", code="already_moderated")
    counters.ensure_counter(petition.id)
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
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id, Petition.status == "in_moderation")
        .values(
            status="rejected",
            rejection_standard=standard,
            rejection_reason=reason[:2000],
            moderated_at=now,
            moderated_by_id=clerk.id,
            closed_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
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
        f"The petition “{petition.title}” was not published: {STANDARDS[standard].title}. {reason}",
        f"/petitions/{petition.id}",
        email=True,
    )
    db.session.commit()
    return petition


# ---------------------------------------------------------------- the council's answer


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
    now = utcnow()
    route = "round" if (motion_id or round_id) else "meeting"
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id, Petition.status == "threshold_reached")
        .values(
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
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
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
    counters.notify_signers(
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

    Without the votes feature the recorded reference is taken as a passed motion.
    """
    from participate.features import FEATURES

    motion_id = petition.response_motion_id
    if motion_id is None:
        return None
    if "votes" not in FEATURES:
        return DecidingMotion(motion_id, f"Motion {motion_id}", passed=True, closed=True)
    from participate.votes.models import Motion

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
            settings["weights"] = rules.validate_constitution_settings({"weights": weights})[
                "weights"
            ]
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
    counters.notify_signers(
        petition.id,
        "petition_applied",
        f"The petition “{petition.title}” changed the constitution of {council.name} "
        f"(version {version.number}).",
        f"/councils/{council.slug}/constitution/{version.number}",
    )
    db.session.commit()
    return petition
