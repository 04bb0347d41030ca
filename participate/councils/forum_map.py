"""The forum map page: one service's network as a picture with its levels as rows (national,
regional, local, and the place forums its local councils meet in), each local council under
its region, at a size where every label reads; and all services as a list filtered by
service and level. Every council is a link."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from participate.councils.models import Council, ForumLink, Service
from participate.errors import NotFound
from participate.extensions import db

LEVELS = (("nation", "National"), ("region", "Regional"), ("local", "Local"))
COLUMN = 118  # px per column of the picture: a place name of ~16 characters fits
ROW = 92
LEFT = 96  # room for the row names
TOP = 40


@dataclass
class Node:
    council: Council
    label: str
    x: float
    y: float
    parent: str | None = None  # slug of the council it reports to (or the one meeting in it)
    kind: str = "reports_to"


@dataclass
class Region:
    council: Council | None
    locals: list[tuple[Council, Council | None]] = field(default_factory=list)  # (local, forum)


@dataclass
class ServiceMap:
    service: Service
    national: list[Council]
    regions: list[Region]
    nodes: list[Node]
    rows: list[tuple[str, float]]
    width: int
    height: int


def _councils(service_id: int | None = None) -> list[Council]:
    query = sa.select(Council).options(joinedload(Council.place))
    if service_id is not None:
        query = query.where(Council.service_id == service_id)
    return list(db.session.scalars(query))


def service_map(service: Service) -> ServiceMap:
    """The picture's nodes and the same network as rows, for one service."""
    councils = {c.id: c for c in _councils(service.id)}
    links = db.session.execute(
        sa.select(ForumLink.from_council_id, ForumLink.to_council_id, ForumLink.kind).where(
            ForumLink.from_council_id.in_(list(councils) or [0])
        )
    ).all()
    parent = {a: b for a, b, kind in links if kind == "reports_to" and b in councils}
    forum_ids = {a: b for a, b, kind in links if kind == "ringmaster"}
    forums = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Council)
            .options(joinedload(Council.place))
            .where(Council.id.in_(list(forum_ids.values()) or [0]))
        )
    }

    def by_name(c: Council) -> str:
        return c.place.name

    national = sorted((c for c in councils.values() if c.place.level == "nation"), key=by_name)
    regional = sorted((c for c in councils.values() if c.place.level == "region"), key=by_name)
    regions = [Region(r) for r in regional]
    index = {r.council.id: r for r in regions}
    loose = Region(None)
    for local in sorted((c for c in councils.values() if c.place.level == "local"), key=by_name):
        region = index.get(parent.get(local.id), loose)
        region.locals.append((local, forums.get(forum_ids.get(local.id))))
    if loose.locals:
        regions.append(loose)

    y = {level: TOP + ROW * (i + 0.5) for i, level in enumerate(("nation", "region", "local"))}
    y["forum"] = TOP + ROW * 3.5
    nodes: list[Node] = []
    column = 0
    region_x: dict[int, float] = {}
    for region in regions:
        first = column
        for local, forum in region.locals:
            x = LEFT + COLUMN * (column + 0.5)
            nodes.append(
                Node(local, local.place.name, x, y["local"], _slug(councils, parent.get(local.id)))
            )
            if forum is not None:
                nodes.append(Node(forum, forum.place.name, x, y["forum"], local.slug, "ringmaster"))
            column += 1
        if region.council is not None:
            if column == first:  # a region with no local council of this service
                column += 1
            region_x[region.council.id] = LEFT + COLUMN * ((first + column) / 2)
    columns = max(column, len(regional), 1)
    for region in regions:
        if region.council is not None:
            c = region.council
            nodes.append(
                Node(
                    c, c.place.name, region_x[c.id], y["region"], _slug(councils, parent.get(c.id))
                )
            )
    for i, c in enumerate(national):  # at the left, where a phone's screen starts
        x = LEFT + COLUMN * (i + 1)
        nodes.append(Node(c, f"{service.name}, {c.place.name}", x, y["nation"]))
    rows = [("National", y["nation"]), ("Regional", y["region"]), ("Local", y["local"])]
    if forums:
        rows.append(("Place forums", y["forum"]))
    height = int(TOP + ROW * (len(rows)) + 8)
    return ServiceMap(
        service, national, regions, nodes, rows, int(LEFT + COLUMN * columns + 8), height
    )


def _slug(councils: dict[int, Council], council_id: int | None) -> str | None:
    council = councils.get(council_id) if council_id is not None else None
    return council.slug if council is not None else None


def all_councils(level: str | None) -> list[tuple[str, list[Council]]]:
    """Every council (services and place forums), by level, named in full: the national
    ones are told apart by their service ("Health and care council, England")."""
    if level not in (None, "", *(key for key, _ in LEVELS)):
        raise NotFound(f"There is no level '{level}': choose national, regional or local.")
    councils = _councils()
    out = []
    for key, label in LEVELS:
        if level and key != level:
            continue
        here = sorted(
            (c for c in councils if c.place.level == key),
            key=lambda c: (c.service_id is not None, c.place.name, c.name),
        )
        out.append((label, here))
    return out


def choose_service(slug: str | None) -> Service | None:
    """The service the map draws: the one asked for, else the first by name; None for all
    services (``all``)."""
    if slug == "all":
        return None
    query = sa.select(Service).order_by(Service.name)
    if slug:
        service = db.session.scalar(sa.select(Service).where(Service.slug == slug))
        if service is None:
            raise NotFound(f"There is no service '{slug}'.")
        return service
    return db.session.scalars(query).first()


def level_names() -> list[tuple[str, str]]:
    return list(LEVELS)
