"""Open-data records of the deliberation: proposals, comments, rounds, agenda decisions,
motions and the published ballots (see participate.opendata.services)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import CONSTITUENCIES, Council
from participate.extensions import db
from participate.opendata.chunks import Record, chunks, grouped_counts
from participate.opendata.formats import iso
from participate.proposals.models import Comment, Proposal, ProposalTheme, Support
from participate.rounds.models import AgendaItem, Round
from participate.votes.models import Motion
from participate.votes.results import ballot_file

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
    for rows in chunks(query, Proposal.id):
        ids = [r._key for r in rows]
        themes: dict[int, list[str]] = {}
        for pid, theme in db.session.execute(
            sa.select(ProposalTheme.proposal_id, ProposalTheme.theme)
            .where(ProposalTheme.proposal_id.in_(ids))
            .order_by(ProposalTheme.proposal_id, ProposalTheme.theme)
        ):
            themes.setdefault(pid, []).append(theme)
        supports = grouped_counts(Support.constituency, Support.proposal_id, ids)
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
                "themes": [] if hidden else themes.get(r._key, []),
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
    for rows in chunks(query, Comment.id):
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
    for rows in chunks(query, Round.id):
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
    for rows in chunks(query, AgendaItem.id):
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
    for rows in chunks(query, Motion.id):
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
    for rows in chunks(query, Motion.id):
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
