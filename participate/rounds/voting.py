"""The voting phase: one motion per agenda item, through the votes feature's services.

Entering voting creates and opens a motion for every item that was not merged into
another (binary by default; the clerk may choose ranked choice for an item with options,
or consent), closing at the voting phase's planned end. Leaving voting closes and tallies
the motions still open. Both happen inside the phase change's transaction (`lifecycle`
calls them). The clerk's choice of method is `decisions.set_method`.
"""

from __future__ import annotations

from datetime import datetime

from participate.core.tally import MAX_OPTIONS, MIN_OPTIONS
from participate.errors import DomainError
from participate.extensions import db
from participate.rounds.hooks import EXTRA_KINDS
from participate.rounds.models import AgendaItem, Round
from participate.votes import services as votes
from participate.votes.closing import close_voting
from participate.votes.models import Motion

GOVERNANCE_PETITIONS = ("cooperative_governance", "constitution_change")
_TITLE_ROOM = 150


def motion_kind(item: AgendaItem) -> str:
    """Governance petitions are decided by a governance motion (its higher threshold)."""
    if item.kind == "petition":
        from participate.petitions.models import Petition

        petition = db.session.get(Petition, item.petition_id)
        if petition is not None and petition.kind in GOVERNANCE_PETITIONS:
            return "governance"
    return "ordinary"


def _short(title: str) -> str:
    return title if len(title) <= _TITLE_ROOM else title[: _TITLE_ROOM - 1] + "…"


def motion_title(item: AgendaItem) -> str:
    title = _short(item.title)
    if item.method == "schulze":
        return f"Choose between the options for “{title}”"
    if item.kind == "petition":
        return f"Grant the petition “{title}”"
    if item.kind == "consultation":
        return f"Support the national draft “{title}”"
    return f"Adopt “{title}”" if item.method == "binary" else f"Proceed with “{title}”"


def _description(round_: Round, item: AgendaItem, merged: list[AgendaItem]) -> str:
    parts = [f"Item {item.position} of the round “{round_.title}”."]
    if item.kind == "proposal":
        from participate.proposals.models import Proposal

        proposal = db.session.get(Proposal, item.proposal_id)
        if proposal is not None:
            parts.append(
                f"The text put to the vote (version {proposal.version}):\n\n{proposal.body}"
            )
    elif item.kind in EXTRA_KINDS:
        parts.append(EXTRA_KINDS[item.kind].motion_text(item.subject_id))
    else:
        from participate.petitions.models import Petition

        petition = db.session.get(Petition, item.petition_id)
        if petition is not None:
            parts.append(f"The petition asks:\n\n{petition.change_text}")
    if merged:
        names = "; ".join(f"“{m.title}”" for m in merged)
        parts.append(f"This motion also decides the items merged into it: {names}.")
    return "\n\n".join(parts)[:19_000]


def clean_options(options: list[str]) -> list[str]:
    """2 to 20 distinct options of at most 200 characters (the votes feature's rule)."""
    seen: set[str] = set()
    for option in options:
        if len(option) > 200:
            raise DomainError(
                f"Keep each option under 200 characters ('{option[:40]}...').",
                code="bad_options",
                field="options",
            )
        if option.casefold() in seen:
            raise DomainError(
                f"'{option}' is listed twice; each option must be different.",
                code="bad_options",
                field="options",
            )
        seen.add(option.casefold())
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise DomainError(
            f"A ranked-choice vote needs {MIN_OPTIONS} to {MAX_OPTIONS} options, one per line "
            f"(you gave {len(options)}).",
            code="bad_options",
            field="options",
        )
    return options


def open_motions(round_: Round, items: list[AgendaItem], *, actor, now: datetime) -> None:
    """Create and open one motion per live item, closing at the voting phase's planned end."""
    closes_at = round_.voting_ends_at
    if closes_at < now + votes.MIN_VOTING_PERIOD:
        # Too close (or already past, when the schedule steps through voting at once): the
        # motions stay open until the round leaves voting, which closes them.
        closes_at = None
    for item in items:
        if item.is_merged or item.motion_id is not None or item.decision is not None:
            continue
        merged = [m for m in items if m.merged_into_id == item.id]
        motion = votes.create_motion(
            actor,
            round_.council,
            title=motion_title(item),
            method=item.method,
            options=item.options if item.method == "schulze" else None,
            kind=motion_kind(item),
            description=_description(round_, item, merged),
            origin=f"round:{round_.id}",
            commit=False,
        )
        votes.open_voting(actor, motion, closes_at, commit=False)
        item.motion_id = motion.id
    db.session.flush()


def close_motions(round_: Round, items: list[AgendaItem], *, actor) -> None:
    """Close and tally the motions still open (the votes feature may have closed some)."""
    for item in items:
        if item.motion_id is None:
            continue
        motion = db.session.get(Motion, item.motion_id)
        if motion is not None and motion.status == "open":
            close_voting(actor, motion, commit=False)
