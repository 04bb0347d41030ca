"""A round and its agenda items for the rounds services: loading them (404 otherwise), and
telling the council's members about the round."""

from __future__ import annotations

import sqlalchemy as sa

from participate.councils.models import Membership
from participate.errors import NotFound
from participate.extensions import db
from participate.notifications.services import notify
from participate.rounds.models import AgendaItem, Round


def load_round(round_id) -> Round:
    round_ = db.session.get(Round, round_id) if isinstance(round_id, int) else None
    if round_ is None:
        raise NotFound(
            f"There is no round {round_id}. See the Rounds tab of the council that ran it."
        )
    return round_


def item_of(round_: Round, item_id) -> AgendaItem:
    """An agenda item of this round (404 otherwise, whatever round it belongs to)."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise NotFound("That is not an agenda item number.") from None
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.round_id != round_.id:
        raise NotFound(f"Round {round_.id} has no agenda item {item_id}.")
    return item


def items_of(round_: Round) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.round_id == round_.id)
            .order_by(AgendaItem.position)
        )
    )


def active_member_ids(council_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.council_id == council_id, Membership.status == "active"
            )
        )
    )


def notify_members(round_: Round, kind: str, text: str, *, skip=None) -> int:
    """Tell the council's active members (who may take part in the round), in the transaction."""
    skip_id = getattr(skip, "id", skip)
    return notify(
        (uid for uid in active_member_ids(round_.council_id) if uid != skip_id),
        kind,
        text,
        f"/rounds/{round_.id}",
    )
