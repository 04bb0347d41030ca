"""Council use cases: browsing, the forum graph, roles, constitutions. Memberships (asking
to join, deciding, suspending, appointing) are in `participate.councils.memberships`."""

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


FORUMS_GROUP = "Place forums"


def council_choice_groups(
    empty: str = "", councils: list[Council] | None = None
) -> dict[str | None, list[tuple[str, str]]]:
    """The councils as a choice grouped by service, place forums last, each group by level
    (nation, regions, places) then name: a dropdown of every council becomes groups a
    person can scan (issue 15). ``empty`` is an ungrouped first choice ("Choose a council")."""
    groups: dict[str | None, list[tuple[str, str]]] = {None: [("", empty)]} if empty else {}
    rows = councils if councils is not None else list_councils()
    for council in sorted(rows, key=lambda c: c.service is None):  # stable: forums last
        group = council.service.name if council.service is not None else FORUMS_GROUP
        groups.setdefault(group, []).append((council.slug, council.name))
    return groups


def place_choice_groups(empty: str = "") -> dict[str | None, list[tuple[str, str]]]:
    """The places as a choice grouped by level (nations, regions, places), each by name."""
    groups: dict[str | None, list[tuple[str, str]]] = {None: [("", empty)]} if empty else {}
    words = {"nation": "Nations", "region": "Regions", "local": "Local places"}
    for place in list_places():
        groups.setdefault(words.get(place.level, place.level), []).append((place.slug, place.name))
    return groups


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
