"""The agenda gate: while a proposal is on the agenda of a round, the round's phase also
decides who may comment on it and amend it (`participate.core.phases.PERMISSIONS`).

Registered in `participate.proposals.gates.AGENDA_GATES` when this package is imported.
The proposals feature calls ``gate(proposal, action, actor)`` before it writes a comment
("comment" / "reply"), an amendment ("propose_amendment") or an amendment's resolution
("resolve_amendment") on a proposal whose status is ``on_agenda``.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.core import phases
from participate.councils.access import require_round
from participate.errors import DomainError
from participate.extensions import db
from participate.proposals.gates import AGENDA_GATES
from participate.rounds.lifecycle import effective_phase
from participate.rounds.models import AgendaItem, Round

# proposal action -> round action of the phase table
_ACTIONS = {
    "comment": "comment",
    "reply": "comment",
    "propose_amendment": "propose_amendment",
    "resolve_amendment": "resolve_amendment",
}


def round_action(action: str, stance: str | None = None) -> str | None:
    """The phase-table action a proposal action is (a question-stance comment asks)."""
    if action in ("comment", "reply") and stance:
        return phases.comment_action(stance)
    return _ACTIONS.get(action)


def active_item_for_proposal(proposal_id: int) -> AgendaItem | None:
    """The agenda item of a round not yet closed that holds this proposal, if any."""
    return db.session.scalar(
        sa.select(AgendaItem)
        .join(Round, Round.id == AgendaItem.round_id)
        .where(AgendaItem.proposal_id == proposal_id, Round.phase != phases.FINAL_PHASE)
        .order_by(AgendaItem.id.desc())
        .limit(1)
    )


def agenda_gate(proposal, action: str, actor, stance: str | None = None) -> None:
    """Refuse (DomainError 403, the rule's message) what the round's phase does not allow.

    The phase is the one the round is in by its schedule, so a comment sent after the
    discussion's planned end is refused even before anyone has loaded the round.
    ``stance`` (when the caller gives it) lets a question-stance comment count as a
    question, which briefing allows.
    """
    target = round_action(action, stance)
    if target is None:
        return
    item = active_item_for_proposal(proposal.id)
    if item is None:
        return
    round_ = item.round
    phase = effective_phase(round_)
    if item.is_merged and target == "propose_amendment" and phase == "refinement":
        raise DomainError(
            f"This proposal was merged into another agenda item of the round “{round_.title}”: "
            "propose amendments on that item instead.",
            code="item_merged",
            status=409,
        )
    require_round(round_, target, actor, phase=phase)


def install() -> None:
    """Append the gate to the proposals feature's list, once."""
    if agenda_gate not in AGENDA_GATES:
        AGENDA_GATES.append(agenda_gate)
