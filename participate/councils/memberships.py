"""Memberships of a council: asking to join in a constituency, a clerk deciding and
suspending, an administrator appointing and ending clerks and ministers; each tells the
person and is recorded in the audit log. Every function takes the acting user.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.councils.models import (
    CONSTITUENCIES,
    Council,
    Membership,
)
from participate.councils.services import clerks_of, membership_of, require_admin, require_clerk
from participate.errors import DomainError, Forbidden, NotFound
from participate.extensions import db
from participate.notifications.services import notify
from participate.util import utcnow


def request_membership(
    user, council: Council, constituency: str, statement: str = ""
) -> Membership:
    """An account asks to join a council in one constituency; the clerks are told."""
    if user is None or not user.is_authenticated:
        raise Forbidden("Sign in to ask to join a council.", code="sign_in_required")
    if not user.confirmed:
        raise Forbidden(
            "Confirm your e-mail address first: open the link we sent you.",
            code="email_unconfirmed",
        )
    if constituency not in CONSTITUENCIES:
        raise DomainError(
            f"Choose one constituency: {', '.join(CONSTITUENCIES)}.",
            code="bad_constituency",
            field="constituency",
        )
    existing = membership_of(user, council)
    if existing is not None and existing.status != "declined":
        state = {
            "pending": "Your request is waiting for the clerk.",
            "active": "You are already a member.",
            "suspended": "Your membership is suspended; ask the clerk.",
        }[existing.status]
        raise DomainError(
            f"You already belong to {council.name}. {state}",
            code="already_member",
            field="constituency",
        )
    if existing is not None:  # a declined request may be made again
        existing.constituency = constituency
        existing.statement = statement.strip()
        existing.status = "pending"
        existing.requested_at = utcnow()
        existing.decided_at = None
        existing.reason = ""
        membership = existing
    else:
        membership = Membership(
            user_id=user.id,
            council_id=council.id,
            constituency=constituency,
            statement=statement.strip(),
            status="pending",
            role="member",
        )
        db.session.add(membership)
    db.session.flush()
    notify(
        [m.user_id for m in clerks_of(council)],
        "membership_request",
        f"{user.name} asks to join {council.name} as {constituency}.",
        f"/councils/{council.slug}/members",
    )
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise DomainError("You already asked to join this council.", code="already_member") from exc
    return membership


def pending_requests(council: Council) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.council_id == council.id, Membership.status == "pending")
            .order_by(Membership.requested_at)
        )
    )


def active_members(council: Council) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(
                Membership.council_id == council.id, Membership.status.in_(("active", "suspended"))
            )
            .order_by(Membership.constituency, Membership.requested_at)
        )
    )


def _membership_in(membership_id: int, council: Council | None, what: str) -> Membership:
    """The membership, or NotFound when there is none (in ``council``, when given: a page
    of one council never changes a membership of another)."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or (council is not None and membership.council_id != council.id):
        raise NotFound(f"That {what} does not exist.")
    return membership


def decide_membership(
    clerk, membership_id: int, *, admit: bool, reason: str = "", council: Council | None = None
) -> Membership:
    """A clerk admits or declines a pending request; a decline needs a reason."""
    membership = _membership_in(membership_id, council, "membership request")
    council = membership.council
    require_clerk(clerk, council)
    if membership.status != "pending":
        raise DomainError(
            f"This request was already decided ({membership.status}).", code="already_decided"
        )
    reason = reason.strip()
    if not admit and not reason:
        raise DomainError(
            "Give a reason when you decline a request; the person will see it.",
            code="reason_required",
            field="reason",
        )
    membership.status = "active" if admit else "declined"
    membership.reason = reason
    membership.decided_at = utcnow()
    membership.decided_by_id = clerk.id
    record_event(
        "membership.admitted" if admit else "membership.declined",
        actor=clerk,
        council=council,
        subject=membership,
        data={
            "user": membership.user_id,
            "constituency": membership.constituency,
            "reason": reason,
        },
    )
    text = (
        f"You are now a member of {council.name} ({membership.constituency})."
        if admit
        else f"Your request to join {council.name} was declined: {reason}"
    )
    notify(
        [membership.user_id], "membership_decided", text, f"/councils/{council.slug}", email=True
    )
    db.session.commit()
    return membership


def set_suspended(
    clerk, membership_id: int, *, suspended: bool, reason: str, council: Council | None = None
) -> Membership:
    membership = _membership_in(membership_id, council, "membership")
    require_clerk(clerk, membership.council)
    if not reason.strip():
        raise DomainError(
            "Give a reason; it is recorded in the public audit log.",
            code="reason_required",
            field="reason",
        )
    wanted_from = "active" if suspended else "suspended"
    if membership.status != wanted_from:
        raise DomainError(
            f"This membership is {membership.status}, not {wanted_from}.", code="bad_state"
        )
    if suspended and membership.user_id == clerk.id:
        raise DomainError("You cannot suspend yourself.", code="self_suspend")
    membership.status = "suspended" if suspended else "active"
    record_event(
        "membership.suspended" if suspended else "membership.reinstated",
        actor=clerk,
        council=membership.council,
        subject=membership,
        data={"user": membership.user_id, "reason": reason.strip()},
    )
    notify(
        [membership.user_id],
        "membership_decided",
        f"Your membership of {membership.council.name} was {'suspended' if suspended else 'reinstated'}: {reason.strip()}",
        f"/councils/{membership.council.slug}",
    )
    db.session.commit()
    return membership


def appoint(admin, user, council: Council, role: str, constituency: str = "leader") -> Membership:
    """An admin appoints a clerk (any council) or a minister (national service councils only)."""
    require_admin(admin)
    if role not in ("clerk", "minister", "member"):
        raise DomainError("Appoint a clerk or a minister.", code="bad_role", field="role")
    if role == "minister" and (council.is_forum or council.level != "nation"):
        raise DomainError(
            "A minister is appointed to a national service council only.",
            code="bad_role",
            field="council",
        )
    if constituency not in CONSTITUENCIES:
        raise DomainError(
            f"Choose one constituency: {', '.join(CONSTITUENCIES)}.",
            code="bad_constituency",
            field="constituency",
        )
    membership = membership_of(user, council)
    if membership is None:
        membership = Membership(user_id=user.id, council_id=council.id, constituency=constituency)
        db.session.add(membership)
    membership.role = role
    membership.status = "active"
    membership.constituency = constituency
    membership.decided_at = utcnow()
    membership.decided_by_id = admin.id
    db.session.flush()
    record_event(
        f"appointment.{role}",
        actor=admin,
        council=council,
        subject=membership,
        data={"user": user.id, "name": user.name, "role": role, "constituency": constituency},
    )
    notify(
        [user.id],
        "appointment",
        f"You were appointed {role} of {council.name}.",
        f"/councils/{council.slug}",
    )
    db.session.commit()
    return membership


def end_appointment(admin, user, council: Council) -> Membership:
    """An admin ends a clerk's or minister's appointment; the person stays an active member
    of the council in their constituency."""
    require_admin(admin)
    membership = membership_of(user, council)
    if membership is None or membership.role not in ("clerk", "minister"):
        raise DomainError(
            f"{user.email} is not a clerk or minister of {council.name}: there is no "
            "appointment to end.",
            code="not_appointed",
            field="email",
        )
    before = membership.role
    membership.role = "member"
    membership.decided_at = utcnow()
    membership.decided_by_id = admin.id
    db.session.flush()
    record_event(
        "appointment.ended",
        actor=admin,
        council=council,
        subject=membership,
        data={"user": user.id, "name": user.name, "role": before},
    )
    notify(
        [user.id],
        "appointment",
        f"Your appointment as {before} of {council.name} ended; you remain a member.",
        f"/councils/{council.slug}",
    )
    db.session.commit()
    return membership
