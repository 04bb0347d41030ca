"""A round's agenda: what may go on it (an open proposal of the council, a petition it must
answer, or a kind a higher feature registers in `hooks`), and the clerk changing it —
adding or removing items in briefing, merging duplicates in refinement.

The changes first apply the round's schedule (`lifecycle.sync_round`) and own their
transaction; `services.create_round` puts the first agenda on with `parse_agenda` and
`add_item`.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import phases
from participate.councils.access import require_round, text_field
from participate.councils.models import Council
from participate.errors import Conflict, DomainError, commit_or_conflict
from participate.extensions import db
from participate.notifications.services import notify
from participate.rounds.hooks import EXTRA_KINDS
from participate.rounds.items import items_of
from participate.rounds.lifecycle import sync_round
from participate.rounds.models import AgendaItem, Round
from participate.util import utcnow

AGENDA_LIMIT = 30


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


def parse_agenda(agenda) -> list[tuple[str, int]]:
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


def add_item(actor, round_: Round, kind: str, subject_id: int, position: int) -> AgendaItem:
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


def add_agenda_item(actor, round_: Round, *, kind: str, subject_id) -> AgendaItem:
    """In briefing, a clerk adds an item at the end of the agenda."""
    sync_round(round_)
    require_round(round_, "change_agenda", actor)
    ((kind, subject_id),) = parse_agenda([(kind, subject_id)])
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
        item = add_item(actor, round_, kind, subject_id, position)
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
