"""Where the upward flows meet the rounds feature.

- A national consultation can go on a round's agenda (agenda item kind ``consultation``,
  column ``round_agenda_items.consultation_id`` added by migration 0006_upward). When
  the clerk records the item's outcome, the council's position is submitted with the
  motion's tally: *rejected* -> ``oppose``; *adopted* -> ``amend`` when the winning option
  of a ranked motion proposes an amendment or the recorded reasons begin with "Amend",
  otherwise ``support``; the reasons are the position's text. *deferred* sends nothing.

Rounds imports nothing of upward: this module registers the ``consultation`` agenda item
kind in `participate.rounds.hooks` when it is imported (by `consultation_views`, which
`create_app` loads with every feature's views).
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.errors import DomainError
from participate.extensions import db
from participate.rounds.hooks import ItemKind, register_item_kind
from participate.rounds.models import AgendaItem, Round
from participate.util import utcnow
from participate.votes.models import Motion

# ---------------------------------------------------------------- consultations on an agenda


def _on_an_open_agenda(consultation_id: int, council_id: int) -> str | None:
    return db.session.scalar(
        sa.select(Round.title)
        .join(AgendaItem, AgendaItem.round_id == Round.id)
        .where(
            AgendaItem.consultation_id == consultation_id,
            Round.council_id == council_id,
            Round.phase != "closed",
            AgendaItem.decision.is_(None),
        )
        .limit(1)
    )


def consultation_subject(council, consultation_id: int):
    """The consultation a clerk puts on a round's agenda, if the council must answer it."""
    from participate.upward.consultations import cascade_row, get_consultation, position_of

    try:
        consultation = get_consultation(int(consultation_id))
    except DomainError:
        raise DomainError(
            f"There is no consultation {consultation_id}.",
            code="agenda_unknown_item",
            field="agenda",
        ) from None
    if cascade_row(consultation, council) is None:
        raise DomainError(
            f"The consultation “{consultation.title}” was not sent to {council.name}: only the "
            "councils below its national council answer it.",
            code="agenda_other_council",
            field="agenda",
        )
    if consultation.state(utcnow()) != "open":
        raise DomainError(
            f"The consultation “{consultation.title}” has closed: it can no longer be answered.",
            code="agenda_item_not_open",
            field="agenda",
        )
    if position_of(consultation, council) is not None:
        raise DomainError(
            f"{council.name} already submitted its position on “{consultation.title}”.",
            code="agenda_item_not_open",
            field="agenda",
        )
    taken = _on_an_open_agenda(consultation.id, council.id)
    if taken is not None:
        raise DomainError(
            f"The consultation “{consultation.title}” is already on the agenda of the round "
            f"“{taken}”.",
            code="agenda_item_taken",
            field="agenda",
        )
    return consultation


def consultations_to_answer(council) -> list:
    """Open consultations the council must answer and has not put on a round yet."""
    from participate.upward.consultation_results import for_council

    return [
        c for c in for_council(council).must_answer if _on_an_open_agenda(c.id, council.id) is None
    ]


def consultation_motion_text(consultation_id: int) -> str:
    """What the motion on a consultation item puts to the vote."""
    from participate.upward.models import Consultation

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return ""
    return (
        f"The national draft requirement of {consultation.council.name}, open for positions "
        f"until {consultation.closes_at:%-d %b %Y}:\n\n{consultation.body}\n\n"
        "Yes means the council supports it (record the decision's reasons beginning with "
        "“Amend” to support it with an amendment); no means the council opposes it."
    )


def stance_for(decision: str, reasons: str, motion: Motion | None) -> str | None:
    """The position a round's decision on a consultation item amounts to (None: deferred)."""
    if decision == "deferred":
        return None
    if decision == "rejected":
        return "oppose"
    winner = str((motion.result or {}).get("winner") or "") if motion is not None else ""
    if "amend" in winner.lower() or (reasons or "").strip().lower().startswith("amend"):
        return "amend"
    return "support"


def consultation_outcome(actor, round_, item, decision: str, reasons: str, *, motion_id=None):
    """Submit the council's position once its round decided the consultation item (inside
    the round's transaction). A position that can no longer be accepted (the consultation
    closed meanwhile, or one was submitted by hand) is recorded in the audit log instead."""
    from participate.upward import consultations

    consultation = consultations.get_consultation(item.consultation_id)
    motion = db.session.get(Motion, motion_id) if motion_id else None
    stance = stance_for(decision, reasons, motion)
    if stance is None:
        return None
    council = round_.council
    # Every refusal of submit_position comes before it writes anything.
    try:
        return consultations.submit_position(
            actor,
            consultation,
            council,
            stance=stance,
            text=(reasons or "").strip(),
            motion_id=motion.id if motion is not None and motion.status == "closed" else None,
            decided_by=f"round:{round_.id}",
            commit=False,
        )
    except DomainError as error:
        record_event(
            "upward.position_not_sent",
            actor=actor,
            council=council,
            subject=consultation,
            data={"round": round_.id, "item": item.id, "stance": stance, "why": error.message},
        )
        return None


register_item_kind(
    "consultation",
    ItemKind(
        subject=consultation_subject,
        candidates=consultations_to_answer,
        motion_text=consultation_motion_text,
        take_effect=consultation_outcome,
    ),
)
