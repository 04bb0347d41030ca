"""The clerk's two decisions on each agenda item: how it is put to the vote (until voting
opens) and what the council decided (in the outcome phase).

Both first apply the round's schedule (`lifecycle.sync_round`) and own their transaction.
The motions themselves are `voting`; what a recorded decision does to the item's subject
(a proposal's status, a petition's answer, a registered kind's effect) is `outcomes`.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core.phases import PHASES
from participate.councils.access import require_round, role_in, text_field
from participate.errors import Conflict, DomainError
from participate.extensions import db
from participate.rounds.lifecycle import sync_round
from participate.rounds.models import DECISIONS, ITEM_METHODS, AgendaItem, Round
from participate.rounds.outcomes import (
    closed_result,
    decide_merged,
    items_merged_into,
    motion_carried,
    take_effect,
)
from participate.rounds.voting import clean_options
from participate.util import utcnow
from participate.votes.models import METHOD_LABELS

REASONS_MIN = 20
TEXT_LIMIT = 5_000


def set_method(actor, round_: Round, item: AgendaItem, *, method: str, options=None) -> AgendaItem:
    """A clerk chooses how an item is put to the vote, until voting opens.

    ``schulze`` needs 2 to 20 options (one per line in the form); ``binary`` and
    ``consent`` take none.
    """
    sync_round(round_)
    if role_in(actor, round_.council) != "clerk":
        raise DomainError(
            "Only the council's clerks can choose how an item is voted on; ask a clerk.",
            code="clerks_only",
            status=403,
        )
    if PHASES.index(round_.phase) >= PHASES.index("voting"):
        raise DomainError(
            f"The voting method is fixed once voting opens, and this round is in the "
            f"{round_.phase} phase. Choose methods before voting starts.",
            code="method_fixed",
            status=409,
        )
    if item.is_merged:
        raise DomainError(
            "This item was merged into another: it is decided by that item's motion.",
            code="item_merged",
            status=409,
        )
    if method not in ITEM_METHODS:
        raise DomainError(
            "Choose a voting method: " + ", ".join(METHOD_LABELS[m] for m in ITEM_METHODS) + ".",
            code="bad_method",
            field="method",
        )
    if isinstance(options, str):
        options = options.splitlines()
    given = [str(o).strip() for o in (options or []) if str(o).strip()]
    cleaned = None
    if method == "schulze":
        cleaned = clean_options(given)
    elif given:
        raise DomainError(
            "Options are for ranked-choice items only: a yes/no or consent vote asks one "
            "question. Choose ranked choice or remove the options.",
            code="options_not_allowed",
            field="options",
        )
    item.method = method
    item.options = cleaned
    record_event(
        "round.voting_method_set",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"item": item.id, "title": item.title, "method": method, "options": cleaned},
    )
    db.session.commit()
    return item


def check_outcome(
    actor, round_: Round, item: AgendaItem, *, decision, reasons, minority_report=""
) -> tuple[str, str, dict | None]:
    """Everything `record_outcome` refuses, without recording; the cleaned reasons and
    minority report, and the item's closed vote result. The page asks the clerk to confirm a
    decision (it is final) only once it would be accepted."""
    sync_round(round_)
    require_round(round_, "record_outcome", actor)
    if item.is_merged:
        raise DomainError(
            "This item was merged into another: it is decided with that item. Record the "
            "decision there.",
            code="item_merged",
            status=409,
        )
    if item.decision is not None:
        raise Conflict(
            f"A decision was already recorded for this item ({item.decision}); decisions "
            "are final once recorded.",
            code="outcome_recorded",
        )
    if decision not in DECISIONS:
        raise DomainError(
            "Choose the decision: adopted, rejected or deferred (to a later round).",
            code="decision_required",
            field="decision",
        )
    reasons = text_field(
        reasons,
        field="reasons",
        label="reasons for the decision",
        limit=TEXT_LIMIT,
        minimum=REASONS_MIN,
        hint="Members, and any petition's signers, read them in the minutes.",
    )
    minority_report = text_field(
        minority_report,
        field="minority_report",
        label="minority report",
        limit=TEXT_LIMIT,
        required=False,
    )
    result = closed_result(item)
    if decision == "adopted" and not motion_carried(result):
        raise DomainError(
            "The motion on this item did not pass, so the council did not adopt it: record "
            "rejected, or deferred to take it to a later round.",
            code="motion_not_carried",
            field="decision",
            status=409,
        )
    if decision != "deferred":
        _check_no_conflict(actor, [item, *items_merged_into(item)])
    return reasons, minority_report, result


def record_outcome(
    actor, round_: Round, item: AgendaItem, *, decision, reasons, minority_report=""
) -> AgendaItem:
    """The clerk records an item's decision; it takes effect at once and cannot be changed."""
    reasons, minority_report, result = check_outcome(
        actor, round_, item, decision=decision, reasons=reasons, minority_report=minority_report
    )
    now = utcnow()
    claimed = db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.id == item.id, AgendaItem.decision.is_(None))
        .values(
            decision=decision,
            reasons=reasons,
            minority_report=minority_report,
            decided_at=now,
            decided_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise Conflict(
            "Another clerk recorded a decision for this item meanwhile. Reload the round.",
            code="outcome_recorded",
        )
    db.session.refresh(item)
    governance = take_effect(actor, round_, item, decision, reasons, now=now)
    for merged in items_merged_into(item):
        decide_merged(actor, round_, item, merged, now=now)
    db.session.execute(sa.update(Round).where(Round.id == round_.id).values(updated_at=now))
    record_event(
        "round.outcome_recorded",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={
            "item": item.id,
            "title": item.title,
            "decision": decision,
            "motion": item.motion_id,
            "minority": (result or {}).get("minority", []),
            "minority_report": bool(minority_report),
        },
    )
    if governance is not None:
        from participate.petitions import answering

        # Commits the whole decision (the petitions service owns that last write).
        answering.apply_governance_change(actor, governance, motion_id=item.motion_id)
    else:
        db.session.commit()
    return item


def _check_no_conflict(actor, items: list[AgendaItem]) -> None:
    """A decision that answers a petition is the petition's answer: a clerk who started or
    sponsored it steps aside (core.conflicts), before anything is written."""
    from participate.petitions.conflicts import check_no_conflict
    from participate.petitions.models import Petition

    for item in items:
        if item.kind == "petition" and item.petition_id is not None:
            petition = db.session.get(Petition, item.petition_id)
            if petition is not None:
                check_no_conflict(actor, petition, "record the council's answer to it")
