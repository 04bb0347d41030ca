"""A clerk reviewing and invalidating signatures: one by one, or every valid signature a
rule matches (an e-mail domain, a date range, a place, a service, a declaration), always
with a reason recorded in the public audit log; the counts are recounted at once.

`recent_signatures` and `declared_counts` are what the clerk reviews to find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from participate.accounts.models import User
from participate.audit.services import record_event
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.models import Place, Service
from participate.errors import DomainError, NotFound
from participate.extensions import db
from participate.petitions import recount, signature_counter
from participate.petitions.conflicts import check_no_conflict
from participate.petitions.models import Petition, Signature
from participate.util import utcnow


def _require_invalidator(actor, petition: Petition) -> None:
    try:
        rules.check(petition.status, "invalidate_signature", role_in(actor, petition.council))
    except RuleViolation as violation:
        raise refusal(violation) from None
    check_no_conflict(actor, petition, "invalidate its signatures")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Give the reason for invalidating: it is recorded in the public audit log.",
            code="reason_required",
            field="reason",
        )
    if len(reason) > 500:
        raise DomainError("Keep the reason to 500 characters.", code="too_long", field="reason")
    return reason


def invalidate_signature(actor, petition: Petition, signature_id: int, *, reason: str) -> int:
    """A clerk invalidates one signature, with a reason; the counts go down at once."""
    _require_invalidator(actor, petition)
    reason = _reason(reason)
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.petition_id != petition.id:
        raise NotFound("That signature is not on this petition.")
    if signature.invalidated_at is not None:
        raise DomainError(
            "That signature was already invalidated.", code="already_invalidated", status=409
        )
    return _invalidate(
        actor,
        petition,
        [Signature.id == signature_id],
        reason=reason,
        rule={"signature": signature_id},
    )


# The rule's text fields, as the API names them.
RULE_KEYS = ("email_domain", "place", "service", "declaration")


@dataclass
class InvalidationRule:
    email_domain: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None
    place: str = ""
    service: str = ""
    declaration: str = ""

    def describe(self) -> dict:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in (
                ("email_domain", self.email_domain),
                ("from", self.date_from),
                ("to", self.date_to),
                ("place", self.place),
                ("service", self.service),
                ("declaration", self.declaration),
            )
            if v
        }


def _criteria(petition: Petition, rule: InvalidationRule) -> list:
    criteria = []
    domain = rule.email_domain.strip().lower().lstrip("@")
    if domain:
        if "@" in domain or "." not in domain or " " in domain:
            raise DomainError(
                "Give an e-mail domain such as example.org (without the @).",
                code="bad_domain",
                field="email_domain",
            )
        criteria.append(
            Signature.user_id.in_(
                sa.select(User.id).where(sa.func.lower(User.email).like(f"%@{domain}"))
            )
        )
    if rule.date_from and rule.date_to and rule.date_from > rule.date_to:
        raise DomainError(
            "The start of the date range is after its end.", code="bad_range", field="date_from"
        )
    if rule.date_from:
        criteria.append(Signature.created_at >= rule.date_from)
    if rule.date_to:
        criteria.append(Signature.created_at <= rule.date_to)
    if rule.place:
        place_id = db.session.scalar(sa.select(Place.id).where(Place.slug == rule.place))
        if place_id is None:
            raise DomainError("There is no such place.", code="bad_place", field="place")
        criteria.append(Signature.place_id == place_id)
    if rule.service:
        service_id = db.session.scalar(sa.select(Service.id).where(Service.slug == rule.service))
        if service_id is None:
            raise DomainError("There is no such service.", code="bad_service", field="service")
        criteria.append(Signature.service_id == service_id)
    if rule.declaration:
        if rule.declaration not in rules.DECLARATIONS:
            raise DomainError(
                "Choose a declaration: live, work or member.",
                code="bad_declaration",
                field="declaration",
            )
        criteria.append(Signature.declaration == rule.declaration)
    if not criteria:
        raise DomainError(
            "Give at least one rule: an e-mail domain, a date range, a place, a service or a "
            "declaration.",
            code="rule_required",
            field="email_domain",
        )
    return criteria


def matching_count(actor, petition: Petition, rule: InvalidationRule) -> int:
    """How many valid signatures a rule would invalidate (a preview; nothing written)."""
    _require_invalidator(actor, petition)
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Signature.petition_id == petition.id,
                Signature.invalidated_at.is_(None),
                *_criteria(petition, rule),
            )
        )
        or 0
    )


def invalidate_by_rule(actor, petition: Petition, rule: InvalidationRule, *, reason: str) -> int:
    """A clerk invalidates every valid signature matching a rule, with a reason."""
    _require_invalidator(actor, petition)
    reason = _reason(reason)
    criteria = _criteria(petition, rule)
    return _invalidate(actor, petition, criteria, reason=reason, rule=rule.describe())


def _invalidate(actor, petition: Petition, criteria: list, *, reason: str, rule: dict) -> int:
    now = utcnow()
    signature_counter.lock_for_recount(petition.id)
    changed = db.session.execute(
        sa.update(Signature)
        .where(
            Signature.petition_id == petition.id,
            Signature.invalidated_at.is_(None),
            *criteria,
        )
        .values(invalidated_at=now, invalidated_by_id=actor.id, invalidation_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise DomainError(
            "No valid signature matches that rule: nothing was invalidated.",
            code="nothing_matched",
            field="email_domain",
        )
    result = recount.recount(petition.id, now=now, invalidated=True)
    record_event(
        "petition.signatures_invalidated",
        actor=actor,
        council=petition.council_id,
        subject=petition,
        data={
            "rule": rule,
            "invalidated": changed,
            "reason": reason,
            "count_before": result.before,
            "count_after": result.after,
        },
    )
    db.session.commit()
    return changed


def recent_signatures(
    petition: Petition, *, search: str = "", limit: int = 50, offset: int = 0
) -> list[Signature]:
    """For a clerk: the newest signatures (with the signer), optionally by name or e-mail."""
    query = (
        sa.select(Signature)
        .options(
            joinedload(Signature.user), joinedload(Signature.place), joinedload(Signature.service)
        )
        .where(Signature.petition_id == petition.id)
        .order_by(Signature.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.join(User, User.id == Signature.user_id).where(
            sa.or_(sa.func.lower(User.email).like(like), sa.func.lower(User.name).like(like))
        )
    return list(db.session.scalars(query))


@dataclass
class DeclaredCount:
    declaration: str
    place_slug: str
    place_name: str
    service_slug: str | None
    service_name: str | None
    count: int


def declared_counts(petition: Petition) -> list[DeclaredCount]:
    """For a clerk: valid signatures counted by what was declared (declaration, place,
    service), the largest first, so that an implausible group can be invalidated by rule."""
    n = sa.func.count(Signature.id)
    rows = db.session.execute(
        sa.select(Signature.declaration, Place.slug, Place.name, Service.slug, Service.name, n)
        .join(Place, Place.id == Signature.place_id)
        .outerjoin(Service, Service.id == Signature.service_id)
        .where(Signature.petition_id == petition.id, Signature.invalidated_at.is_(None))
        .group_by(Signature.declaration, Place.slug, Place.name, Service.slug, Service.name)
        .order_by(n.desc(), Place.name)
    ).all()
    return [DeclaredCount(*row) for row in rows]
