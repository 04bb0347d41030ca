"""The outcome phase: what a recorded decision does to the item's subject, what the outcome
form suggests from the tally, and deferring what is undecided when the phase ends. The
clerk's use case that records a decision is `decisions.record_outcome`.

- proposal: adopted -> adopted, rejected -> rejected, deferred -> open again
  (`participate.proposals.services.set_status`);
- petition: adopted / rejected -> the council's answer is published
  (`participate.petitions.answering.publish_response`); a passed governance petition's
  change is applied as a new constitution version (`apply_governance_change`); deferred
  leaves it waiting for a later round.

Items merged into another follow that item's decision. An item may be adopted only when
its motion passed (the clerk records the council's decision, not their own). Items still
undecided when the outcome phase ends by its schedule are deferred, with that reason.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.councils.models import CONSTITUENCY_LABELS
from participate.extensions import db
from participate.rounds.hooks import EXTRA_KINDS
from participate.rounds.items import items_of
from participate.rounds.models import AgendaItem, Round
from participate.rounds.voting import GOVERNANCE_PETITIONS
from participate.votes.models import Motion

DECISION_LABELS = {"adopted": "Adopted", "rejected": "Rejected", "deferred": "Deferred"}


def undecided_items(round_: Round) -> list[AgendaItem]:
    return [i for i in items_of(round_) if i.decision is None and not i.is_merged]


def closed_result(item: AgendaItem) -> dict | None:
    """The tally of the item's motion once closed (results are secret until then)."""
    if item.motion_id is None:
        return None
    motion = db.session.get(Motion, item.motion_id)
    if motion is None or motion.status != "closed":
        return None
    return motion.result


def motion_carried(result: dict | None) -> bool:
    """Whether a tally supports adopting: passed (yes/no, consent) or a winner (ranked)."""
    if not result:
        return False
    if result.get("method") == "schulze":
        return bool(result.get("decided") and result.get("winner"))
    return bool(result.get("passed"))


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def minority_prefill(item: AgendaItem) -> str:
    """A draft minority report from the tally's minority flags (empty when there are none)."""
    result = closed_result(item)
    if not result or not result.get("minority"):
        return ""
    method = result.get("method")
    rows = result.get("constituencies", {})
    lines = []
    for c in result["minority"]:
        row = rows.get(c, {})
        label = CONSTITUENCY_LABELS.get(c, c)
        if method == "schulze":
            own = ", ".join(row.get("winners") or []) or "another option"
            lines.append(
                f"- {label}: their own ballots preferred {own}; the council's choice was "
                f"{result.get('winner')} (turnout {_pct(row.get('turnout'))})."
            )
        elif method == "consent":
            lines.append(
                f"- {label}: {row.get('consents', 0)} consented and {row.get('objections', 0)} "
                "objected; the objections lodged elsewhere stopped the motion."
            )
        else:
            side = "against" if result.get("passed") else "for"
            lines.append(
                f"- {label}: a majority voted {side} the motion (support "
                f"{_pct(row.get('support'))}: yes {row.get('yes', 0)}, no {row.get('no', 0)}, "
                f"abstain {row.get('abstain', 0)}; turnout {_pct(row.get('turnout'))})."
            )
    outcome = (
        "passed"
        if method != "schulze" and result.get("passed")
        else "did not pass"
        if method != "schulze"
        else f"chose {result.get('winner')}"
    )
    intro = f"The motion {outcome}, but not every constituency's majority agreed:"
    return "\n".join([intro, "", *lines])


def suggested_decision(item: AgendaItem) -> str:
    return "adopted" if motion_carried(closed_result(item)) else "rejected"


def items_merged_into(item: AgendaItem) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem).where(
                AgendaItem.merged_into_id == item.id, AgendaItem.decision.is_(None)
            )
        )
    )


def decide_merged(actor, round_: Round, into: AgendaItem, item: AgendaItem, *, now) -> None:
    item.decision = into.decision
    item.reasons = (
        f"Merged into item {into.position}, “{into.title}”, and decided with it: {into.reasons}"
    )
    item.decided_at = now
    item.decided_by_id = getattr(actor, "id", None)
    db.session.flush()
    take_effect(actor, round_, item, into.decision, item.reasons, now=now, motion_id=into.motion_id)


def take_effect(
    actor, round_: Round, item: AgendaItem, decision: str, reasons: str, *, now, motion_id=None
):
    """Apply the decision to the item's subject; returns a petition whose change must apply."""
    motion_id = motion_id or item.motion_id
    if item.kind == "proposal":
        from participate.proposals import services as proposals

        proposal = proposals.get_proposal(item.proposal_id)
        if proposal.status != "on_agenda":
            return None
        status = {"adopted": "adopted", "rejected": "rejected", "deferred": "open"}[decision]
        note = (
            reasons
            if decision != "deferred"
            else f"Deferred by the round “{round_.title}”: {reasons}"
        )
        proposals.set_status(actor, proposal, status, reason=note[:2000], commit=False)
        return None
    if item.kind in EXTRA_KINDS:
        EXTRA_KINDS[item.kind].take_effect(
            actor, round_, item, decision, reasons, motion_id=motion_id
        )
        return None
    from participate.petitions import answering
    from participate.petitions.models import Petition

    petition = db.session.get(Petition, item.petition_id)
    if petition is None or decision == "deferred" or petition.status != "threshold_reached":
        return None
    answering.publish_response(
        actor,
        petition,
        decision=decision,
        response_text=reasons,
        motion_id=motion_id,
        round_id=round_.id,
        commit=False,
    )
    if (
        decision == "adopted"
        and petition.kind in GOVERNANCE_PETITIONS
        and motion_carried(_result_of(motion_id))
        and petition.constitution_version_id is None
    ):
        return petition
    return None


def _result_of(motion_id) -> dict | None:
    motion = db.session.get(Motion, motion_id) if motion_id else None
    return motion.result if motion is not None and motion.status == "closed" else None


def defer_undecided(round_: Round, *, now) -> None:
    """When the outcome phase ends by its schedule: every undecided item is deferred."""
    for item in undecided_items(round_):
        item.decision = "deferred"
        item.reasons = (
            f"No decision was recorded before the outcome phase ended on "
            f"{round_.outcome_ends_at:%-d %b %Y, %H:%M} UTC, so the item was deferred to a "
            "later round."
        )
        item.decided_at = now
        db.session.flush()
        take_effect(None, round_, item, "deferred", item.reasons, now=now)
        for merged in items_merged_into(item):
            decide_merged(None, round_, item, merged, now=now)
        record_event(
            "round.outcome_recorded",
            actor=None,
            council=round_.council_id,
            subject=round_,
            data={"item": item.id, "title": item.title, "decision": "deferred", "by": "schedule"},
        )
