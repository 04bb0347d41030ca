"""Finding a council: by name, service or place, filtered by service and level, a page at a time.

One search behind the ``/councils`` page and ``GET /api/v1/councils``. A query that names a
place the platform knows (its name or its slug, the way a postcode names an area) finds the
councils that serve that place: its own, and those of the region and nation above it. Any other
query matches every word against the council's name, its service and its place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from participate.councils.models import Council, Place, Service
from participate.councils.services import LEVEL_ORDER, check_council_filters
from participate.errors import DomainError
from participate.extensions import db

MAX_QUERY = 100  # characters: longer than any place, service or council name
MAX_WORDS = 8
PER_PAGE = 20
MAX_PER_PAGE = 200
# Councils serving a place: its own first, then the region's, then the nation's.
NEAREST_FIRST = sa.case({"local": 0, "region": 1, "nation": 2}, value=Place.level)


@dataclass
class CouncilPage:
    """One page of councils found, with what was asked and what the query was taken to mean."""

    items: list[Council]
    total: int
    page: int
    pages: int
    per_page: int
    q: str = ""
    service: str | None = None
    level: str | None = None
    place: Place | None = None  # the place the query named, when it named one
    places: list[Place] = field(default_factory=list)  # places whose name the query is part of

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def clean_query(raw: str | None) -> str:
    """The query as searched: spaces collapsed; longer than ``MAX_QUERY`` is refused by name."""
    text = " ".join((raw or "").split())
    if len(text) > MAX_QUERY:
        raise DomainError(
            f"A council search has at most {MAX_QUERY} characters: search for a place, "
            "a service or a council's name.",
            code="bad_q",
            field="q",
        )
    return text


def _slug_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def place_named(q: str) -> Place | None:
    """The place whose name or slug is exactly ``q`` (ignoring case, spaces and dashes)."""
    if not q:
        return None
    slug = _slug_of(q)
    return db.session.scalar(
        sa.select(Place)
        .where(sa.or_(sa.func.lower(Place.name) == q.lower(), Place.slug == slug))
        .order_by(Place.id)
        .limit(1)
    )


def place_and_above(place: Place) -> list[int]:
    """The ids of ``place`` and every place above it (region, nation)."""
    ids, seen, current = [], set(), place
    while current is not None and current.id not in seen:  # a cycle cannot loop forever
        ids.append(current.id)
        seen.add(current.id)
        current = current.parent
    return ids


def places_like(q: str, limit: int = 5) -> list[Place]:
    """Places whose name holds ``q``, for "did you mean" links (the largest first)."""
    if not q:
        return []
    return list(
        db.session.scalars(
            sa.select(Place)
            .where(Place.name.icontains(q, autoescape=True))
            .order_by(Place.population.desc().nulls_last(), Place.name)
            .limit(limit)
        )
    )


def search_councils(
    *,
    q: str | None = None,
    service: str | None = None,
    level: str | None = None,
    page: int = 1,
    per_page: int | None = PER_PAGE,
) -> CouncilPage:
    """Councils matching ``q`` (a place, or words of a name), ``service`` and ``level``.

    ``per_page=None`` gives every match on one page. An unknown service or level, or an
    over-long query, is refused naming the values allowed (``bad_service``, ``bad_level``,
    ``bad_q``); a page past the last gives the last page.
    """
    check_council_filters(service=service, level=level)
    text = clean_query(q)
    query = sa.select(Council).join(Council.place).outerjoin(Council.service)
    if service:
        query = query.where(Service.slug == service)
    if level:
        query = query.where(Place.level == level)
    place = place_named(text)
    if place is not None:
        query = query.where(Council.place_id.in_(place_and_above(place)))
        order = (NEAREST_FIRST, Service.name.nulls_first(), Place.name, Council.id)
    else:
        for word in text.split()[:MAX_WORDS]:
            query = query.where(
                sa.or_(
                    Council.name.icontains(word, autoescape=True),
                    Council.slug.icontains(word, autoescape=True),
                    Service.name.icontains(word, autoescape=True),
                    Place.name.icontains(word, autoescape=True),
                )
            )
        order = (LEVEL_ORDER, Service.name.nulls_first(), Place.name, Council.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    size = per_page or max(total, 1)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    query = query.options(contains_eager(Council.place), contains_eager(Council.service))
    rows = list(db.session.scalars(query.order_by(*order).limit(size).offset((page - 1) * size)))
    return CouncilPage(
        items=rows,
        total=total,
        page=page,
        pages=pages,
        per_page=size,
        q=text,
        service=service,
        level=level,
        place=place,
        places=[] if place is not None else places_like(text),
    )
