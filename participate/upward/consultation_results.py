"""Reading consultations: aggregated results (by stance, level, region, constituency,
turnout-weighted),
amendments grouped by similarity, positions page by page, lists, a council's must-answer
list, and a consultation's spread over the forum network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from participate.core import cascade, clustering, position_constituencies
from participate.councils.models import Council, Place
from participate.errors import check_choice
from participate.extensions import db
from participate.upward.models import Consultation, ConsultationCouncil, Position
from participate.util import utcnow


@dataclass
class Results:
    consultation: Consultation
    aggregate: dict[str, Any]
    amendment_groups: list[dict[str, Any]]
    regions: dict[int, Place]


def results(consultation: Consultation) -> Results:
    """Positions aggregated (`participate.core.cascade.aggregate_positions`) and the
    amendments grouped by similarity, each group with a representative text."""
    places = {p.id: p for p in db.session.scalars(sa.select(Place).where(Place.level == "region"))}

    def region_slug(region_id):
        place = places.get(region_id)
        return place.slug if place else None

    level_counts = dict(
        db.session.execute(
            sa.select(ConsultationCouncil.level, sa.func.count())
            .where(ConsultationCouncil.consultation_id == consultation.id)
            .group_by(ConsultationCouncil.level)
        ).all()
    )
    region_counts = {
        region_slug(r): n
        for r, n in db.session.execute(
            sa.select(ConsultationCouncil.region_id, sa.func.count())
            .where(ConsultationCouncil.consultation_id == consultation.id)
            .group_by(ConsultationCouncil.region_id)
        )
        if r is not None and region_slug(r)
    }
    rows = db.session.execute(
        sa.select(
            Position.stance, Position.level, Position.region_id, Position.weight, Position.tally
        ).where(Position.consultation_id == consultation.id)
    ).all()
    aggregate = cascade.aggregate_positions(
        [
            {"stance": s, "level": lv, "region": region_slug(r), "weight": w}
            for s, lv, r, w, _tally in rows
        ],
        {"level": level_counts, "region": region_counts},
    )
    # DESIGN §5: by constituency too, from the tallies of the deciding motions.
    aggregate.update(
        position_constituencies.by_constituency(
            [{"stance": s, "tally": tally} for s, _lv, _r, _w, tally in rows]
        )
    )
    groups: dict[int, list[Position]] = {}
    for position in db.session.scalars(
        sa.select(Position)
        .where(Position.consultation_id == consultation.id, Position.stance == "amend")
        .order_by(Position.submitted_at, Position.id)
    ):
        key = position.amendment_group if position.amendment_group is not None else -position.id
        groups.setdefault(key, []).append(position)
    amendment_groups = []
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        items = [
            {"id": p.id, "title": p.text.split("\n")[0][:200], "body": p.text} for p in members
        ]
        amendment_groups.append(
            {
                "key": key,
                "title": clustering.representative_title(items),
                "positions": members,
            }
        )
    return Results(consultation, aggregate, amendment_groups, places)


STATES = ("open", "closed", "adopted")


def positions_page(consultation: Consultation, page: int = 1, per_page: int = 50, stance: str = ""):
    query = sa.select(Position).where(Position.consultation_id == consultation.id)
    check_choice(stance, cascade.STANCES, "stance")
    if stance:
        query = query.where(Position.stance == stance)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.session.scalars(
            query.order_by(Position.submitted_at.desc(), Position.id.desc())
            .offset((max(1, page) - 1) * per_page)
            .limit(per_page)
        )
    )
    return rows, total


def list_consultations(*, state: str = "", council: Council | None = None) -> list[Consultation]:
    check_choice(state, STATES, "state")
    query = sa.select(Consultation)
    now = utcnow()
    if council is not None:
        query = query.where(Consultation.council_id == council.id)
    if state == "open":
        query = query.where(Consultation.closes_at > now, Consultation.adopted_at.is_(None))
    elif state == "closed":
        query = query.where(Consultation.closes_at <= now, Consultation.adopted_at.is_(None))
    elif state == "adopted":
        query = query.where(Consultation.adopted_at.is_not(None))
    return list(
        db.session.scalars(query.order_by(Consultation.published_at.desc(), Consultation.id.desc()))
    )


@dataclass
class CouncilConsultations:
    must_answer: list[Consultation]
    answered: list[tuple[Consultation, Position]]
    missed: list[Consultation]
    published: list[Consultation]


def for_council(council: Council) -> CouncilConsultations:
    """The council's consultations: still to answer, answered, missed, and its own."""
    now = utcnow()
    sent = list(
        db.session.scalars(
            sa.select(Consultation)
            .join(ConsultationCouncil, ConsultationCouncil.consultation_id == Consultation.id)
            .where(ConsultationCouncil.council_id == council.id)
            .order_by(Consultation.closes_at, Consultation.id)
        )
    )
    positions = {
        p.consultation_id: p
        for p in db.session.scalars(
            sa.select(Position).where(
                Position.council_id == council.id,
                Position.consultation_id.in_([c.id for c in sent] or [-1]),
            )
        )
    }
    must, answered, missed = [], [], []
    for consultation in sent:
        if consultation.id in positions:
            answered.append((consultation, positions[consultation.id]))
        elif consultation.state(now) == "open":
            must.append(consultation)
        else:
            missed.append(consultation)
    return CouncilConsultations(
        must_answer=must,
        answered=answered,
        missed=missed,
        published=list_consultations(council=council),
    )


def spread(consultation: Consultation) -> tuple[set[int], dict[int, str]]:
    """The council ids a consultation reached, and the stance of those that answered."""
    reached = set(
        db.session.scalars(
            sa.select(ConsultationCouncil.council_id).where(
                ConsultationCouncil.consultation_id == consultation.id
            )
        )
    )
    stances = dict(
        db.session.execute(
            sa.select(Position.council_id, Position.stance).where(
                Position.consultation_id == consultation.id
            )
        ).all()
    )
    return reached, stances
