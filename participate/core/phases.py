"""The deliberation round: its phases, its schedule and who may do what in each phase.

A round is created directly in ``briefing`` (there is no draft phase: a clerk who
is not ready keeps the round's briefing open until the evidence is in) with a
planned end for each of briefing, discussion, refinement, voting and outcome. It
then moves forward one phase at a time until ``closed``; it never goes back.

A clerk advances by hand (`check_advance`), or a phase whose planned end has
passed advances by itself the next time the round is read or written
(`due_transitions`): no scheduler process is needed.

`PERMISSIONS` is the one declaration of which roles may take which action in
which phase. Roles are those of `participate.core.rules`; only the council's
clerks run a round (admins run structure, not rounds). The rules on a proposal
itself (its status, its author) live in `participate.core.proposals`: an action on
an agenda item must pass both.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .rules import (
    CLERKS,
    MEMBERS,
    RuleViolation,
    as_utc,
    check_role_name,
    frozen_table,
    human_list,
    role_refusal,
)

PHASES: tuple[str, ...] = ("briefing", "discussion", "refinement", "voting", "outcome", "closed")
FIRST_PHASE = "briefing"
FINAL_PHASE = "closed"
# The phases that have a planned end (every phase but the last).
SCHEDULED_PHASES: tuple[str, ...] = PHASES[:-1]

ACTIONS: tuple[str, ...] = (
    "comment",
    "ask_question",
    "answer_question",
    "publish_evidence",
    "propose_amendment",
    "resolve_amendment",
    "merge_agenda_items",
    "change_agenda",
    "cast_ballot",
    "open_motion",
    "close_voting",
    "record_outcome",
    "advance_phase",
    "publish_minutes",
)

# The one table: (phase, action) -> roles allowed. A missing cell allows nobody.
# resolve_amendment is for the proposal's author, who must be a member; the
# author check is `proposals.check`'s.
PERMISSIONS: Mapping[tuple[str, str], frozenset[str]] = frozen_table(
    {
        ("briefing", "comment"): MEMBERS,
        ("briefing", "ask_question"): MEMBERS,
        ("briefing", "answer_question"): CLERKS,
        ("briefing", "publish_evidence"): CLERKS,
        ("briefing", "change_agenda"): CLERKS,
        ("briefing", "advance_phase"): CLERKS,
        ("discussion", "comment"): MEMBERS,
        ("discussion", "ask_question"): MEMBERS,
        ("discussion", "answer_question"): CLERKS,
        ("discussion", "advance_phase"): CLERKS,
        ("refinement", "propose_amendment"): MEMBERS,
        ("refinement", "resolve_amendment"): MEMBERS,
        ("refinement", "merge_agenda_items"): CLERKS,
        ("refinement", "advance_phase"): CLERKS,
        ("voting", "cast_ballot"): MEMBERS,
        ("voting", "open_motion"): CLERKS,
        ("voting", "close_voting"): CLERKS,
        ("voting", "advance_phase"): CLERKS,
        ("outcome", "record_outcome"): CLERKS,
        ("outcome", "advance_phase"): CLERKS,
        ("closed", "publish_minutes"): CLERKS,
    }
)

# action -> (subject of "... not allowed", verb phrase after "can", code noun)
_WORDS: dict[str, tuple[str, str, str]] = {
    "comment": ("Comments are", "comment on agenda items", "comments"),
    "ask_question": ("Questions are", "ask questions", "questions"),
    "answer_question": ("Answering questions is", "answer questions", "answers"),
    "publish_evidence": ("Publishing evidence is", "publish the evidence pack", "evidence"),
    "propose_amendment": ("Amendments are", "propose amendments", "amendments"),
    "resolve_amendment": (
        "Accepting or declining amendments is",
        "accept or decline amendments",
        "amendment_decisions",
    ),
    "merge_agenda_items": ("Merging agenda items is", "merge agenda items", "merges"),
    "change_agenda": ("Changing the agenda is", "change the agenda", "agenda_changes"),
    "cast_ballot": ("Voting is", "vote", "ballots"),
    "open_motion": ("Opening motions is", "open motions", "motions"),
    "close_voting": ("Closing the vote is", "close the vote", "closing_votes"),
    "record_outcome": ("Recording outcomes is", "record outcomes", "outcomes"),
    "advance_phase": ("Advancing the round is", "advance the round", "advancing"),
    "publish_minutes": ("Publishing the minutes is", "publish the minutes", "minutes"),
}

# Extra advice for the refusals people meet most; everything else is computed.
_HINTS: dict[tuple[str, str], str] = {
    ("refinement", "comment"): "In refinement, propose an amendment instead.",
    ("refinement", "ask_question"): "In refinement, propose an amendment instead.",
    ("discussion", "change_agenda"): (
        "The agenda is fixed once discussion starts; in refinement a clerk may merge "
        "duplicate agenda items."
    ),
    ("refinement", "change_agenda"): "In refinement, a clerk may merge duplicate agenda items.",
}


def _check_phase_name(phase: str) -> int:
    try:
        return PHASES.index(phase)
    except ValueError:
        raise RuleViolation(
            "unknown_phase",
            f"Unknown phase {phase!r}: a round's phases are {human_list(PHASES)}.",
            phase=phase,
        ) from None


def _check_action_name(action: str) -> None:
    if action not in ACTIONS:
        raise RuleViolation(
            "unknown_action",
            f"Unknown round action {action!r}: expected one of {human_list(ACTIONS, 'or')}.",
            action=action,
        )


def next_phase(phase: str) -> str:
    """The phase after ``phase``; refuses from ``closed``."""
    index = _check_phase_name(phase)
    if phase == FINAL_PHASE:
        raise RuleViolation(
            "round_closed",
            "This round is closed: a closed round has no next phase. Start a new round instead.",
            phase=phase,
        )
    return PHASES[index + 1]


def check_advance(current: str, target: str | None = None) -> str:
    """Check a move from ``current`` to ``target`` (default: the next phase); return the target.

    Only forward, one phase at a time. A ``target`` equal to ``current`` is refused
    with ``phase_already_current``: that is what the second of two clerks who
    advance at the same moment gets, so it must read as "someone already did it".
    """
    following = next_phase(current)
    if target is None or target == following:
        return following
    target_index = _check_phase_name(target)
    current_index = PHASES.index(current)
    if target_index == current_index:
        raise RuleViolation(
            "phase_already_current",
            f"The round is already in the {current} phase (another clerk may just have "
            f"advanced it). Reload the round; its next phase is {following}.",
            phase=current,
            target=target,
        )
    if target_index < current_index:
        raise RuleViolation(
            "phase_backwards",
            f"A round never goes back: it is in the {current} phase and cannot return to "
            f"{target}. Its next phase is {following}.",
            phase=current,
            target=target,
        )
    raise RuleViolation(
        "phase_skipped",
        f"A round advances one phase at a time: from {current} the next phase is "
        f"{following}, not {target}.",
        phase=current,
        target=target,
    )


def due_transitions(
    current_phase: str, planned_ends: Mapping[str, datetime], now: datetime
) -> list[str]:
    """The phases to step into, in order, because their predecessors' planned ends have passed.

    A phase's end has passed when ``now >= planned end``. Stepping stops at
    ``closed``, and at a phase without a planned end (it waits for a clerk).
    Naive datetimes are taken as UTC. Example: in ``discussion`` with the
    discussion and refinement ends passed, the answer is ``["refinement", "voting"]``.
    """
    _check_phase_name(current_phase)
    moment = as_utc(now)
    steps: list[str] = []
    phase = current_phase
    while phase != FINAL_PHASE:
        end = planned_ends.get(phase)
        if end is None or as_utc(end) > moment:
            break
        phase = next_phase(phase)
        steps.append(phase)
    return steps


def validate_schedule(
    planned_ends: Mapping[str, datetime],
    now: datetime,
    *,
    from_phase: str = FIRST_PHASE,
) -> dict[str, datetime]:
    """Check a round's planned ends; return them in phase order.

    Every phase from ``from_phase`` (briefing for a new round; the current phase
    when a running round is rescheduled) to ``outcome`` needs a planned end, after
    ``now``, each strictly later than the one before. Ends of phases already over
    may be given and are kept (they must still be in order). ``closed`` has no
    planned end. The refusal names the offending phase.
    """
    start = _check_phase_name(from_phase)
    if from_phase == FINAL_PHASE:
        raise RuleViolation(
            "round_closed", "This round is closed: it has no schedule left to change."
        )
    for phase in planned_ends:
        if phase not in SCHEDULED_PHASES:
            raise RuleViolation(
                "schedule_unknown_phase",
                f"{phase!r} is not a phase with a planned end: give ends for "
                f"{human_list(SCHEDULED_PHASES)}.",
                phase=phase,
            )
    moment = as_utc(now)
    result: dict[str, datetime] = {}
    previous: tuple[str, datetime] | None = None
    for index, phase in enumerate(SCHEDULED_PHASES):
        end = planned_ends.get(phase)
        if end is None:
            if index >= start:
                raise RuleViolation(
                    "schedule_missing_end",
                    f"The {phase} phase has no planned end: give one for every phase from "
                    f"{from_phase} to outcome.",
                    phase=phase,
                )
            continue
        if not isinstance(end, datetime):
            raise RuleViolation(
                "schedule_invalid",
                f"The planned end of the {phase} phase must be a date and time.",
                phase=phase,
            )
        end_utc = as_utc(end)
        if index >= start and end_utc <= moment:
            raise RuleViolation(
                "schedule_in_past",
                f"The planned end of the {phase} phase is in the past: choose a later time.",
                phase=phase,
            )
        if previous is not None and end_utc <= previous[1]:
            raise RuleViolation(
                "schedule_out_of_order",
                f"The {phase} phase must end after the {previous[0]} phase ends: "
                "planned ends must follow the order of the phases.",
                phase=phase,
            )
        previous = (phase, end_utc)
        result[phase] = end
    return result


def comment_action(stance: str) -> str:
    """The round action a comment with this stance is: a question or a comment."""
    return "ask_question" if stance == "question" else "comment"


def allowed_roles(phase: str, action: str) -> frozenset[str]:
    """The roles `PERMISSIONS` allows to take ``action`` in ``phase``."""
    _check_phase_name(phase)
    _check_action_name(action)
    return PERMISSIONS.get((phase, action), frozenset())


def phases_allowing(action: str) -> tuple[str, ...]:
    """The phases, in order, in which someone may take ``action``."""
    _check_action_name(action)
    return tuple(p for p in PHASES if PERMISSIONS.get((p, action)))


def is_allowed(phase: str, action: str, role: str) -> bool:
    """Whether ``role`` may take ``action`` in ``phase`` (for showing or hiding controls)."""
    check_role_name(role)
    return role in allowed_roles(phase, action)


def _in_phases(phases: tuple[str, ...]) -> str:
    words = human_list(phases)
    return f"the {words} phase" + ("s" if len(phases) > 1 else "")


def check(phase: str, action: str, role: str) -> None:
    """Refuse, with a `RuleViolation`, an ``action`` that ``role`` may not take in ``phase``.

    A phase refusal (code ``phase_closed_for_<noun>``, e.g. ``phase_closed_for_comments``)
    names the phases that allow the action, computed from `PERMISSIONS`; a role
    refusal (``sign_in_required``, ``members_only``, ``clerks_only``) says who may.
    """
    roles = allowed_roles(phase, action)
    check_role_name(role)
    if role in roles:
        return
    subject, doing, noun = _WORDS[action]
    if not roles:
        allowing = phases_allowing(action)
        where = (
            "once the round is closed"
            if phase == FINAL_PHASE
            else f"in the {phase} phase of this round"
        )
        message = (
            f"{subject} not allowed {where}: the rule allows this only in {_in_phases(allowing)}."
        )
        here = PHASES.index(phase)
        if all(PHASES.index(p) < here for p in allowing):
            message += (
                " That phase is over for this round."
                if len(allowing) == 1
                else " Those phases are over for this round."
            )
        elif all(PHASES.index(p) > here for p in allowing):
            message += f" Wait until the round reaches {allowing[0]}."
        hint = _HINTS.get((phase, action))
        if hint:
            message += f" {hint}"
        raise RuleViolation(
            f"phase_closed_for_{noun}",
            message,
            phase=phase,
            action=action,
            allowed_phases=list(allowing),
        )
    refusal = role_refusal(role, roles, doing)
    refusal.details.update(phase=phase, action=action)
    raise refusal
