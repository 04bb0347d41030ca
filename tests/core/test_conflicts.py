"""Conflicts of interest (issue 13, finding 3): nobody decides on what they started,
sponsored or wrote."""

from __future__ import annotations

import pytest

from participate.core import conflicts
from participate.core.rules import RuleViolation


@pytest.mark.parametrize(
    ("person", "author", "sponsors", "expected"),
    [
        (1, 1, (), "started"),
        (2, 1, (2, 3), "sponsored"),
        (1, 1, (1,), "started"),
        (4, 1, (2, 3), None),
        (None, 1, (), None),
        (1, None, (), None),
    ],
)
def test_interest(person, author, sponsors, expected):
    assert conflicts.interest(person, author_id=author, sponsor_ids=sponsors) == expected


@pytest.mark.parametrize(
    ("subject", "relation", "note"),
    [
        (
            "petition",
            "started",
            "Ana Silva started this petition, so another clerk of the council decides on it.",
        ),
        (
            "petition",
            "sponsored",
            "Ana Silva sponsored this petition, so another clerk of the council decides on it.",
        ),
        (
            "proposal",
            "started",
            "Ana Silva wrote this proposal, so another clerk of the council moderates it.",
        ),
        (
            "comment",
            "started",
            "Ana Silva wrote this comment, so another clerk of the council moderates it.",
        ),
    ],
)
def test_the_note_says_who_stepped_aside(subject, relation, note):
    assert conflicts.stepped_aside("Ana Silva", subject, relation) == note


@pytest.mark.parametrize(
    ("person", "sponsors", "relation"), [(1, (), "started"), (2, (2,), "sponsored")]
)
def test_a_clerk_who_started_or_sponsored_a_petition_may_not_decide_on_it(
    person, sponsors, relation
):
    with pytest.raises(RuleViolation) as refused:
        conflicts.check_no_conflict(
            person,
            "Ana Silva",
            subject="petition",
            doing="publish it",
            author_id=1,
            sponsor_ids=sponsors,
        )
    assert refused.value.code == "conflict_of_interest"
    assert refused.value.details["relation"] == relation
    message = refused.value.message
    assert message.startswith(f"Ana Silva {relation} this petition, so another clerk")
    assert "You cannot publish it" in message and "an admin can appoint one" in message


def test_a_clerk_may_not_moderate_their_own_proposal_or_comment():
    for subject in ("proposal", "comment"):
        with pytest.raises(RuleViolation) as refused:
            conflicts.check_no_conflict(
                5, "Sam Clarke", subject=subject, doing="hide it", author_id=5
            )
        assert f"Sam Clarke wrote this {subject}" in refused.value.message
        assert f"may not moderate their own {subject}" in refused.value.message


def test_another_clerk_may():
    conflicts.check_no_conflict(
        9, "Lee Ward", subject="petition", doing="publish it", author_id=1, sponsor_ids=(2, 3)
    )
    conflicts.check_no_conflict(9, "Lee Ward", subject="comment", doing="hide it", author_id=5)


@pytest.mark.parametrize(("subject", "relation"), [("minutes", "started"), ("petition", "x")])
def test_unknown_subjects_and_relations_are_programming_errors(subject, relation):
    with pytest.raises(ValueError):
        conflicts.stepped_aside("Ana", subject, relation)
