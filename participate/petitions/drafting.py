"""Starting a petition and editing its draft (DESIGN.md §4): the texts, the kind, and the
constitution settings a constitution change proposes (`clean_settings`).

`require_account` is the check every step before publication makes of the person: signed
in, e-mail confirmed. Services take the acting user; they raise DomainError.
"""

from __future__ import annotations

from participate.core import constitution_settings
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.models import Council
from participate.councils.services import (
    settings_of,
)
from participate.errors import DomainError, Forbidden
from participate.extensions import db
from participate.markup import render_markdown
from participate.petitions.models import (
    Petition,
)
from participate.util import utcnow


def require_account(user, doing: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(f"Sign in to {doing}.", code="sign_in_required", status=401)
    if not user.confirmed:
        raise Forbidden(
            f"Confirm your e-mail address before you {doing}: follow the link we sent you.",
            code="email_unconfirmed",
        )


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
    """Validate the proposed settings of a constitution change (core.constitution_settings)."""
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
        return constitution_settings.validate_constitution_settings(proposed)
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
    require_account(author, "start a petition")
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
    require_account(author, "edit a petition")
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
