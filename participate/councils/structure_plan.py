"""Checks a structure file against the database, naming every problem, and plans the writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from participate.core import forum_graph
from participate.councils.models import LEVELS, LINK_KINDS, Council, ForumLink, Place, Service
from participate.errors import DomainError
from participate.extensions import db
from participate.params import MAX_ID, has_control_characters
from participate.util import SLUG_RE

LEVEL_RANK = {"local": 0, "region": 1, "nation": 2}
TEXT_FIELDS = {"slug", "name", "description", "remit", "level", "parent", "service", "place"}
TEXT_FIELDS |= {"from", "to", "kind"}


class StructureError(DomainError):
    """Refuses a structure change, naming every offending entry."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The structure was refused: " + "; ".join(problems), code="bad_structure")


def _check_slug(slug: str, what: str, problems: list[str]) -> None:
    if not slug or not SLUG_RE.match(slug):
        problems.append(
            f"{what} slug '{slug}' must be lowercase letters, digits and single hyphens"
        )


@dataclass
class ImportPlan:
    existing_services: dict
    existing_places: dict
    existing_councils: dict
    new_services: list = field(default_factory=list)
    new_places: list = field(default_factory=list)  # parents before children
    population_changes: list = field(default_factory=list)  # (place, old, new)
    new_councils: list = field(default_factory=list)
    place_forums: dict = field(default_factory=dict)  # new local place slug -> forum slug
    links: list = field(default_factory=list)


def plan_import(data) -> ImportPlan:
    """Check a structure file against the database; every problem found, or the plan to write."""
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
        # A list or number where a slug or name belongs is named by the checks below, as text.
        sections[key] = [
            {k: str(v) if k in TEXT_FIELDS and v is not None else v for k, v in entry.items()}
            for entry in value
        ]
        for n, entry in enumerate(sections[key], start=1):
            for k, v in entry.items():
                if isinstance(v, str) and has_control_characters(v):
                    problems.append(f"{key} entry {n}: '{k}' holds a control character")
                    entry[k] = ""  # named once here, not again as a bad slug or name
    unknown_keys = set(data) - {"services", "places", "councils", "links"}
    if unknown_keys:
        problems.append(f"unknown sections: {', '.join(sorted(unknown_keys))}")

    plan = ImportPlan(
        existing_services={s.slug: s for s in db.session.scalars(sa.select(Service))},
        existing_places={p.slug: p for p in db.session.scalars(sa.select(Place))},
        existing_councils={c.slug: c for c in db.session.scalars(sa.select(Council))},
    )
    existing_services, existing_places = plan.existing_services, plan.existing_places
    existing_councils = plan.existing_councils

    def duplicates(entries, what):
        counts = Counter(str(e.get("slug")) for e in entries)
        for slug, n in counts.items():
            if n > 1:
                problems.append(f"{what} '{slug}' is listed {n} times")

    duplicates(sections["services"], "service")
    duplicates(sections["places"], "place")
    duplicates(sections["councils"], "council")

    for entry in sections["services"]:
        slug, name = str(entry.get("slug", "")), str(entry.get("name", "")).strip()
        _check_slug(slug, "service", problems)
        if not name:
            problems.append(f"service '{slug}' needs a name")
        if slug in existing_services:
            if existing_services[slug].name != name:
                problems.append(f"service '{slug}' already exists with another name")
            description = entry.get("description")
            if description is not None and description != existing_services[slug].description:
                problems.append(
                    f"service '{slug}' already exists with another description; the import does "
                    "not change it: keep the stored description in the file or leave it out"
                )
            continue
        plan.new_services.append(entry)
    service_slugs = set(existing_services) | {str(e.get("slug")) for e in sections["services"]}

    place_entries = {str(e.get("slug")): e for e in sections["places"]}
    place_level = {slug: p.level for slug, p in existing_places.items()}
    place_level.update({slug: e.get("level") for slug, e in place_entries.items()})
    new_places = []
    for slug, entry in place_entries.items():
        _check_slug(slug, "place", problems)
        level, parent = entry.get("level"), entry.get("parent")
        name = str(entry.get("name", "")).strip()
        if not name:
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
        population_ok = population is None or (
            isinstance(population, int)
            and not isinstance(population, bool)
            and 0 <= population <= MAX_ID
        )
        if not population_ok:
            problems.append(
                f"place '{slug}' population must be a whole number from 0 to {MAX_ID:,}"
            )
        if slug in existing_places:
            old = existing_places[slug]
            if old.level != level or (old.parent.slug if old.parent else None) != parent:
                problems.append(f"place '{slug}' already exists with another level or parent")
            if name and old.name != name:
                problems.append(
                    f"place '{slug}' already exists with another name ('{old.name}'); "
                    "keep that name in the file"
                )
            # No population in the file leaves the stored one; a different one replaces it.
            if population_ok and population is not None and population != old.population:
                plan.population_changes.append((old, old.population, population))
            continue
        new_places.append(entry)
    plan.new_places = _parents_first(new_places, set(existing_places), problems)

    council_nodes = {
        slug: (c.place.level, c.service.slug if c.service else None)
        for slug, c in existing_councils.items()
    }
    forum_at = {c.place.slug: c.slug for c in existing_councils.values() if c.is_forum}
    council_at = {
        (c.service.slug, c.place.slug): c.slug for c in existing_councils.values() if not c.is_forum
    }
    refused: set[str] = set()  # councils already named in a problem; their links are not checked
    forum_places = Counter()
    for entry in sections["councils"]:
        slug, service, place = str(entry.get("slug", "")), entry.get("service"), entry.get("place")
        _check_slug(slug, "council", problems)
        if service is not None and service not in service_slugs:
            problems.append(f"council '{slug}' names an unknown service '{service}'")
        if place not in place_level:
            problems.append(f"council '{slug}' names an unknown place '{place}'")
            refused.add(slug)
            continue
        if place_level[place] not in LEVEL_RANK:  # the place's own problem names it
            refused.add(slug)
            continue
        if service is None:
            forum_places[place] += 1
        if slug in existing_councils:
            old = existing_councils[slug]
            if old.place.slug != place or (old.service.slug if old.service else None) != service:
                problems.append(f"council '{slug}' already exists for another service or place")
            for key in ("name", "remit"):
                if entry.get(key) and entry[key] != getattr(old, key):
                    problems.append(
                        f"council '{slug}' already exists with another {key}; the import does "
                        f"not change it: keep the stored {key} in the file or leave it out"
                    )
            continue
        if service is None and place in forum_at:
            problems.append(
                f"place '{place}' already has its place forum '{forum_at[place]}'; a place has "
                f"one: link service councils to '{forum_at[place]}' instead of adding '{slug}'"
            )
        elif service is not None and (service, place) in council_at:
            problems.append(
                f"service '{service}' already has a council in place '{place}' "
                f"('{council_at[service, place]}'); it has one per place"
            )
        council_nodes[slug] = (place_level[place], service)
        plan.new_councils.append(entry)
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

    council_slugs = set(existing_councils) | {str(e.get("slug")) for e in sections["councils"]}
    for entry in plan.new_places:
        slug = str(entry.get("slug"))
        if entry.get("level") != "local" or slug in forum_places or not SLUG_RE.match(slug):
            continue
        forum = f"forum-{slug}"
        if forum in council_slugs or len(forum) > 80:
            reason = "is taken" if forum in council_slugs else "is longer than 80 characters"
            problems.append(
                f"local place '{slug}' needs its place forum, but the slug '{forum}' {reason}; "
                f"list its place forum in councils with a free slug: {{slug: ..., place: {slug}}}"
            )
            continue
        plan.place_forums[slug] = forum
        plan.new_councils.append({"slug": forum, "place": slug})
        council_nodes[forum] = ("local", None)

    links = []
    for i, entry in enumerate(sections["links"]):
        src, dst, kind = entry.get("from"), entry.get("to"), entry.get("kind", "reports_to")
        if kind not in LINK_KINDS:
            problems.append(
                f"links[{i}] {src} -> {dst} has kind '{kind}'; use reports_to or ringmaster"
            )
            continue
        links.append((src, dst, kind))
    listed = {(src, dst) for src, dst, _ in links}
    links += [  # the service councils of a new local place answer to its new forum
        (e.get("slug"), plan.place_forums[e.get("place")], "ringmaster")
        for e in plan.new_councils
        if e.get("service") is not None
        and e.get("place") in plan.place_forums
        and (e.get("slug"), plan.place_forums[e.get("place")]) not in listed
    ]
    plan.links = links
    stored_links = [(a, b, k) for a, b, k in existing_links()]
    linked = {(a, b) for a, b, _ in stored_links}
    graph_links = stored_links + [
        link
        for link in links
        if (link[0], link[1]) not in linked and not {link[0], link[1]} & refused
    ]
    try:
        forum_graph.build_graph([(s, lv, sv) for s, (lv, sv) in council_nodes.items()], graph_links)
    except forum_graph.ForumGraphError as exc:
        problems.extend(exc.problems)
    if problems:
        db.session.rollback()
        raise StructureError(list(dict.fromkeys(problems)))
    return plan


def _parents_first(entries: list[dict], known: set[str], problems: list[str]) -> list[dict]:
    """New places ordered parents before children; a loop of parents is a problem."""
    ordered, placed, pending = [], set(known), list(entries)
    slugs = {str(e.get("slug")) for e in entries}
    while pending:
        ready = [
            e
            for e in pending
            if e.get("parent") is None or e["parent"] in placed or e["parent"] not in slugs | known
        ]
        if not ready:
            problems.append(
                f"places {', '.join(str(e.get('slug')) for e in pending)} form a loop of parents"
            )
            break
        for entry in ready:
            ordered.append(entry)
            placed.add(str(entry.get("slug")))
            pending.remove(entry)
    return ordered


def existing_links():
    child, parent = aliased(Council), aliased(Council)
    return db.session.execute(
        sa.select(child.slug, parent.slug, ForumLink.kind)
        .join(child, ForumLink.from_council_id == child.id)
        .join(parent, ForumLink.to_council_id == parent.id)
    ).all()
