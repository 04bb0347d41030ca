"""The actor's role in a petition's council, their conflicts of interest, and rule refusals
as HTTP-ready errors."""

from __future__ import annotations

import sqlalchemy as sa

from participate.core import conflicts
from participate.core.rules import RuleViolation, council_role
from participate.councils.models import Council
from participate.councils.services import membership_of
from participate.errors import DomainError
from participate.extensions import db
from participate.petitions.models import Petition, PetitionSponsor

# A refusal's HTTP status by rule code: who you are (401/403) or the state it is in (409).
RULE_STATUS = {
    "sign_in_required": 401,
    "clerks_only": 403,
    "members_only": 403,
    "role_not_allowed": 403,
    "author_only": 403,
    "author_cannot_sponsor": 403,
    "email_unconfirmed": 403,
    "not_a_member": 400,
    "declaration_required": 400,
    "automatic_transition": 409,
    "transition_not_allowed": 409,
    "petition_closed": 409,
    "petition_not_published": 409,
    "petition_rejected": 409,
    "petition_open": 409,
    "petition_threshold_reached": 409,
    "already_sponsored": 409,
    "deadline_passed": 409,
    "conflict_of_interest": 403,
    "place_required": 400,
    "service_required": 400,
}
FIELDS = {
    "not_a_member": "declaration",
    "declaration_required": "declaration",
    "place_required": "place",
    "service_required": "service",
}


def refusal(violation: RuleViolation) -> DomainError:
    """A core RuleViolation as a DomainError with the status its code deserves."""
    return DomainError(
        violation.message,
        code=violation.code,
        status=RULE_STATUS.get(violation.code, 403),
        field=FIELDS.get(violation.code),
    )


def role_in(user, council: Council) -> str:
    """The person's role in the council for the rule tables (visitor, account, member, clerk...)."""
    membership = membership_of(user, council)
    return council_role(
        signed_in=bool(user is not None and getattr(user, "is_authenticated", False)),
        is_admin=bool(getattr(user, "is_admin", False)),
        membership_role=membership.role if membership else None,
        membership_status=membership.status if membership else None,
    )


def _sponsor_ids(petition: Petition) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(PetitionSponsor.user_id).where(PetitionSponsor.petition_id == petition.id)
        )
    )


def _signed_in(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def check_no_conflict(actor, petition: Petition, doing: str) -> None:
    """Refuse (403 conflict_of_interest) a decision on a petition the actor started or
    sponsored (`participate.core.conflicts`): another clerk of the council decides on it."""
    if not _signed_in(actor):
        return
    try:
        conflicts.check_no_conflict(
            actor.id,
            actor.name,
            subject="petition",
            doing=doing,
            author_id=petition.author_id,
            sponsor_ids=_sponsor_ids(petition),
        )
    except RuleViolation as violation:
        raise refusal(violation) from None


def conflict_note(user, petition: Petition) -> str | None:
    """For the pages: "Ana Silva started this petition, so another clerk of the council
    decides on it." when the person started or sponsored it, else None."""
    if not _signed_in(user):
        return None
    relation = conflicts.interest(
        user.id, author_id=petition.author_id, sponsor_ids=_sponsor_ids(petition)
    )
    return conflicts.stepped_aside(user.name, "petition", relation) if relation else None
