"""Round use cases: read (applying the schedule), create, change the agenda in briefing,
merge duplicate items in refinement. The entry points other modules call.

The phase machine is in `lifecycle`, the motions in `voting`, the evidence pack and the
questions in `evidence`, the decisions in `outcomes`, the record in `minutes` and
`participation`; they are re-exported here so callers import one module. Every function
takes the acting user and owns its transaction; nothing partial is written on a refusal.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import phases
from participate.core.rules import CLERKS, RuleViolation, role_refusal
from participate.councils.access import refusal, require_round, role_in, text_field
from participate.councils.models import Council
from participate.errors import Conflict, DomainError
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.rounds.hooks import EXTRA_KINDS
from participate.rounds.items import (
    commit_or_conflict,
    item_of,
    items_of,
    load_round,
    notify_members,
)
from participate.rounds.lifecycle import advance_phase, effective_phase, sync_round
from participate.rounds.models import AgendaItem, Round
from participate.util import utcnow

TITLE_LIMIT = 200
PURPOSE_LIMIT = 20_000
AGENDA_LIMIT = 30
LIVE_PHASES = phases.PHASES[:-1]


# ---------------------------------------------------------------- reading


def get_round(round_id) -> Round:
    """The round, moved on first if a planned end has passed (no scheduler needed)."""
    return sync_round(load_round(round_id))


def rounds_of(council: Council) -> list[Round]:
    """The council's rounds, newest first, each moved on by its schedule if due."""
    rounds = list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.council_id == council.id)
            .order_by(Round.created_at.desc(), Round.id.desc())
        )
    )
    for round_ in rounds:
        if not round_.is_closed:
            sync_round(round_)
    return rounds


def rounds_by_phase(council: Council) -> dict[str, list[Round]]:
    grouped: dict[str, list[Round]] = {phase: [] for phase in phases.PHASES}
    for round_ in rounds_of(council):
        grouped[round_.phase].append(round_)
    return grouped


def active_item_for_proposal(proposal_id: int) -> AgendaItem | None:
    """The agenda item of a round not yet closed that holds this proposal, if any."""
    return db.session.scalar(
        sa.select(AgendaItem)
        .join(Round, Round.id == AgendaItem.round_id)
        .where(AgendaItem.proposal_id == proposal_id, Round.phase != phases.FINAL_PHASE)
        .order_by(AgendaItem.id.desc())
        .limit(1)
    )


def petitions_to_answer(council: Council) -> list:
    """Petitions past their threshold that the council must answer and that are not on the
    agenda of a round yet (the candidates for a new agenda)."""
    from participate.petitions.reading import must_answer

    taken = set(
        db.session.scalars(
            sa.select(AgendaItem.petition_id)
            .join(Round, Round.id == AgendaItem.round_id)
            .where(
                Round.council_id == council.id,
                Round.phase != phases.FINAL_PHASE,
                AgendaItem.petition_id.is_not(None),
            )
        )
    )
    return [p for p in must_answer(council) if p.id not in taken]


def rounds_for_proposal(proposal_id: int) -> list[tuple[Round, AgendaItem]]:
    rows = db.session.execute(
        sa.select(Round, AgendaItem)
        .join(AgendaItem, AgendaItem.round_id == Round.id)
        .where(AgendaItem.proposal_id == proposal_id)
        .order_by(Round.id)
    ).all()
    return [(r, i) for r, i in rows]


# ---------------------------------------------------------------- the agenda's subjects


def _proposal_subject(council: Council, proposal_id: int):
    from participate.proposals.models import Proposal

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise DomainError(
            f"There is no proposal {proposal_id}: choose the agenda from the council's open "
            "proposals.",
            code="agenda_unknown_item",
            field="agenda",
        )
    if proposal.council_id != council.id:
        raise DomainError(
            f"Proposal {proposal.id}, “{proposal.title}”, belongs to {proposal.council.name}, "
            f"not {council.name}: a round's agenda takes only its own council's proposals. "
            "Its clerk can put it on a round there, or it can be forwarded.",
            code="agenda_other_council",
            field="agenda",
        )
    if proposal.hidden_at is not None:
        raise DomainError(
            f"Proposal {proposal.id}, “{proposal.title}”, was hidden by a clerk and cannot go "
            "on an agenda.",
            code="agenda_hidden_item",
            field="agenda",
        )
    if proposal.status != "open":
        where = (
            "on the agenda of another round" if proposal.status == "on_agenda" else proposal.status
        )
        raise DomainError(
            f"Proposal {proposal.id}, “{proposal.title}”, is {where}: only open proposals can "
            "go on an agenda.",
            code="agenda_item_not_open",
            field="agenda",
        )
    return proposal


def _petition_subject(council: Council, petition_id: int):
    from participate.petitions.models import Petition

    petition = db.session.get(Petition, petition_id)
    if petition is None:
        raise DomainError(
            f"There is no petition {petition_id}.", code="agenda_unknown_item", field="agenda"
        )
    if petition.council_id != council.id:
        raise DomainError(
            f"Petition {petition.id}, “{petition.title}”, is addressed to "
            f"{petition.council.name}, not {council.name}: only that council can answer it.",
            code="agenda_other_council",
            field="agenda",
        )
    if petition.status != "threshold_reached":
        raise DomainError(
            f"Petition {petition.id}, “{petition.title}”, is not waiting for an answer (it is "
            f"{petition.status.replace('_', ' ')}): only petitions that reached their "
            "threshold go on an agenda.",
            code="agenda_item_not_open",
            field="agenda",
        )
    taken = db.session.scalar(
        sa.select(Round.title)
        .join(AgendaItem, AgendaItem.round_id == Round.id)
        .where(AgendaItem.petition_id == petition.id, Round.phase != phases.FINAL_PHASE)
        .limit(1)
    )
    if taken is not None:
        raise DomainError(
            f"Petition {petition.id}, “{petition.title}”, is already on the agenda of the round "
            f"“{taken}”.",
            code="agenda_item_taken",
            field="agenda",
        )
    return petition


def _parse_agenda(agenda) -> list[tuple[str, int]]:
    if not isinstance(agenda, list | tuple):
        raise DomainError(
            'The agenda must be a list of items such as {"proposal": 12} or '
            '{"petition": 3}, in order.',
            code="agenda_invalid",
            field="agenda",
        )
    parsed: list[tuple[str, int]] = []
    for entry in agenda:
        if isinstance(entry, dict) and len(entry) == 1:
            entry = next(iter(entry.items()))
        if (
            not isinstance(entry, list | tuple)
            or len(entry) != 2
            or entry[0] not in ("proposal", "petition", *EXTRA_KINDS)
        ):
            raise DomainError(
                f'Agenda item {entry!r} is not understood: give {{"proposal": id}} or '
                '{"petition": id}.',
                code="agenda_invalid",
                field="agenda",
            )
        try:
            parsed.append((entry[0], int(entry[1])))
        except (TypeError, ValueError):
            raise DomainError(
                f"Agenda item {entry!r} needs a whole-number id.",
                code="agenda_invalid",
                field="agenda",
            ) from None
    if not parsed:
        raise DomainError(
            "Choose at least one item for the agenda: an open proposal of the council, or a "
            "petition it must answer.",
            code="agenda_empty",
            field="agenda",
        )
    if len(parsed) > AGENDA_LIMIT:
        raise DomainError(
            f"An agenda takes at most {AGENDA_LIMIT} items; split them over several rounds.",
            code="agenda_too_long",
            field="agenda",
        )
    seen = set()
    for kind, subject_id in parsed:
        if (kind, subject_id) in seen:
            raise DomainError(
                f"The {kind} {subject_id} is on the agenda twice: list each item once.",
                code="agenda_duplicate",
                field="agenda",
            )
        seen.add((kind, subject_id))
    return parsed


def _add_item(actor, round_: Round, kind: str, subject_id: int, position: int) -> AgendaItem:
    council = round_.council
    if kind == "proposal":
        from participate.proposals import services as proposals

        proposal = _proposal_subject(council, subject_id)
        item = AgendaItem(kind="proposal", proposal_id=proposal.id, title=proposal.title)
        proposals.set_status(
            actor,
            proposal,
            "on_agenda",
            reason=f"On the agenda of the round “{round_.title}”.",
            commit=False,
        )
    elif kind in EXTRA_KINDS:
        subject = EXTRA_KINDS[kind].subject(council, subject_id)
        item = AgendaItem(kind=kind, title=subject.title, **{f"{kind}_id": subject.id})
    else:
        petition = _petition_subject(council, subject_id)
        item = AgendaItem(kind="petition", petition_id=petition.id, title=petition.title)
    item.round_id = round_.id
    item.position = position
    item.added_at = utcnow()
    db.session.add(item)
    db.session.flush()
    return item


# ---------------------------------------------------------------- creating


def _schedule(planned_ends, now: datetime, *, from_phase: str = phases.FIRST_PHASE):
    try:
        return phases.validate_schedule(planned_ends or {}, now, from_phase=from_phase)
    except RuleViolation as violation:
        phase = violation.details.get("phase")
        field = f"{phase}_ends_at" if phase in phases.SCHEDULED_PHASES else "schedule"
        raise DomainError(violation.message, code=violation.code, field=field) from None


def create_round(
    actor,
    council: Council,
    *,
    title,
    purpose,
    agenda,
    schedule: dict[str, datetime],
) -> Round:
    """A clerk starts a round in briefing with an agenda (in order) and a planned end for
    each phase. Proposals on the agenda become ``on_agenda``; the members are told.

    ``agenda``: ``[("proposal", id) | ("petition", id), ...]`` (or ``{"proposal": id}``).
    """
    role = role_in(actor, council)
    if role != "clerk":
        raise refusal(role_refusal(role, CLERKS, "run deliberation rounds"))
    title = text_field(title, field="title", label="round's title", limit=TITLE_LIMIT, minimum=5)
    purpose = text_field(
        purpose,
        field="purpose",
        label="purpose",
        limit=PURPOSE_LIMIT,
        hint="Say what the round is to decide and why now.",
    )
    now = utcnow()
    ends = _schedule(schedule, now)
    parsed = _parse_agenda(agenda)
    try:
        round_ = Round(
            council_id=council.id,
            title=title,
            purpose=purpose,
            purpose_html=render_markdown(purpose),
            phase=phases.FIRST_PHASE,
            version=1,
            phase_started_at=now,
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
            **{f"{phase}_ends_at": end for phase, end in ends.items()},
        )
        db.session.add(round_)
        db.session.flush()
        for position, (kind, subject_id) in enumerate(parsed, start=1):
            _add_item(actor, round_, kind, subject_id, position)
        record_event(
            "round.created",
            actor=actor,
            council=council,
            subject=round_,
            data={
                "title": title,
                "agenda": [f"{kind}:{sid}" for kind, sid in parsed],
                "schedule": {p: e.isoformat() for p, e in ends.items()},
            },
        )
        notify_members(
            round_,
            "round_created",
            f"{council.name} opened the round “{title}”: the briefing runs until "
            f"{ends['briefing']:%-d %b %Y, %H:%M} UTC. Read the evidence and ask your questions.",
            skip=actor,
        )
    except Exception:
        db.session.rollback()
        raise
    commit_or_conflict(
        "An item of this agenda was taken by another round at the same moment. Reload and "
        "choose again."
    )
    return round_


# ---------------------------------------------------------------- changing the agenda


def add_agenda_item(actor, round_: Round, *, kind: str, subject_id) -> AgendaItem:
    """In briefing, a clerk adds an item at the end of the agenda."""
    sync_round(round_)
    require_round(round_, "change_agenda", actor)
    ((kind, subject_id),) = _parse_agenda([(kind, subject_id)])
    position = (
        db.session.scalar(
            sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.round_id == round_.id)
        )
        or 0
    ) + 1
    if len(items_of(round_)) >= AGENDA_LIMIT:
        raise DomainError(
            f"An agenda takes at most {AGENDA_LIMIT} items.", code="agenda_too_long", field="agenda"
        )
    try:
        item = _add_item(actor, round_, kind, subject_id, position)
        round_.updated_at = utcnow()
        record_event(
            "round.agenda_changed",
            actor=actor,
            council=round_.council_id,
            subject=round_,
            data={"added": f"{kind}:{subject_id}", "title": item.title, "position": position},
        )
    except Exception:
        db.session.rollback()
        raise
    commit_or_conflict("The agenda changed at the same moment. Reload the round and try again.")
    return item


def remove_agenda_item(actor, round_: Round, item: AgendaItem) -> None:
    """In briefing, a clerk takes an item off the agenda (a proposal becomes open again)."""
    sync_round(round_)
    require_round(round_, "change_agenda", actor)
    if len(items_of(round_)) <= 1:
        raise DomainError(
            "This is the agenda's only item: a round needs at least one. Add another first.",
            code="agenda_empty",
        )
    try:
        if item.kind == "proposal":
            from participate.proposals import services as proposals

            proposal = proposals.get_proposal(item.proposal_id)
            if proposal.status == "on_agenda":
                proposals.set_status(
                    actor,
                    proposal,
                    "open",
                    reason=f"Taken off the agenda of the round “{round_.title}”.",
                    commit=False,
                )
        db.session.delete(item)
        round_.updated_at = utcnow()
        record_event(
            "round.agenda_changed",
            actor=actor,
            council=round_.council_id,
            subject=round_,
            data={"removed": f"{item.kind}:{item.subject_id}", "title": item.title},
        )
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()


def merge_items(
    actor, round_: Round, source: AgendaItem, target: AgendaItem, *, reason
) -> AgendaItem:
    """In refinement, a clerk merges a duplicate item into another: the duplicate takes no
    motion of its own and follows the other's decision. Records which into which."""
    sync_round(round_)
    require_round(round_, "merge_agenda_items", actor)
    if source.id == target.id:
        raise DomainError(
            "Choose two different items: an item cannot be merged into itself.",
            code="merge_same_item",
            field="target",
        )
    if source.is_merged:
        raise DomainError(
            f"Item {source.position} was already merged into another item.",
            code="merge_already_merged",
            field="source",
            status=409,
        )
    if target.is_merged:
        raise DomainError(
            f"Item {target.position} was itself merged into another: merge into that one.",
            code="merge_into_merged",
            field="target",
        )
    if source.kind != target.kind:
        raise DomainError(
            "A proposal and a petition cannot be merged: merge duplicates of the same kind.",
            code="merge_kinds_differ",
            field="target",
        )
    reason = text_field(
        reason,
        field="reason",
        label="reason for the merge",
        limit=2000,
        hint="Say why the two items are duplicates; their authors will read it.",
    )
    now = utcnow()
    # Items already merged into the source now follow the target too.
    db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.merged_into_id == source.id)
        .values(merged_into_id=target.id)
        .execution_options(synchronize_session=False)
    )
    merged = db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.id == source.id, AgendaItem.merged_into_id.is_(None))
        .values(merged_into_id=target.id, merge_reason=reason, merged_at=now, merged_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if merged != 1:
        db.session.rollback()
        raise Conflict("Another clerk merged this item meanwhile.", code="merge_already_merged")
    db.session.execute(sa.update(Round).where(Round.id == round_.id).values(updated_at=now))
    record_event(
        "round.items_merged",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={
            "item": source.id,
            "title": source.title,
            "into": target.id,
            "into_title": target.title,
            "reason": reason,
        },
    )
    author = _author_of(source)
    if author is not None and author != actor.id:
        notify(
            [author],
            "round_merge",
            f"Your item “{source.title}” was merged into “{target.title}” in the round "
            f"“{round_.title}”: {reason}",
            f"/rounds/{round_.id}#item-{target.id}",
        )
    db.session.commit()
    db.session.refresh(source)
    return source


def _author_of(item: AgendaItem) -> int | None:
    if item.kind == "consultation":
        return None
    if item.kind == "proposal":
        from participate.proposals.models import Proposal

        proposal = db.session.get(Proposal, item.proposal_id)
        return proposal.author_id if proposal else None
    from participate.petitions.models import Petition

    petition = db.session.get(Petition, item.petition_id)
    return petition.author_id if petition else None


# Re-exported so views, the API and other features import one module.
from participate.rounds.evidence import (  # noqa: E402
    add_attachment,
    add_link,
    answer_question,
    ask_question,
    attachment_limit,
    attachment_path,
    attachments_of,
    get_attachment,
    get_question,
    links_of,
    questions_of,
    remove_attachment,
    remove_link,
    update_evidence,
)
from participate.rounds.outcomes import (  # noqa: E402
    minority_prefill,
    record_outcome,
    suggested_decision,
    undecided_items,
)
from participate.rounds.voting import set_method  # noqa: E402

__all__ = [
    "LIVE_PHASES",
    "active_item_for_proposal",
    "add_agenda_item",
    "add_attachment",
    "add_link",
    "advance_phase",
    "answer_question",
    "ask_question",
    "attachment_limit",
    "attachment_path",
    "attachments_of",
    "create_round",
    "effective_phase",
    "get_attachment",
    "get_question",
    "get_round",
    "item_of",
    "items_of",
    "links_of",
    "merge_items",
    "minority_prefill",
    "questions_of",
    "record_outcome",
    "remove_agenda_item",
    "remove_attachment",
    "remove_link",
    "rounds_by_phase",
    "petitions_to_answer",
    "rounds_for_proposal",
    "rounds_of",
    "set_method",
    "suggested_decision",
    "sync_round",
    "undecided_items",
    "update_evidence",
]
