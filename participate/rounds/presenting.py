"""What the round's pages show, gathered in a fixed number of queries: the timeline, the
agenda with each item's status, and the relative times ("ends in 3 days")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from participate.core import phases
from participate.extensions import db
from participate.rounds.models import PHASE_LABELS, AgendaItem, PhaseChange, Round
from participate.util import utcnow
from participate.votes.models import Motion


def relative(moment: datetime | None, now: datetime | None = None) -> str:
    """'in 3 days', 'in 5 hours', '12 minutes ago' (naive UTC in, words out)."""
    if moment is None:
        return ""
    delta = moment - (now or utcnow())
    seconds = abs(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            words = f"{n} {unit}{'s' if n != 1 else ''}"
            break
    else:
        return "now"
    return f"in {words}" if delta.total_seconds() > 0 else f"{words} ago"


@dataclass
class Step:
    phase: str
    label: str
    state: str  # done | current | upcoming
    planned_end: datetime | None
    started_at: datetime | None
    by: str = ""


def timeline(round_: Round) -> list[Step]:
    changes = {
        c.to_phase: c
        for c in db.session.scalars(sa.select(PhaseChange).where(PhaseChange.round_id == round_.id))
    }
    here = phases.PHASES.index(round_.phase)
    steps = []
    for index, phase in enumerate(phases.PHASES):
        change = changes.get(phase)
        started = (
            round_.created_at if phase == phases.FIRST_PHASE else (change.at if change else None)
        )
        steps.append(
            Step(
                phase=phase,
                label=PHASE_LABELS[phase],
                state="done" if index < here else "current" if index == here else "upcoming",
                planned_end=round_.planned_end(phase),
                started_at=started,
                by=("the clerk" if change.cause == "clerk" else "its schedule") if change else "",
            )
        )
    return steps


@dataclass
class Row:
    item: AgendaItem
    status: str = ""
    subject_status: str = ""
    comments: int = 0
    amendments: dict[str, int] = field(default_factory=dict)
    motion: Motion | None = None
    merged_into: AgendaItem | None = None
    merged: list[AgendaItem] = field(default_factory=list)


def agenda_rows(round_: Round, items: list[AgendaItem]) -> list[Row]:
    """Each item with its subject's status, comments during the round, amendments by
    status, its motion and its decision (4 queries whatever the agenda's length)."""
    from participate.proposals.models import Amendment, Proposal

    proposal_ids = [i.proposal_id for i in items if i.proposal_id]
    proposals = (
        {
            p.id: p
            for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids)))
        }
        if proposal_ids
        else {}
    )
    amendments: dict[int, dict[str, int]] = {}
    if proposal_ids:
        for pid, status, n in db.session.execute(
            sa.select(Amendment.proposal_id, Amendment.status, sa.func.count())
            .where(
                Amendment.proposal_id.in_(proposal_ids), Amendment.created_at >= round_.created_at
            )
            .group_by(Amendment.proposal_id, Amendment.status)
        ):
            amendments.setdefault(pid, {})[status] = n
    motion_ids = [i.motion_id for i in items if i.motion_id]
    motions = (
        {m.id: m for m in db.session.scalars(sa.select(Motion).where(Motion.id.in_(motion_ids)))}
        if motion_ids
        else {}
    )
    petitions = {}
    petition_ids = [i.petition_id for i in items if i.petition_id]
    if petition_ids:
        from participate.petitions.models import Petition

        petitions = {
            p.id: p
            for p in db.session.scalars(sa.select(Petition).where(Petition.id.in_(petition_ids)))
        }
    by_id = {i.id: i for i in items}
    rows = []
    for item in items:
        row = Row(item=item, amendments=amendments.get(item.proposal_id or 0, {}))
        if item.kind == "proposal" and item.proposal_id in proposals:
            proposal = proposals[item.proposal_id]
            row.subject_status = proposal.status.replace("_", " ")
            row.comments = proposal.comments_count
        elif item.petition_id in petitions:
            row.subject_status = petitions[item.petition_id].status.replace("_", " ")
        row.motion = motions.get(item.motion_id) if item.motion_id else None
        row.merged_into = by_id.get(item.merged_into_id) if item.merged_into_id else None
        row.merged = [i for i in items if i.merged_into_id == item.id]
        row.status = _status(round_, item, row)
        rows.append(row)
    return rows


def _status(round_: Round, item: AgendaItem, row: Row) -> str:
    if row.merged_into is not None:
        return f"merged into item {row.merged_into.position}"
    if item.decision:
        return item.decision
    motion = row.motion
    if motion is not None:
        if motion.status == "open":
            return "voting open"
        if motion.status == "closed":
            result = motion.result or {}
            if result.get("method") == "schulze":
                return f"vote closed: {result.get('winner') or 'no decision'}"
            return "vote closed: " + ("passed" if result.get("passed") else "not passed")
    pending = row.amendments.get("pending", 0)
    if round_.phase == "refinement" and pending:
        return f"{pending} amendment{'s' if pending != 1 else ''} pending"
    return {
        "briefing": "in briefing",
        "discussion": "under discussion",
        "refinement": "in refinement",
        "voting": "awaiting its motion",
        "outcome": "awaiting the decision",
        "closed": "closed",
    }[round_.phase]
