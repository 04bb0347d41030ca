"""Looking petitions up and listing them, and the words the pages use for their kinds,
decisions and routes.

Who may see a petition (`can_view`), the petition a page shows (`petition_for`, which
closes it first if its deadline has passed), its sponsors, the public list with counts
(`list_petitions`), and the lists a clerk or an author works from. For the rounds feature:
`must_answer(council)`, the petitions past their threshold the council must answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from participate.core import petitions as rules
from participate.councils.access import role_in
from participate.councils.models import Council
from participate.errors import DomainError, NotFound, check_choice
from participate.extensions import db
from participate.petitions import shown_counts
from participate.petitions.closing import close_expired, close_if_due
from participate.petitions.models import (
    PUBLISHED,
    SIGNABLE,
    Petition,
    PetitionCounter,
    PetitionSponsor,
)
from participate.util import utcnow

KIND_LABELS = {
    "cooperative_governance": "Co-operative governance",
    "early_scrutiny": "Early scrutiny or inspection",
    "constitution_change": "Change to the council's constitution",
}
KIND_HINTS = {
    "cooperative_governance": "Adopt co-operative styles of governance within the service: "
    "member ownership, an elected stakeholder board.",
    "early_scrutiny": "Trigger an early inspection or local scrutiny of the service over its "
    "performance or ethos.",
    "constitution_change": "Change the council's own constitution: weights, quorum, "
    "thresholds, promises.",
}
DECISION_LABELS = {
    "adopted": "Adopted",
    "partly_adopted": "Partly adopted",
    "rejected": "Not adopted",
}
ROUTE_LABELS = {
    "round": "Answered through a deliberation round",
    "meeting": "Answered at a council meeting, outside a deliberation round",
}
# Statuses anyone may see (a rejected petition shows its public reason).
PUBLIC_STATUSES = (*PUBLISHED, "rejected")


def petition_by_id(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        raise NotFound("There is no such petition. See the list of petitions.")
    return petition


def can_view(user, petition: Petition) -> bool:
    """Published and rejected petitions are public; drafts are the author's and the clerks'."""
    if petition.status in PUBLIC_STATUSES:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if petition.author_id == user.id:
        return True
    if role_in(user, petition.council) == "clerk":
        return True
    return is_sponsor(user, petition)


def petition_for(user, petition_id: int) -> Petition:
    """The petition if the person may see it; closes it first if its deadline has passed."""
    petition = petition_by_id(petition_id)
    if not can_view(user, petition):
        raise NotFound("There is no such petition. See the list of petitions.")
    deadline = petition.signing_deadline
    if petition.status == "open" and deadline is not None and utcnow() >= deadline:
        if close_if_due(petition.id):
            db.session.refresh(petition)
    return petition


def is_sponsor(user, petition: Petition) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            sa.select(PetitionSponsor.id).where(
                PetitionSponsor.petition_id == petition.id, PetitionSponsor.user_id == user.id
            )
        )
        is not None
    )


def sponsors_of(petition: Petition) -> list[PetitionSponsor]:
    return list(
        db.session.scalars(
            sa.select(PetitionSponsor)
            .options(joinedload(PetitionSponsor.user))
            .where(PetitionSponsor.petition_id == petition.id)
            .order_by(PetitionSponsor.id)
        )
    )


def sponsor_count(petition: Petition) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(PetitionSponsor.petition_id == petition.id)
        )
        or 0
    )


@dataclass
class Listing:
    items: list[tuple[Petition, int]]
    total: int
    page: int
    pages: int


def list_petitions(
    *,
    council: Council | None = None,
    kind: str | None = None,
    status: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> Listing:
    """Public petitions with their counts, filtered by council, kind and status, sorted."""
    now = now or utcnow()
    close_expired(now)
    check_choice(sort, rules.SORTS, "sort")
    sort = rules.sort_or_default(sort)
    count = sa.func.coalesce(PetitionCounter.count, 0)
    query = (
        sa.select(Petition, count)
        .outerjoin(PetitionCounter, PetitionCounter.petition_id == Petition.id)
        .where(Petition.status.in_(PUBLIC_STATUSES))
    )
    if council is not None:
        query = query.where(Petition.council_id == council.id)
    if kind:
        if kind not in rules.KINDS:
            raise DomainError(
                f"Unknown kind {kind!r}: choose one of {', '.join(rules.KINDS)}.",
                code="bad_filter",
            )
        query = query.where(Petition.kind == kind)
    if status:
        if status not in PUBLIC_STATUSES:
            raise DomainError(
                f"Unknown status {status!r}: choose one of {', '.join(PUBLIC_STATUSES)}.",
                code="bad_filter",
            )
        query = query.where(Petition.status == status)
    if sort == "most_signed":
        query = query.order_by(count.desc(), Petition.id.desc())
    elif sort == "newest":
        query = query.order_by(
            sa.func.coalesce(Petition.opened_at, Petition.created_at).desc(), Petition.id.desc()
        )
    else:  # closing soon: petitions still taking signatures, nearest deadline first
        if not status:
            query = query.where(Petition.status.in_(SIGNABLE), Petition.signing_deadline > now)
        query = query.order_by(Petition.signing_deadline.asc(), Petition.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    signable = [p.id for p, _n in rows if p.status in SIGNABLE]
    if signable:
        shown_counts.refresh_listed(signable, now)
        fresh = dict(
            db.session.execute(
                sa.select(PetitionCounter.petition_id, PetitionCounter.count).where(
                    PetitionCounter.petition_id.in_(signable)
                )
            ).all()
        )
        rows = [(p, fresh.get(p.id, n)) for p, n in rows]
    return Listing([(p, n) for p, n in rows], total, page, pages)


def must_answer(council: Council) -> list[Petition]:
    """Petitions past their threshold that the council must answer, the most urgent first."""
    return list(
        db.session.scalars(
            sa.select(Petition)
            .where(Petition.council_id == council.id, Petition.status == "threshold_reached")
            .order_by(Petition.response_due_at, Petition.id)
        )
    )


def moderation_queue(council: Council) -> list[Petition]:
    return list(
        db.session.scalars(
            sa.select(Petition)
            .where(Petition.council_id == council.id, Petition.status == "in_moderation")
            .order_by(Petition.submitted_at, Petition.id)
        )
    )


def petitions_of_author(user) -> list[Petition]:
    return list(
        db.session.scalars(
            sa.select(Petition).where(Petition.author_id == user.id).order_by(Petition.id.desc())
        )
    )
