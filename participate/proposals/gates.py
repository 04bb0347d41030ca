"""What a proposal's own state refuses beyond the status table: a hidden proposal takes no
new comments, supports or amendments (`require_visible`), and while it is on a round's agenda
the rounds feature may refuse too (`AGENDA_GATES`, filled by `participate.rounds.gate`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from participate.errors import DomainError

# Extension point for the rounds feature: each gate is called as gate(proposal, action, actor)
# before add_comment ("comment" / "reply"), propose_amendment and resolve_amendment write
# anything, when the proposal is on a round's agenda. A gate refuses by raising DomainError.
AGENDA_GATES: list[Callable[[Any, str, Any], None]] = []


def require_visible(proposal) -> None:
    """Hidden proposals take no new comments, supports or amendments."""
    if proposal.hidden_at is not None:
        raise DomainError(
            f"This proposal was hidden by the clerk: {proposal.hidden_reason}. "
            "It takes no new comments, supports or amendments.",
            code="proposal_hidden",
            status=409,
        )


def run_agenda_gates(proposal, action: str, actor) -> None:
    """Let the rounds feature refuse (by raising DomainError) while the proposal is on an agenda."""
    if proposal.status != "on_agenda":
        return
    for gate in list(AGENDA_GATES):
        gate(proposal, action, actor)
