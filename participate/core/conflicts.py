"""Conflicts of interest: nobody decides on what they started, sponsored or wrote.

A clerk may not moderate, publish, reject, answer or invalidate signatures on a petition
they started or sponsored, nor moderate (hide, dismiss the flags on, decide the appeal
against the hiding of) their own proposal or comment: another clerk of the council does.
Admins run the structure, not a council's life (see `participate.core.rules`): where a
council has no other clerk, an admin appoints one.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Collection

from .rules import RuleViolation

SUBJECTS: tuple[str, ...] = ("petition", "proposal", "comment")
# What the person did to the subject that makes them an interested party.
STARTED = "started"
SPONSORED = "sponsored"
WROTE = "wrote"
# What the other clerk does instead, by subject.
_DECIDES = {
    "petition": "decides on it",
    "proposal": "moderates it",
    "comment": "moderates it",
}
_FORBIDDEN = {
    "petition": "a clerk may not moderate, publish, reject, answer or invalidate signatures "
    "on a petition they started or sponsored",
    "proposal": "a clerk may not moderate their own proposal",
    "comment": "a clerk may not moderate their own comment",
}


def interest(
    person_id: int | None, *, author_id: int | None, sponsor_ids: Collection[int] = ()
) -> str | None:
    """How the person is party to the subject: ``started``/``wrote`` (its author; the word
    is chosen by `stepped_aside`), ``sponsored``, or ``None`` (no interest)."""
    if person_id is None:
        return None
    if author_id is not None and person_id == author_id:
        return STARTED
    if person_id in sponsor_ids:
        return SPONSORED
    return None


def _relation(subject: str, relation: str) -> str:
    if subject not in SUBJECTS:
        raise ValueError(f"unknown subject {subject!r}: expected one of {', '.join(SUBJECTS)}")
    if relation == STARTED and subject != "petition":
        return WROTE
    if relation not in (STARTED, SPONSORED):
        raise ValueError(f"unknown relation {relation!r}")
    return relation


def stepped_aside(name: str, subject: str, relation: str) -> str:
    """The page's note, e.g. "Ana Silva started this petition, so another clerk of the
    council decides on it." """
    verb = _relation(subject, relation)
    return f"{name} {verb} this {subject}, so another clerk of the council {_DECIDES[subject]}."


def check_no_conflict(
    person_id: int | None,
    name: str,
    *,
    subject: str,
    doing: str,
    author_id: int | None,
    sponsor_ids: Collection[int] = (),
) -> None:
    """Refuse (``conflict_of_interest``) when the person started, sponsored or wrote the
    subject they are about to decide on; ``doing`` says what (``publish it``...)."""
    relation = interest(person_id, author_id=author_id, sponsor_ids=sponsor_ids)
    if relation is None:
        return
    raise RuleViolation(
        "conflict_of_interest",
        f"{stepped_aside(name, subject, relation)} You cannot {doing}: "
        f"{_FORBIDDEN[subject]}. If the council has no other clerk, an admin can appoint one.",
        subject=subject,
        relation=_relation(subject, relation),
    )
