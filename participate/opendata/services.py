"""The open-data records: one generator per file, site-wide or for one council.

Each generator reads its table in chunks of ``CHUNK`` rows by key (``WHERE id > :last ORDER BY
id LIMIT n``: the same plan on SQLite and PostgreSQL, no server-side cursor held across a
yield), adds what the chunk needs from other tables in one query each, and yields plain dicts
keyed by the fields of ``participate.opendata.schema``. Nothing builds a whole file.

Only what the site already shows anyone is published: hidden proposals and comments keep
their row and public reason but not their text; draft motions, unpublished petitions and
running results are left out; ballots come from the votes feature's published, anonymised
ballot file of closed motions (``participate.votes.results.ballot_file``), so no voter
reference, seal or participation row is ever read here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from participate.accounts.models import User
from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS, Council, Place
from participate.extensions import db
from participate.opendata.formats import iso
from participate.petitions.models import Petition, PetitionCounter, PetitionTally
from participate.petitions.services import PUBLIC_STATUSES
from participate.proposals.models import Comment, Proposal, ProposalTheme, Support
from participate.rounds.models import AgendaItem, Round
from participate.upward.models import (
    Answer,
    Consultation,
    ConsultationCouncil,
    Forward,
    Position,
)
from participate.votes.models import Motion
from participate.votes.results import ballot_file

CHUNK = 500

Record = dict[str, Any]


def _chunks(query: sa.Select, key: sa.ColumnElement, size: int | None = None) -> Iterator[list]:
    """The rows of ``query`` in chunks of ``size`` (default ``CHUNK``), ordered by the unique
    column ``key`` (which the query must select, labelled ``_key``)."""
    size = size or CHUNK
    last = None
    while True:
        page = query.order_by(key).limit(size)
        if last is not None:
            page = page.where(key > last)
        rows = db.session.execute(page).all()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]._key


def _grouped_counts(column, key_column, ids: list[int], *where) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for owner, key, n in db.session.execute(
        sa.select(key_column, column, sa.func.count())
        .where(key_column.in_(ids), *where)
        .group_by(key_column, column)
    ):
        out.setdefault(owner, {})[key] = n
    return out


# ---------------------------------------------------------------- proposals and comments


def proposals(council_id: int | None) -> Iterator[Record]:
    query = (
        sa.select(
            Proposal.id.label("_key"),
            Council.slug,
            Proposal.title,
            Proposal.body,
            Proposal.status,
            Proposal.status_reason,
            Proposal.status_changed_at,
            User.name,
            Proposal.author_constituency,
            Proposal.supports_count,
            Proposal.comments_count,
            Proposal.version,
            Proposal.created_at,
            Proposal.updated_at,
            Proposal.hidden_at,
            Proposal.hidden_reason,
        )
        .join(Council, Council.id == Proposal.council_id)
        .join(User, User.id == Proposal.author_id)
    )
    if council_id is not None:
        query = query.where(Proposal.council_id == council_id)
    for rows in _chunks(query, Proposal.id):
        ids = [r._key for r in rows]
        themes: dict[int, list[str]] = {}
        for pid, theme in db.session.execute(
            sa.select(ProposalTheme.proposal_id, ProposalTheme.theme)
            .where(ProposalTheme.proposal_id.in_(ids))
            .order_by(ProposalTheme.proposal_id, ProposalTheme.theme)
        ):
            themes.setdefault(pid, []).append(theme)
        supports = _grouped_counts(Support.constituency, Support.proposal_id, ids)
        for r in rows:
            hidden = r.hidden_at is not None
            record: Record = {
                "id": r._key,
                "council": r.slug,
                "title": None if hidden else r.title,
                "body": None if hidden else r.body,
                "status": r.status,
                "status_reason": r.status_reason,
                "status_changed_at": iso(r.status_changed_at),
                "author_name": r.name,
                "author_constituency": r.author_constituency,
                "themes": themes.get(r._key, []),
                "supports": r.supports_count,
                "comments": r.comments_count,
                "version": r.version,
                "created_at": iso(r.created_at),
                "updated_at": iso(r.updated_at),
                "hidden": hidden,
                "hidden_reason": r.hidden_reason if hidden else None,
            }
            by = supports.get(r._key, {})
            for c in CONSTITUENCIES:
                record[f"supports_{c}"] = by.get(c, 0)
            yield record


def comments(council_id: int | None) -> Iterator[Record]:
    query = (
        sa.select(
            Comment.id.label("_key"),
            Comment.proposal_id,
            Council.slug,
            Comment.parent_id,
            Comment.stance,
            User.name,
            Comment.author_constituency,
            Comment.body,
            Comment.created_at,
            Comment.hidden_at,
            Comment.hidden_reason,
        )
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .join(Council, Council.id == Proposal.council_id)
        .join(User, User.id == Comment.author_id)
    )
    if council_id is not None:
        query = query.where(Proposal.council_id == council_id)
    for rows in _chunks(query, Comment.id):
        for r in rows:
            hidden = r.hidden_at is not None
            yield {
                "id": r._key,
                "proposal_id": r.proposal_id,
                "council": r.slug,
                "parent_id": r.parent_id,
                "stance": r.stance,
                "author_name": r.name,
                "author_constituency": r.author_constituency,
                # A hidden comment's text is never published, only that it was hidden and why.
                "body": None if hidden else r.body,
                "created_at": iso(r.created_at),
                "hidden": hidden,
                "hidden_reason": r.hidden_reason if hidden else None,
            }


# ---------------------------------------------------------------- rounds


_ENDS = ("briefing", "discussion", "refinement", "voting", "outcome")


def rounds(council_id: int | None) -> Iterator[Record]:
    query = sa.select(
        Round.id.label("_key"),
        Council.slug,
        Round.title,
        Round.purpose,
        Round.phase,
        Round.created_at,
        *(getattr(Round, f"{p}_ends_at") for p in _ENDS),
        Round.closed_at,
        Round.minutes_version,
        Round.minutes_published_at,
        Round.minutes,
    ).join(Council, Council.id == Round.council_id)
    if council_id is not None:
        query = query.where(Round.council_id == council_id)
    for rows in _chunks(query, Round.id):
        ids = [r._key for r in rows]
        items = dict(
            db.session.execute(
                sa.select(AgendaItem.round_id, sa.func.count())
                .where(AgendaItem.round_id.in_(ids))
                .group_by(AgendaItem.round_id)
            ).all()
        )
        for r in rows:
            record: Record = {
                "id": r._key,
                "council": r.slug,
                "title": r.title,
                "purpose": r.purpose,
                "phase": r.phase,
                "created_at": iso(r.created_at),
                "closed_at": iso(r.closed_at),
                "agenda_items": items.get(r._key, 0),
                "minutes_version": r.minutes_version,
                "minutes_published_at": iso(r.minutes_published_at),
                # Published (stored) minutes only: the same as /rounds/<id>/minutes.json.
                "minutes": r.minutes if r.phase == "closed" else None,
            }
            for p in _ENDS:
                record[f"{p}_ends_at"] = iso(getattr(r, f"{p}_ends_at"))
            yield record


def agenda_items(council_id: int | None) -> Iterator[Record]:
    query = (
        sa.select(
            AgendaItem.id.label("_key"),
            AgendaItem.round_id,
            Council.slug,
            AgendaItem.position,
            AgendaItem.kind,
            AgendaItem.proposal_id,
            AgendaItem.petition_id,
            AgendaItem.consultation_id,
            AgendaItem.title,
            AgendaItem.method,
            AgendaItem.motion_id,
            AgendaItem.merged_into_id,
            AgendaItem.decision,
            AgendaItem.reasons,
            AgendaItem.minority_report,
            AgendaItem.decided_at,
            Proposal.hidden_at,
        )
        .join(Round, Round.id == AgendaItem.round_id)
        .join(Council, Council.id == Round.council_id)
        .outerjoin(Proposal, Proposal.id == AgendaItem.proposal_id)
    )
    if council_id is not None:
        query = query.where(Round.council_id == council_id)
    for rows in _chunks(query, AgendaItem.id):
        for r in rows:
            subject = {
                "proposal": r.proposal_id,
                "petition": r.petition_id,
                "consultation": r.consultation_id,
            }[r.kind]
            yield {
                "id": r._key,
                "round_id": r.round_id,
                "council": r.slug,
                "position": r.position,
                "kind": r.kind,
                "subject_id": subject,
                "title": None if r.hidden_at is not None else r.title,
                "method": r.method,
                "motion_id": r.motion_id,
                "merged_into_id": r.merged_into_id,
                "decision": r.decision,
                "reasons": r.reasons or None,
                "minority_report": r.minority_report or None,
                "decided_at": iso(r.decided_at),
            }


# ---------------------------------------------------------------- motions and ballots


def motions(council_id: int | None) -> Iterator[Record]:
    query = (
        sa.select(
            Motion.id.label("_key"),
            Council.slug,
            Motion.title,
            Motion.description,
            Motion.method,
            Motion.kind,
            Motion.status,
            Motion.origin,
            Motion.options,
            Motion.rules,
            Motion.constitution_version,
            Motion.eligible,
            Motion.opens_at,
            Motion.closes_at,
            Motion.closed_at,
            Motion.result,
        )
        .join(Council, Council.id == Motion.council_id)
        .where(Motion.status != "draft")
    )
    if council_id is not None:
        query = query.where(Motion.council_id == council_id)
    for rows in _chunks(query, Motion.id):
        for r in rows:
            # Results are hidden until voting closes (DESIGN §3).
            result = r.result if r.status == "closed" else None
            yield {
                "id": r._key,
                "council": r.slug,
                "title": r.title,
                "description": r.description,
                "method": r.method,
                "kind": r.kind,
                "status": r.status,
                "origin": r.origin or None,
                "options": r.options,
                "rules": r.rules,
                "constitution_version": r.constitution_version,
                "eligible": r.eligible,
                "opens_at": iso(r.opens_at),
                "closes_at": iso(r.closes_at),
                "closed_at": iso(r.closed_at),
                "passed": (result or {}).get("passed"),
                "weighted_support": (result or {}).get("weighted_support"),
                "winner": (result or {}).get("winner"),
                "result": result,
            }


def ballot_files(council_id: int | None) -> Iterator[tuple[Motion, dict]]:
    """(motion, its published ballot file) for each closed motion, one motion at a time."""
    query = sa.select(Motion.id.label("_key")).where(Motion.status == "closed")
    if council_id is not None:
        query = query.where(Motion.council_id == council_id)
    for rows in _chunks(query, Motion.id, size=min(CHUNK, 100)):
        for r in rows:
            motion = db.session.get(Motion, r._key)
            if motion is None:  # deleted since the chunk was read
                continue
            yield motion, ballot_file(motion)
            db.session.expunge(motion)


def ballots(council_id: int | None) -> Iterator[Record]:
    for motion, data in ballot_files(council_id):
        slug = db.session.scalar(sa.select(Council.slug).where(Council.id == motion.council_id))
        for entry in data["ballots"]:
            yield {
                "motion_id": motion.id,
                "council": slug,
                "method": data["method"],
                "constituency": entry["constituency"],
                "receipt": entry["receipt"],
                "choice": entry.get("choice"),
                "ranking": entry.get("ranking"),
                "reason": entry.get("reason"),
            }


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
    for rows in _chunks(_public_petitions(council_id), Petition.id):
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
    for rows in _chunks(query, Petition.id):
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
    for rows in _chunks(query, Forward.id):
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
    for rows in _chunks(query, Consultation.id):
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
    for rows in _chunks(query, Position.id):
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


GENERATORS: dict[str, Callable[[int | None], Iterator[Record]]] = {
    "proposals": proposals,
    "comments": comments,
    "rounds": rounds,
    "agenda_items": agenda_items,
    "motions": motions,
    "ballots": ballots,
    "petitions": petitions,
    "petition_counts": petition_counts,
    "forwards": forwards,
    "consultations": consultations,
    "positions": positions,
}


def records(dataset: str, council: Council | None = None) -> Iterator[Record]:
    """The records of one file, for one council or (``council`` None) the whole site."""
    return GENERATORS[dataset](council.id if council is not None else None)
