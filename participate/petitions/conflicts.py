"""A clerk's conflict of interest on a petition: whoever started or sponsored it steps aside,
and another clerk of the council decides on it (`participate.core.conflicts`)."""

from __future__ import annotations

import sqlalchemy as sa

from participate.councils import access
from participate.extensions import db
from participate.petitions.models import Petition, PetitionSponsor


def _sponsor_ids(petition: Petition) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(PetitionSponsor.user_id).where(PetitionSponsor.petition_id == petition.id)
        )
    )


def check_no_conflict(actor, petition: Petition, doing: str) -> None:
    """Refuse (403 conflict_of_interest) a decision on a petition the actor started or
    sponsored; ``doing`` says what ("publish it")."""
    if not access.signed_in(actor):
        return
    access.check_no_conflict(
        actor,
        subject="petition",
        doing=doing,
        author_id=petition.author_id,
        sponsor_ids=_sponsor_ids(petition),
    )


def conflict_note(user, petition: Petition) -> str | None:
    """For the pages: "Ana Silva started this petition, so another clerk of the council
    decides on it." when the person started or sponsored it, else None."""
    if not access.signed_in(user):
        return None
    return access.conflict_note(
        user, subject="petition", author_id=petition.author_id, sponsor_ids=_sponsor_ids(petition)
    )
