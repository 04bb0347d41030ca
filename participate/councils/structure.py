"""Structure use cases (admin): services, places, councils, place forums, links, import."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import forum_graph
from participate.councils.models import (
    DEFAULT_SETTINGS,
    ConstitutionVersion,
    Council,
    ForumLink,
    Place,
    Service,
)
from participate.councils.services import (
    council_by_slug,
    load_graph,
    require_admin,
)
from participate.councils.structure_plan import (
    StructureError,
    existing_links,
    plan_import,
)
from participate.extensions import db
from participate.util import utcnow


def council_name(service: Service | None, place: Place) -> str:
    return (
        f"{place.name} place forum" if service is None else f"{service.name} council, {place.name}"
    )


def default_remit(service: Service | None, place: Place) -> str:
    if service is None:
        return (
            f"The cross-service forum of {place.name}, convened by the elected local authority: it brings "
            f"together every public service's council in {place.name} to settle what crosses their boundaries."
        )
    return (
        f"Two-way dialogue and shared decisions on {service.name.lower()} in {place.name} between the people "
        "who use the service, the people who run it, its leaders, elected members and partners."
    )


DEFAULT_TEXT = {
    "purpose": "To deliberate openly on how this service is run and to decide together what it should do next.",
    "values_text": "Openness, respect for every constituency, decisions by reasons, minority views recorded.",
    "promises": "We publish every agenda, vote and decision; we answer every petition that reaches its threshold "
    "within 60 days; we explain every decision that goes against a majority of any constituency.",
}


def _insert_councils(actor, entries: list[dict], services: dict, places: dict) -> dict[str, int]:
    """Insert councils and their first constitution versions in bulk; returns slug -> id."""
    if not entries:
        return {}
    now = utcnow()
    rows = []
    for entry in entries:
        service, place = services.get(entry.get("service")), places[entry["place"]]
        rows.append(
            {
                "slug": entry["slug"],
                "service_id": service.id if service else None,
                "place_id": place.id,
                "name": entry.get("name") or council_name(service, place),
                "remit": entry.get("remit") or default_remit(service, place),
                "created_at": now,
            }
        )
    ids: dict[str, int] = {}
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        db.session.execute(sa.insert(Council), chunk)
        slugs = [r["slug"] for r in chunk]
        ids.update(
            db.session.execute(
                sa.select(Council.slug, Council.id).where(Council.slug.in_(slugs))
            ).all()
        )
    versions = [
        {
            "council_id": ids[r["slug"]],
            "number": 1,
            "settings": dict(DEFAULT_SETTINGS),
            "reason": "First constitution",
            "cause": "created",
            "created_at": now,
            "created_by_id": getattr(actor, "id", None),
            **DEFAULT_TEXT,
        }
        for r in rows
    ]
    for start in range(0, len(versions), 2000):
        db.session.execute(sa.insert(ConstitutionVersion), versions[start : start + 2000])
    return ids


def import_structure(data: dict, actor=None) -> dict:
    """Import services, places, councils and links, all or nothing.

    Entries that already exist with the same slug and the same attributes are kept as they are,
    so importing the same file twice changes nothing. A place whose population changed gets the
    new population (it sets petition thresholds), with an audit event naming old and new. Every
    new local place gets its place forum (DESIGN §2) unless the file lists one: ``forum-<place>``,
    ringmaster of the place's service councils in the file. Every problem of the file is named
    in one refusal. Returns counts of what was created, and ``changed``: one line per update.
    """
    plan = plan_import(data)
    created = Counter()
    try:
        services = dict(plan.existing_services)
        for entry in plan.new_services:
            services[entry["slug"]] = Service(
                slug=entry["slug"],
                name=entry["name"].strip(),
                description=str(entry.get("description", "")),
            )
            db.session.add(services[entry["slug"]])
            created["services"] += 1
        places = dict(plan.existing_places)
        for entry in plan.new_places:  # parents before children, whatever the file's order
            places[entry["slug"]] = Place(
                slug=entry["slug"],
                name=entry["name"].strip(),
                level=entry["level"],
                parent=places.get(entry.get("parent")),
                population=entry.get("population"),
            )
            db.session.add(places[entry["slug"]])
            created["places"] += 1
        changed = []
        for place, old, new in plan.population_changes:
            place.population = new
            record_event(
                "place.population_changed",
                actor=actor,
                subject=place,
                data={"place": place.slug, "old": old, "new": new},
            )
            changed.append(f"population of place '{place.slug}': {old} -> {new}")
        db.session.flush()
        council_ids = {slug: c.id for slug, c in plan.existing_councils.items()}
        council_ids.update(_insert_councils(actor, plan.new_councils, services, places))
        created["councils"] = len(plan.new_councils)
        existing = {(a, b) for a, b, _ in existing_links()}
        link_rows = [
            {"from_council_id": council_ids[src], "to_council_id": council_ids[dst], "kind": kind}
            for src, dst, kind in plan.links
            if (src, dst) not in existing
        ]
        if link_rows:
            db.session.execute(sa.insert(ForumLink), link_rows)
        created["links"] = len(link_rows)
        detail = dict(created)
        new_slugs = [e["slug"] for e in plan.new_councils]
        if new_slugs:
            detail["new_councils"] = new_slugs[:50] + (
                [f"... and {len(new_slugs) - 50} more"] if len(new_slugs) > 50 else []
            )
        if plan.place_forums:
            detail["place_forums"] = sorted(plan.place_forums.values())
        only = (
            db.session.get(Council, council_ids[new_slugs[0]])
            if len(new_slugs) == 1 and not created["places"] and not created["services"]
            else None
        )
        record_event(
            "council.created" if only else "structure.imported",
            actor=actor,
            council=only,
            subject=only,
            data=detail,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    counts: dict = {k: created.get(k, 0) for k in ("services", "places", "councils", "links")}
    counts["changed"] = changed
    return counts


def complete_place_forums(actor=None) -> list[str]:
    """Give every local place without a place forum its forum (DESIGN §2), ringmaster of the
    place's service councils: what ``import_structure`` does for a new place, for places
    made before it did. Idempotent; returns the new forums' slugs. A taken ``forum-<place>``
    slug is refused by name, as an import would be."""
    forum_places = sa.select(Council.place_id).where(Council.service_id.is_(None))
    places = db.session.scalars(
        sa.select(Place).where(Place.level == "local", Place.id.not_in(forum_places))
    ).all()
    if not places:
        return []
    councils = db.session.execute(
        sa.select(Council.slug, Place.slug)
        .join(Place, Council.place_id == Place.id)
        .where(Council.service_id.is_not(None), Council.place_id.in_([p.id for p in places]))
    ).all()
    forums = {place.slug: f"forum-{place.slug}" for place in places}
    import_structure(
        {
            "councils": [{"slug": forum, "place": place} for place, forum in forums.items()],
            "links": [
                {"from": council, "to": forums[place], "kind": "ringmaster"}
                for council, place in councils
            ],
        },
        actor=actor,
    )
    return sorted(forums.values())


def create_service(admin, slug: str, name: str, description: str = "") -> Service:
    require_admin(admin)
    import_structure(
        {"services": [{"slug": slug, "name": name, "description": description}]}, actor=admin
    )
    return db.session.scalar(sa.select(Service).where(Service.slug == slug))


def create_place(
    admin, slug: str, name: str, level: str, parent: str | None, population: int | None
) -> Place:
    require_admin(admin)
    if db.session.scalar(sa.select(Place.id).where(Place.slug == slug)):
        raise StructureError([f"place '{slug}' already exists"])
    import_structure(
        {
            "places": [
                {
                    "slug": slug,
                    "name": name,
                    "level": level,
                    "parent": parent or None,
                    "population": population,
                }
            ]
        },
        actor=admin,
    )
    return db.session.scalar(sa.select(Place).where(Place.slug == slug))


def create_council(
    admin, slug: str, service: str | None, place: str, name: str = "", remit: str = ""
) -> Council:
    require_admin(admin)
    if db.session.scalar(sa.select(Council.id).where(Council.slug == slug)):
        raise StructureError([f"council '{slug}' already exists"])
    entry = {"slug": slug, "service": service or None, "place": place}
    if name.strip():
        entry["name"] = name.strip()
    if remit.strip():
        entry["remit"] = remit.strip()
    import_structure({"councils": [entry]}, actor=admin)
    return council_by_slug(slug)


def create_link(admin, src: str, dst: str, kind: str) -> ForumLink:
    """Add one forum link after the graph rules accept it (no cycle, upward, right kind)."""
    require_admin(admin)
    child, parent = council_by_slug(src), council_by_slug(dst)
    graph = load_graph()
    if graph.has_edge(src, dst):
        raise StructureError([f"{src} -> {dst} is already linked"])
    try:
        forum_graph.check_new_link(graph, src, dst, kind)
    except forum_graph.ForumGraphError as exc:
        raise StructureError(exc.problems) from exc
    link = ForumLink(from_council_id=child.id, to_council_id=parent.id, kind=kind)
    db.session.add(link)
    db.session.flush()
    record_event(
        "link.created",
        actor=admin,
        council=child,
        subject=link,
        data={"from": src, "to": dst, "kind": kind},
    )
    db.session.commit()
    return link
