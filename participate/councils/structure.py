"""Structure use cases (admin): services, places, councils, place forums, links, import."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import forum_graph
from participate.councils.models import (
    DEFAULT_SETTINGS,
    LEVELS,
    LINK_KINDS,
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
from participate.errors import DomainError
from participate.extensions import db
from participate.util import SLUG_RE, utcnow

LEVEL_RANK = {"local": 0, "region": 1, "nation": 2}


class StructureError(DomainError):
    """Refuses a structure change, naming every offending entry."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The structure was refused: " + "; ".join(problems), code="bad_structure")


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


def _check_slug(slug: str, what: str, problems: list[str]) -> None:
    if not slug or not SLUG_RE.match(slug):
        problems.append(
            f"{what} slug '{slug}' must be lowercase letters, digits and single hyphens"
        )


def import_structure(data: dict, actor=None) -> dict:
    """Import services, places, councils and links, all or nothing.

    Entries that already exist with the same slug and the same attributes are kept as they are,
    so importing the same file twice changes nothing. Returns counts of what was created.
    """
    if not isinstance(data, dict):
        raise StructureError(
            ["the file must be a mapping with services, places, councils and links"]
        )
    problems: list[str] = []
    sections = {}
    for key in ("services", "places", "councils", "links"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problems.append(f"'{key}' must be a list of mappings")
            value = []
        sections[key] = value
    unknown_keys = set(data) - {"services", "places", "councils", "links"}
    if unknown_keys:
        problems.append(f"unknown sections: {', '.join(sorted(unknown_keys))}")

    existing_services = {s.slug: s for s in db.session.scalars(sa.select(Service))}
    existing_places = {p.slug: p for p in db.session.scalars(sa.select(Place))}
    existing_councils = {c.slug: c for c in db.session.scalars(sa.select(Council))}

    def duplicates(entries, what):
        counts = Counter(str(e.get("slug")) for e in entries)
        for slug, n in counts.items():
            if n > 1:
                problems.append(f"{what} '{slug}' is listed {n} times")

    duplicates(sections["services"], "service")
    duplicates(sections["places"], "place")
    duplicates(sections["councils"], "council")

    new_services = []
    for entry in sections["services"]:
        slug, name = str(entry.get("slug", "")), str(entry.get("name", "")).strip()
        _check_slug(slug, "service", problems)
        if not name:
            problems.append(f"service '{slug}' needs a name")
        if slug in existing_services:
            if existing_services[slug].name != name:
                problems.append(f"service '{slug}' already exists with another name")
            continue
        new_services.append(entry)
    service_slugs = set(existing_services) | {str(e.get("slug")) for e in sections["services"]}

    place_entries = {str(e.get("slug")): e for e in sections["places"]}
    place_level = {slug: p.level for slug, p in existing_places.items()}
    place_level.update({slug: e.get("level") for slug, e in place_entries.items()})
    new_places = []
    for slug, entry in place_entries.items():
        _check_slug(slug, "place", problems)
        level, parent = entry.get("level"), entry.get("parent")
        if not str(entry.get("name", "")).strip():
            problems.append(f"place '{slug}' needs a name")
        if level not in LEVELS:
            problems.append(f"place '{slug}' has level '{level}'; use nation, region or local")
        if parent is not None:
            if parent not in place_level:
                problems.append(f"place '{slug}' names an unknown parent place '{parent}'")
            elif (
                level in LEVEL_RANK
                and place_level[parent] in LEVEL_RANK
                and LEVEL_RANK[place_level[parent]] <= LEVEL_RANK[level]
            ):
                problems.append(
                    f"place '{slug}' ({level}) cannot sit under '{parent}' ({place_level[parent]}): a parent must be a higher level"
                )
        elif level in ("region", "local"):
            problems.append(f"place '{slug}' is {level} and needs a parent place")
        population = entry.get("population")
        if population is not None and (not isinstance(population, int) or population < 0):
            problems.append(f"place '{slug}' population must be a whole number >= 0")
        if slug in existing_places:
            old = existing_places[slug]
            if old.level != level or (old.parent.slug if old.parent else None) != parent:
                problems.append(f"place '{slug}' already exists with another level or parent")
            continue
        new_places.append(entry)

    council_nodes = {
        slug: (c.place.level, c.service.slug if c.service else None)
        for slug, c in existing_councils.items()
    }
    new_councils = []
    forum_places = Counter()
    for entry in sections["councils"]:
        slug, service, place = str(entry.get("slug", "")), entry.get("service"), entry.get("place")
        _check_slug(slug, "council", problems)
        if service is not None and service not in service_slugs:
            problems.append(f"council '{slug}' names an unknown service '{service}'")
        if place not in place_level:
            problems.append(f"council '{slug}' names an unknown place '{place}'")
            continue
        if service is None:
            forum_places[place] += 1
        if slug in existing_councils:
            old = existing_councils[slug]
            if old.place.slug != place or (old.service.slug if old.service else None) != service:
                problems.append(f"council '{slug}' already exists for another service or place")
            continue
        council_nodes[slug] = (place_level[place], service)
        new_councils.append(entry)
    for place, n in forum_places.items():
        if n > 1:
            problems.append(f"place '{place}' has {n} place forums; a place has one")
    pairs = Counter(
        (e.get("service"), e.get("place")) for e in sections["councils"] if e.get("service")
    )
    for (service, place), n in pairs.items():
        if n > 1:
            problems.append(
                f"service '{service}' has {n} councils in place '{place}'; it has one per place"
            )

    links = []
    for i, entry in enumerate(sections["links"]):
        src, dst, kind = entry.get("from"), entry.get("to"), entry.get("kind", "reports_to")
        if kind not in LINK_KINDS:
            problems.append(
                f"links[{i}] {src} -> {dst} has kind '{kind}'; use reports_to or ringmaster"
            )
            continue
        links.append((src, dst, kind))
    existing_links = [(a, b, k) for a, b, k in _existing_links()]
    linked = {(a, b) for a, b, _ in existing_links}
    graph_links = existing_links + [link for link in links if (link[0], link[1]) not in linked]
    if not problems:
        try:
            forum_graph.build_graph(
                [(s, lv, sv) for s, (lv, sv) in council_nodes.items()], graph_links
            )
        except forum_graph.ForumGraphError as exc:
            problems.extend(exc.problems)
    if problems:
        db.session.rollback()
        raise StructureError(problems)

    created = Counter()
    try:
        services = dict(existing_services)
        for entry in new_services:
            services[entry["slug"]] = Service(
                slug=entry["slug"],
                name=entry["name"].strip(),
                description=str(entry.get("description", "")),
            )
            db.session.add(services[entry["slug"]])
            created["services"] += 1
        places = dict(existing_places)
        pending = list(new_places)
        while pending:  # parents before children, whatever the file's order
            progress = False
            for entry in list(pending):
                parent = entry.get("parent")
                if parent is None or parent in places:
                    places[entry["slug"]] = Place(
                        slug=entry["slug"],
                        name=entry["name"].strip(),
                        level=entry["level"],
                        parent=places.get(parent),
                        population=entry.get("population"),
                    )
                    db.session.add(places[entry["slug"]])
                    pending.remove(entry)
                    created["places"] += 1
                    progress = True
            if not progress:
                raise StructureError(
                    [f"places {', '.join(e['slug'] for e in pending)} form a loop of parents"]
                )
        db.session.flush()
        council_ids = {slug: c.id for slug, c in existing_councils.items()}
        council_ids.update(_insert_councils(actor, new_councils, services, places))
        created["councils"] = len(new_councils)
        existing = {(a, b) for a, b, _ in _existing_links()}
        link_rows = [
            {"from_council_id": council_ids[src], "to_council_id": council_ids[dst], "kind": kind}
            for src, dst, kind in links
            if (src, dst) not in existing
        ]
        if link_rows:
            db.session.execute(sa.insert(ForumLink), link_rows)
        created["links"] = len(link_rows)
        detail = dict(created)
        new_slugs = [e["slug"] for e in new_councils]
        if new_slugs:
            detail["new_councils"] = new_slugs[:50] + (
                [f"... and {len(new_slugs) - 50} more"] if len(new_slugs) > 50 else []
            )
        only = db.session.get(Council, council_ids[new_slugs[0]]) if len(new_slugs) == 1 else None
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
    return {k: created.get(k, 0) for k in ("services", "places", "councils", "links")}


def _existing_links():
    from sqlalchemy.orm import aliased

    child, parent = aliased(Council), aliased(Council)
    return db.session.execute(
        sa.select(child.slug, parent.slug, ForumLink.kind)
        .join(child, ForumLink.from_council_id == child.id)
        .join(parent, ForumLink.to_council_id == parent.id)
    ).all()


# ---------------------------------------------------------------- one at a time (admin pages)


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
