"""Open-data records of petitions and of the upward and downward flows: petitions and their
counts, forwarded proposals with their answers, consultations and positions (see
participate.opendata.services)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS, Council, Place
from participate.extensions import db
from participate.opendata.chunks import Record, chunks
from participate.opendata.formats import iso
from participate.petitions.models import Petition, PetitionCounter, PetitionTally
from participate.petitions.reading import PUBLIC_STATUSES
from participate.proposals.models import Proposal
from participate.upward.models import Answer, Consultation, ConsultationCouncil, Forward, Position

# ---------------------------------------------------------------- petitions


def _public_petitions(council_id: int | None) -> sa.Select:
    query = (
        sa.select(
            Petition.id.label("_key"),
            Council.slug,
            Petition.kind,
            Petition.title,
            Petition.change_text,
            Petition.reason_text,
            Petition.status,
            PetitionCounter.count,
            PetitionCounter.refreshed_at,
            Petition.threshold,
            Petition.opened_at,
            Petition.signing_deadline,
            Petition.threshold_reached_at,
            Petition.response_due_at,
            Petition.responded_at,
            Petition.response_decision,
            Petition.response_text,
            Petition.rejection_reason,
            Petition.closed_at,
        )
        .join(Council, Council.id == Petition.council_id)
        .outerjoin(PetitionCounter, PetitionCounter.petition_id == Petition.id)
        .where(Petition.status.in_(PUBLIC_STATUSES))
    )
    if council_id is not None:
        query = query.where(Petition.council_id == council_id)
    return query


def petitions(council_id: int | None) -> Iterator[Record]:
    for rows in chunks(_public_petitions(council_id), Petition.id):
        ids = [r._key for r in rows]
        by_constituency = _tallies(ids, "constituency")
        for r in rows:
            rejected = r.status == "rejected"
            record: Record = {
                "id": r._key,
                "council": r.slug,
                "kind": r.kind,
                "title": r.title,
                "change": r.change_text,
                "reason": r.reason_text,
                "status": r.status,
                "signatures": 0 if rejected else (r.count or 0),
                "counted_at": None if rejected else iso(r.refreshed_at),
                "threshold": r.threshold,
                "opened_at": iso(r.opened_at),
                "signing_deadline": iso(r.signing_deadline),
                "threshold_reached_at": iso(r.threshold_reached_at),
                "response_due_at": iso(r.response_due_at),
                "responded_at": iso(r.responded_at),
                "response_decision": r.response_decision if r.status == "closed" else None,
                "response": (r.response_text or None) if r.status == "closed" else None,
                "rejection_reason": r.rejection_reason if rejected else None,
                "closed_at": iso(r.closed_at),
            }
            counts = by_constituency.get(r._key, {})
            for c in CONSTITUENCIES:
                record[f"signatures_{c}"] = counts.get(c, 0)
            yield record


def _tallies(petition_ids: list[int], dimension: str) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for pid, key, n in db.session.execute(
        sa.select(PetitionTally.petition_id, PetitionTally.key, PetitionTally.count).where(
            PetitionTally.petition_id.in_(petition_ids), PetitionTally.dimension == dimension
        )
    ):
        if n:
            out.setdefault(pid, {})[key] = n
    return out


def petition_counts(council_id: int | None) -> Iterator[Record]:
    query = (
        sa.select(Petition.id.label("_key"), Council.slug)
        .join(Council, Council.id == Petition.council_id)
        .where(Petition.status.in_(PUBLIC_STATUSES), Petition.status != "rejected")
    )
    if council_id is not None:
        query = query.where(Petition.council_id == council_id)
    for rows in chunks(query, Petition.id):
        ids = [r._key for r in rows]
        by_constituency = _tallies(ids, "constituency")
        by_place = _tallies(ids, "place")
        place_ids = {int(k) for counts in by_place.values() for k in counts}
        places = {
            p.id: p
            for p in db.session.execute(
                sa.select(Place.id, Place.slug, Place.name).where(Place.id.in_(place_ids))
            )
        }
        for r in rows:
            for c in CONSTITUENCIES:
                yield {
                    "petition_id": r._key,
                    "council": r.slug,
                    "dimension": "constituency",
                    "key": c,
                    "label": CONSTITUENCY_LABELS[c],
                    "signatures": by_constituency.get(r._key, {}).get(c, 0),
                }
            counted = [
                (places[int(k)], n) for k, n in by_place.get(r._key, {}).items() if int(k) in places
            ]
            for place, n in sorted(counted, key=lambda pair: pair[0].slug):
                yield {
                    "petition_id": r._key,
                    "council": r.slug,
                    "dimension": "place",
                    "key": place.slug,
                    "label": place.name,
                    "signatures": n,
                }


# ---------------------------------------------------------------- upward and downward


def forwards(council_id: int | None) -> Iterator[Record]:
    sender, receiver, origin, referred = (aliased(Council) for _ in range(4))
    query = (
        sa.select(
            Forward.id.label("_key"),
            Forward.proposal_id,
            sender.slug.label("from_slug"),
            receiver.slug.label("to_slug"),
            origin.slug.label("origin_slug"),
            Forward.link_kind,
            Forward.title,
            Forward.body,
            Forward.themes,
            Forward.subsidiarity,
            Forward.motion_id,
            Forward.tally,
            Forward.supporters,
            Forward.forwarded_at,
            Forward.answer_id,
            Answer.kind.label("answer_kind"),
            Answer.reasons.label("answer_reasons"),
            Answer.answered_at,
            Answer.answered_by_role,
            referred.slug.label("referred_slug"),
            Proposal.hidden_at,
        )
        .join(sender, sender.id == Forward.from_council_id)
        .join(receiver, receiver.id == Forward.to_council_id)
        .join(origin, origin.id == Forward.origin_council_id)
        .join(Proposal, Proposal.id == Forward.proposal_id)
        .outerjoin(Answer, Answer.id == Forward.answer_id)
        .outerjoin(referred, referred.id == Answer.referred_council_id)
    )
    if council_id is not None:
        query = query.where(
            sa.or_(Forward.from_council_id == council_id, Forward.to_council_id == council_id)
        )
    for rows in chunks(query, Forward.id):
        for r in rows:
            hidden = r.hidden_at is not None
            yield {
                "id": r._key,
                "proposal_id": r.proposal_id,
                "from_council": r.from_slug,
                "to_council": r.to_slug,
                "origin_council": r.origin_slug,
                "link_kind": r.link_kind,
                "title": None if hidden else r.title,
                "body": None if hidden else r.body,
                "themes": r.themes,
                "subsidiarity": r.subsidiarity,
                "motion_id": r.motion_id,
                "tally": r.tally,
                "supporters": r.supporters,
                "forwarded_at": iso(r.forwarded_at),
                "answer_id": r.answer_id,
                "answer_kind": r.answer_kind,
                "answer_reasons": r.answer_reasons,
                "answered_at": iso(r.answered_at),
                "answered_by_role": r.answered_by_role or None,
                "referred_to": r.referred_slug,
            }


def consultations(council_id: int | None) -> Iterator[Record]:
    query = sa.select(
        Consultation.id.label("_key"),
        Council.slug,
        Consultation.title,
        Consultation.body,
        Consultation.published_at,
        Consultation.closes_at,
        Consultation.cascade_count,
        Consultation.positions_count,
        Consultation.adopted_at,
        Consultation.adoption_note,
    ).join(Council, Council.id == Consultation.council_id)
    if council_id is not None:
        asked = sa.select(ConsultationCouncil.consultation_id).where(
            ConsultationCouncil.council_id == council_id
        )
        query = query.where(
            sa.or_(Consultation.council_id == council_id, Consultation.id.in_(asked))
        )
    for rows in chunks(query, Consultation.id):
        for r in rows:
            yield {
                "id": r._key,
                "council": r.slug,
                "title": r.title,
                "body": r.body,
                "published_at": iso(r.published_at),
                "closes_at": iso(r.closes_at),
                "councils_asked": r.cascade_count,
                "positions": r.positions_count,
                "adopted_at": iso(r.adopted_at),
                "adoption_note": r.adoption_note or None,
            }


def positions(council_id: int | None) -> Iterator[Record]:
    answering, publishing = aliased(Council), aliased(Council)
    query = (
        sa.select(
            Position.id.label("_key"),
            Position.consultation_id,
            publishing.slug.label("publisher"),
            answering.slug,
            Position.stance,
            Position.text,
            Position.motion_id,
            Position.tally,
            Position.weight,
            Position.level,
            Position.decided_by,
            Position.submitted_at,
        )
        .join(Consultation, Consultation.id == Position.consultation_id)
        .join(publishing, publishing.id == Consultation.council_id)
        .join(answering, answering.id == Position.council_id)
    )
    if council_id is not None:
        query = query.where(
            sa.or_(Position.council_id == council_id, Consultation.council_id == council_id)
        )
    for rows in chunks(query, Position.id):
        for r in rows:
            yield {
                "id": r._key,
                "consultation_id": r.consultation_id,
                "consultation_council": r.publisher,
                "council": r.slug,
                "stance": r.stance,
                "text": r.text or None,
                "motion_id": r.motion_id,
                "tally": r.tally,
                "weight": r.weight,
                "level": r.level,
                "decided_by": r.decided_by or None,
                "submitted_at": iso(r.submitted_at),
            }
