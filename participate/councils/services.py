"""Council use cases: browsing, the forum graph, memberships, constitutions."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from participate.audit.services import record_event
from participate.core import forum_graph
from participate.councils.models import (
    CONSTITUENCIES,
    DEFAULT_SETTINGS,
    LEVELS,
    ConstitutionVersion,
    Council,
    ForumLink,
    Membership,
    Place,
    Service,
)
from participate.errors import DomainError, Forbidden, NotFound, check_choice
from participate.extensions import db
from participate.notifications.services import notify
from participate.util import utcnow

# ---------------------------------------------------------------- reading


def council_by_slug(slug: str) -> Council:
    council = db.session.scalar(sa.select(Council).where(Council.slug == slug))
    if council is None:
        raise NotFound(f"There is no council '{slug}'. See the list of councils.")
    return council


def service_by_slug(slug: str) -> Service:
    service = db.session.scalar(sa.select(Service).where(Service.slug == slug))
    if service is None:
        raise NotFound(f"There is no service '{slug}'.")
    return service


def place_by_slug(slug: str) -> Place:
    place = db.session.scalar(sa.select(Place).where(Place.slug == slug))
    if place is None:
        raise NotFound(f"There is no place '{slug}'.")
    return place


LEVEL_ORDER = sa.case({"nation": 0, "region": 1, "local": 2}, value=Place.level)


def list_councils(
    *,
    service: str | None = None,
    level: str | None = None,
    place: str | None = None,
    forums: bool | None = None,
) -> list[Council]:
    check_council_filters(service=service, level=level)
    query = sa.select(Council).join(Council.place).outerjoin(Council.service)
    if service:
        query = query.where(Service.slug == service)
    if level:
        query = query.where(Place.level == level)
    if place:
        query = query.where(Place.slug == place)
    if forums is True:
        query = query.where(Council.service_id.is_(None))
    elif forums is False:
        query = query.where(Council.service_id.is_not(None))
    query = query.order_by(LEVEL_ORDER, Service.name.nulls_first(), Place.name)
    return list(db.session.scalars(query).unique())


def check_council_filters(*, service: str | None, level: str | None) -> None:
    """Refuse a filter value that matches nothing by construction, naming the values allowed."""
    check_choice(level, LEVELS, "level")
    if service:
        check_choice(service, [s.slug for s in list_services()], "service")


def list_services() -> list[Service]:
    return list(db.session.scalars(sa.select(Service).order_by(Service.name)))


def list_places() -> list[Place]:
    return list(
        db.session.scalars(
            sa.select(Place).order_by(
                sa.case({"nation": 0, "region": 1, "local": 2}, value=Place.level), Place.name
            )
        )
    )


def current_constitution(council: Council) -> ConstitutionVersion | None:
    return db.session.scalar(
        sa.select(ConstitutionVersion)
        .where(ConstitutionVersion.council_id == council.id)
        .order_by(ConstitutionVersion.number.desc())
        .limit(1)
    )


def constitution_history(council: Council) -> list[ConstitutionVersion]:
    return list(
        db.session.scalars(
            sa.select(ConstitutionVersion)
            .where(ConstitutionVersion.council_id == council.id)
            .order_by(ConstitutionVersion.number.desc())
        )
    )


def constitution_version(council: Council, number: int) -> ConstitutionVersion:
    version = db.session.scalar(
        sa.select(ConstitutionVersion).where(
            ConstitutionVersion.council_id == council.id, ConstitutionVersion.number == number
        )
    )
    if version is None:
        raise NotFound(f"{council.name} has no constitution version {number}.")
    return version


def settings_of(council: Council) -> dict:
    version = current_constitution(council)
    settings = dict(DEFAULT_SETTINGS)
    if version is not None:
        settings.update(version.settings or {})
    return settings


def members_by_constituency(council_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Membership.constituency, sa.func.count())
        .where(Membership.council_id == council_id, Membership.status == "active")
        .group_by(Membership.constituency)
    ).all()
    counts = dict.fromkeys(CONSTITUENCIES, 0)
    counts.update({c: n for c, n in rows})
    return counts


def links_up(council: Council) -> list[ForumLink]:
    return list(
        db.session.scalars(sa.select(ForumLink).where(ForumLink.from_council_id == council.id))
    )


def links_down(council: Council) -> list[ForumLink]:
    return list(
        db.session.scalars(sa.select(ForumLink).where(ForumLink.to_council_id == council.id))
    )


def load_graph() -> nx.DiGraph:
    """The whole forum network from the database, as the core forum_graph builds it."""
    nodes = db.session.execute(
        sa.select(Council.slug, Place.level, Service.slug)
        .join(Place, Council.place_id == Place.id)
        .outerjoin(Service, Council.service_id == Service.id)
    ).all()
    child, parent = aliased(Council), aliased(Council)
    links = db.session.execute(
        sa.select(child.slug, parent.slug, ForumLink.kind)
        .join(child, ForumLink.from_council_id == child.id)
        .join(parent, ForumLink.to_council_id == parent.id)
    ).all()
    return forum_graph.build_graph([tuple(n) for n in nodes], [tuple(link) for link in links])


# ---------------------------------------------------------------- roles


def membership_of(user, council: Council) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.council_id == council.id
        )
    )


def _runs_council(membership: Membership | None) -> bool:
    # Membership.is_clerk also counts the minister, who keeps a national council's upward
    # inbox and publishes its consultations (`require_inbox_keeper`). Running the council
    # (members, motions, the constitution, taking proposals up) is its clerks' alone: DESIGN
    # §1 and participate.core.rules, where "a minister is a member, not a clerk".
    return membership is not None and membership.status == "active" and membership.role == "clerk"


def is_clerk(user, council: Council) -> bool:
    return _runs_council(membership_of(user, council))


def require_admin(actor) -> None:
    if actor is None or not getattr(actor, "is_admin", False):
        raise Forbidden(
            "Only a platform admin may change the structure of services, places and councils."
        )


def require_clerk(actor, council: Council) -> Membership:
    """The actor's active clerk membership of ``council``, or Forbidden (a minister too)."""
    membership = membership_of(actor, council)
    if not _runs_council(membership):
        raise Forbidden(
            f"Only a clerk of {council.name} may do this. Ask the council's clerk.",
            code="clerk_only",
        )
    return membership


def require_inbox_keeper(actor, council: Council) -> Membership:
    """The actor's active clerk or minister membership of ``council``, or Forbidden: both
    keep the council's upward inbox."""
    membership = membership_of(actor, council)
    if membership is None or not membership.is_clerk:
        raise Forbidden(
            f"Only a clerk or the minister of {council.name} may do this.",
            code="clerk_only",
        )
    return membership


def clerks_of(council: Council) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(
                Membership.council_id == council.id,
                Membership.status == "active",
                Membership.role.in_(("clerk", "minister")),
            )
        )
    )


# ---------------------------------------------------------------- memberships


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
        data={"user": user.id, "email": user.email, "role": role, "constituency": constituency},
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
        data={"user": user.id, "email": user.email, "role": before},
    )
    notify(
        [user.id],
        "appointment",
        f"Your appointment as {before} of {council.name} ended; you remain a member.",
        f"/councils/{council.slug}",
    )
    db.session.commit()
    return membership


# ---------------------------------------------------------------- constitutions


def new_constitution_version(
    actor,
    council: Council,
    *,
    purpose: str | None = None,
    values_text: str | None = None,
    promises: str | None = None,
    settings: dict | None = None,
    reason: str = "",
    cause: str = "",
    commit: bool = True,
) -> ConstitutionVersion:
    """Publish a new version (never edit one); unspecified parts carry over from the current one."""
    current = current_constitution(council)
    merged = dict(DEFAULT_SETTINGS)
    if current is not None:
        merged.update(current.settings or {})
    if settings:
        merged.update(settings)
    version = ConstitutionVersion(
        council_id=council.id,
        number=(current.number + 1) if current else 1,
        purpose=purpose if purpose is not None else (current.purpose if current else ""),
        values_text=values_text
        if values_text is not None
        else (current.values_text if current else ""),
        promises=promises if promises is not None else (current.promises if current else ""),
        settings=merged,
        reason=reason.strip(),
        cause=cause,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    record_event(
        "constitution.version",
        actor=actor,
        council=council,
        subject=version,
        data={
            "number": version.number,
            "reason": version.reason,
            "cause": cause,
            "settings_changed": sorted(
                k for k in merged if not current or (current.settings or {}).get(k) != merged[k]
            ),
        },
    )
    if commit:
        db.session.commit()
    return version


def revise_constitution_text(
    clerk, council: Council, *, purpose: str, values_text: str, promises: str, reason: str
) -> ConstitutionVersion:
    """A clerk revises the constitution's text. Governance settings change only by admin or a passed motion."""
    require_clerk(clerk, council)
    if not reason.strip():
        raise DomainError(
            "Say why the constitution changes; the reason is published with the version.",
            code="reason_required",
            field="reason",
        )
    return new_constitution_version(
        clerk,
        council,
        purpose=purpose,
        values_text=values_text,
        promises=promises,
        reason=reason,
        cause="clerk",
    )


def counts_by_council(council_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Membership.council_id, sa.func.count())
        .where(Membership.council_id.in_(council_ids), Membership.status == "active")
        .group_by(Membership.council_id)
    ).all()
    return Counter(dict(rows))
