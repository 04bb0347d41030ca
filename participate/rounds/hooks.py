"""How a higher feature adds a kind of agenda item to rounds, without rounds importing it.

Rounds knows proposals and petitions. A feature above it (the upward feature's national
consultations, `participate.upward.integration`) registers another kind at start-up with
`register_item_kind`, as rounds itself fills `participate.proposals.gates.AGENDA_GATES`.
The kind must be one of `participate.rounds.models.ITEM_KINDS` (it has its own column on
the agenda items table, ``<kind>_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from participate.rounds.models import ITEM_KINDS


@dataclass(frozen=True)
class ItemKind:
    """What rounds asks of a registered kind of agenda item."""

    # (council, id) -> the subject (with .id and .title) a clerk may put on the council's
    # agenda, or a DomainError (field "agenda") saying why not.
    subject: Callable[[Any, int], Any]
    # council -> the subjects the council could put on a round's agenda now.
    candidates: Callable[[Any], list]
    # subject id -> what the item's motion puts to the vote.
    motion_text: Callable[[int], str]
    # (actor, round, item, decision, reasons, *, motion_id) -> apply the round's decision to
    # the subject, inside the round's transaction.
    take_effect: Callable[..., Any]


# kind name -> its hooks, filled at start-up by the features above rounds.
EXTRA_KINDS: dict[str, ItemKind] = {}


def register_item_kind(name: str, kind: ItemKind) -> None:
    """Add (or replace) a kind of agenda item; its name must be a kind the table takes."""
    if name not in ITEM_KINDS or name in ("proposal", "petition"):
        raise ValueError(f"{name!r} is not an extra agenda item kind of the rounds tables")
    EXTRA_KINDS[name] = kind


def candidates(name: str, council) -> list:
    """The subjects of a registered kind the council could put on an agenda ([] if none)."""
    kind = EXTRA_KINDS.get(name)
    return kind.candidates(council) if kind is not None else []
