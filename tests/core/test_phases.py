"""The deliberation round: phase order, schedule, and the phase x action x role matrix."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participate.core import phases
from participate.core.rules import ROLES, RuleViolation, council_role

# --- the expectation table, written independently of phases.PERMISSIONS -------------

ORDER = ["briefing", "discussion", "refinement", "voting", "outcome", "closed"]
MEMBER_ROLES = {"member", "clerk", "minister"}
CLERK_ONLY = {"clerk"}

# action -> (phases where it is allowed, roles that may take it there)
EXPECTED = {
    "comment": ({"briefing", "discussion"}, MEMBER_ROLES),
    "ask_question": ({"briefing", "discussion"}, MEMBER_ROLES),
    "answer_question": ({"briefing", "discussion"}, CLERK_ONLY),
    "publish_evidence": ({"briefing"}, CLERK_ONLY),
    "propose_amendment": ({"refinement"}, MEMBER_ROLES),
    "resolve_amendment": ({"refinement"}, MEMBER_ROLES),
    "merge_agenda_items": ({"refinement"}, CLERK_ONLY),
    "change_agenda": ({"briefing"}, CLERK_ONLY),
    "cast_ballot": ({"voting"}, MEMBER_ROLES),
    "open_motion": ({"voting"}, CLERK_ONLY),
    "close_voting": ({"voting"}, CLERK_ONLY),
    "record_outcome": ({"outcome"}, CLERK_ONLY),
    "advance_phase": (set(ORDER) - {"closed"}, CLERK_ONLY),
    "publish_minutes": ({"closed"}, CLERK_ONLY),
}

ALL_ROLES = ["visitor", "account", "member", "clerk", "minister", "admin"]
MATRIX = list(itertools.product(ORDER, sorted(EXPECTED), ALL_ROLES))


def test_the_expectation_table_covers_the_module():
    assert list(phases.PHASES) == ORDER
    assert set(phases.ACTIONS) == set(EXPECTED)
    assert list(ROLES) == ALL_ROLES


@pytest.mark.parametrize(("phase", "action", "role"), MATRIX)
def test_permission_matrix(phase, action, role):
    allowed_phases, allowed_roles = EXPECTED[action]
    expected = phase in allowed_phases and role in allowed_roles
    assert phases.is_allowed(phase, action, role) is expected
    if expected:
        phases.check(phase, action, role)
        return
    with pytest.raises(RuleViolation) as refused:
        phases.check(phase, action, role)
    error = refused.value
    assert error.message and error.code
    if phase not in allowed_phases:
        assert error.code.startswith("phase_closed_for_")
        assert error.details["allowed_phases"] == [p for p in ORDER if p in allowed_phases]
        for allowing in allowed_phases:
            assert allowing in error.message
        assert "phase" in error.message
    elif allowed_roles == CLERK_ONLY:
        assert error.code == "clerks_only"
        assert "clerks" in error.message
    else:
        assert error.code == "members_only"
        assert "members" in error.message


@pytest.mark.parametrize("phase", ORDER)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_allowed_actions_agree_with_the_matrix(phase, role):
    expected = {a for a, (ps, rs) in EXPECTED.items() if phase in ps and role in rs}
    assert {a for a in phases.ACTIONS if phases.is_allowed(phase, a, role)} == expected


def test_admins_run_structure_not_rounds():
    for phase in ORDER:
        assert not any(phases.is_allowed(phase, a, "admin") for a in phases.ACTIONS)


def test_the_comment_refusal_in_refinement_reads_well():
    with pytest.raises(RuleViolation) as refused:
        phases.check("refinement", "comment", "member")
    assert refused.value.code == "phase_closed_for_comments"
    message = refused.value.message
    assert "refinement phase" in message
    assert "only in the briefing and discussion phases" in message
    assert "propose an amendment instead" in message


def test_comments_open_in_briefing_and_discussion_only():
    """DESIGN §2: no comments outside briefing and discussion."""
    for phase in phases.PHASES:
        allowed = phase in ("briefing", "discussion")
        if allowed:
            phases.check(phase, "comment", "member")
        else:
            with pytest.raises(RuleViolation) as refused:
                phases.check(phase, "comment", "member")
            assert "the briefing and discussion phases" in refused.value.message


def test_questions_after_discussion_name_both_phases():
    with pytest.raises(RuleViolation) as refused:
        phases.check("voting", "ask_question", "member")
    assert refused.value.code == "phase_closed_for_questions"
    assert "the briefing and discussion phases" in refused.value.message
    assert "Those phases are over" in refused.value.message


def test_ballots_outside_voting():
    with pytest.raises(RuleViolation) as refused:
        phases.check("closed", "cast_ballot", "member")
    assert refused.value.code == "phase_closed_for_ballots"
    assert "once the round is closed" in refused.value.message
    assert "voting phase" in refused.value.message


def test_agenda_is_fixed_once_discussion_starts_except_the_merge():
    with pytest.raises(RuleViolation) as refused:
        phases.check("discussion", "change_agenda", "clerk")
    assert "merge" in refused.value.message
    phases.check("refinement", "merge_agenda_items", "clerk")


def test_a_visitor_is_told_to_join():
    with pytest.raises(RuleViolation) as refused:
        phases.check("discussion", "comment", "visitor")
    assert refused.value.code == "members_only"
    assert "Sign in" in refused.value.message


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (("drafting", "comment", "member"), "unknown_phase"),
        (("discussion", "shout", "member"), "unknown_action"),
        (("discussion", "comment", "king"), "unknown_role"),
    ],
)
def test_unknown_names_are_refused(bad, code):
    with pytest.raises(RuleViolation) as refused:
        phases.check(*bad)
    assert refused.value.code == code


def test_comment_action_maps_questions():
    assert phases.comment_action("question") == "ask_question"
    for stance in ("for", "against", "neutral"):
        assert phases.comment_action(stance) == "comment"


def test_phases_allowing():
    assert phases.phases_allowing("comment") == ("briefing", "discussion")
    assert phases.phases_allowing("advance_phase") == tuple(ORDER[:-1])


# --- order ----------------------------------------------------------------------------


@pytest.mark.parametrize(("phase", "following"), list(itertools.pairwise(ORDER)))
def test_next_phase(phase, following):
    assert phases.next_phase(phase) == following
    assert phases.check_advance(phase) == following
    assert phases.check_advance(phase, following) == following


def test_no_next_phase_after_closed():
    with pytest.raises(RuleViolation) as refused:
        phases.next_phase("closed")
    assert refused.value.code == "round_closed"
    with pytest.raises(RuleViolation) as refused:
        phases.check_advance("closed")
    assert refused.value.code == "round_closed"


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ORDER, ORDER)))
def test_check_advance_matrix(current, target):
    i, j = ORDER.index(current), ORDER.index(target)
    if current == "closed":
        expected_code = "round_closed"
    elif j == i + 1:
        expected_code = None
    elif j == i:
        expected_code = "phase_already_current"
    elif j < i:
        expected_code = "phase_backwards"
    else:
        expected_code = "phase_skipped"
    if expected_code is None:
        assert phases.check_advance(current, target) == target
    else:
        with pytest.raises(RuleViolation) as refused:
            phases.check_advance(current, target)
        assert refused.value.code == expected_code


def test_the_second_of_two_simultaneous_advances_reads_clearly():
    with pytest.raises(RuleViolation) as refused:
        phases.check_advance("refinement", "refinement")
    assert "already in the refinement phase" in refused.value.message
    assert "another clerk" in refused.value.message


# --- automatic advance -------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def schedule(start: datetime, step: timedelta = timedelta(days=1)) -> dict[str, datetime]:
    return {phase: start + step * (i + 1) for i, phase in enumerate(ORDER[:-1])}


def test_nothing_due_before_the_first_end():
    assert phases.due_transitions("briefing", schedule(NOW), NOW) == []


def test_due_transitions_step_through_passed_phases_in_order():
    ends = schedule(NOW - timedelta(days=3) - timedelta(hours=1))
    # briefing, discussion and refinement ended; voting still running
    assert phases.due_transitions("briefing", ends, NOW) == ["discussion", "refinement", "voting"]
    assert phases.due_transitions("refinement", ends, NOW) == ["voting"]
    assert phases.due_transitions("voting", ends, NOW) == []


def test_due_transitions_stop_at_closed():
    ends = schedule(NOW - timedelta(days=30))
    assert phases.due_transitions("briefing", ends, NOW) == ORDER[1:]
    assert phases.due_transitions("closed", ends, NOW) == []


def test_end_exactly_now_has_passed():
    ends = {"briefing": NOW}
    assert phases.due_transitions("briefing", ends, NOW) == ["discussion"]


def test_a_phase_without_planned_end_waits_for_the_clerk():
    ends = {"briefing": NOW - timedelta(days=2), "refinement": NOW - timedelta(days=1)}
    assert phases.due_transitions("briefing", ends, NOW) == ["discussion"]


def test_naive_datetimes_are_taken_as_utc():
    naive_ends = {
        p: d.replace(tzinfo=None) for p, d in schedule(NOW - timedelta(days=1, hours=1)).items()
    }
    assert phases.due_transitions("briefing", naive_ends, NOW) == ["discussion"]
    other_zone = NOW.astimezone(timezone(timedelta(hours=5)))
    assert phases.due_transitions("briefing", naive_ends, other_zone) == ["discussion"]


@given(
    st.sampled_from(ORDER),
    st.lists(st.integers(min_value=-1000, max_value=1000), min_size=5, max_size=5, unique=True),
)
def test_due_transitions_are_the_consecutive_passed_ends(current, offsets):
    ends = {p: NOW + timedelta(minutes=m) for p, m in zip(ORDER[:-1], sorted(offsets), strict=True)}
    steps = phases.due_transitions(current, ends, NOW)
    start = ORDER.index(current)
    assert steps == ORDER[start + 1 : start + 1 + len(steps)]
    # every phase left had ended; the phase reached has not (or is closed)
    for left in [current, *steps][:-1]:
        assert ends[left] <= NOW
    reached = ([current, *steps])[-1]
    assert reached == "closed" or ends[reached] > NOW


# --- schedule ---------------------------------------------------------------------------


def test_a_good_schedule_is_returned_in_order():
    ends = schedule(NOW)
    shuffled = dict(reversed(list(ends.items())))
    result = phases.validate_schedule(shuffled, NOW)
    assert list(result) == ORDER[:-1]
    assert result == ends


@pytest.mark.parametrize("missing", ORDER[:-1])
def test_every_phase_needs_an_end(missing):
    ends = schedule(NOW)
    del ends[missing]
    with pytest.raises(RuleViolation) as refused:
        phases.validate_schedule(ends, NOW)
    assert refused.value.code == "schedule_missing_end"
    assert missing in refused.value.message
    assert refused.value.details["phase"] == missing


@pytest.mark.parametrize("late", ORDER[1:-1])
def test_ends_must_strictly_increase(late):
    ends = schedule(NOW)
    ends[late] = ends[ORDER[ORDER.index(late) - 1]]
    with pytest.raises(RuleViolation) as refused:
        phases.validate_schedule(ends, NOW)
    assert refused.value.code == "schedule_out_of_order"
    assert refused.value.details["phase"] == late
    assert late in refused.value.message


def test_ends_in_the_past_are_refused_and_named():
    ends = schedule(NOW - timedelta(hours=36))  # briefing ended 12 hours ago
    with pytest.raises(RuleViolation) as refused:
        phases.validate_schedule(ends, NOW)
    assert refused.value.code == "schedule_in_past"
    assert refused.value.details["phase"] == "briefing"


def test_an_end_exactly_now_is_in_the_past():
    ends = schedule(NOW - timedelta(days=1))
    with pytest.raises(RuleViolation) as refused:
        phases.validate_schedule(ends, NOW)
    assert refused.value.code == "schedule_in_past"


def test_rescheduling_a_running_round_keeps_past_ends():
    ends = schedule(NOW - timedelta(hours=36))
    result = phases.validate_schedule(ends, NOW, from_phase="discussion")
    assert result == ends
    del ends["briefing"]
    assert phases.validate_schedule(ends, NOW, from_phase="discussion") == ends
    with pytest.raises(RuleViolation):
        phases.validate_schedule(ends, NOW + timedelta(days=1), from_phase="discussion")


def test_closed_has_no_end_and_unknown_phases_are_refused():
    for extra in ("closed", "afterparty"):
        ends = {**schedule(NOW), extra: NOW + timedelta(days=30)}
        with pytest.raises(RuleViolation) as refused:
            phases.validate_schedule(ends, NOW)
        assert refused.value.code == "schedule_unknown_phase"
    with pytest.raises(RuleViolation) as refused:
        phases.validate_schedule(schedule(NOW), NOW, from_phase="closed")
    assert refused.value.code == "round_closed"


def test_an_end_must_be_a_datetime():
    ends: dict = schedule(NOW)
    ends["voting"] = "tomorrow"
    with pytest.raises(RuleViolation) as refused:
        phases.validate_schedule(ends, NOW)
    assert refused.value.code == "schedule_invalid"
    assert refused.value.details["phase"] == "voting"


def test_mixed_naive_and_aware_schedule():
    ends = schedule(NOW)
    ends["briefing"] = ends["briefing"].replace(tzinfo=None)
    assert phases.validate_schedule(ends, NOW)["briefing"] == ends["briefing"]


# --- rules shared by every module ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "role"),
    [
        ({"signed_in": False}, "visitor"),
        (
            {
                "signed_in": False,
                "is_admin": True,
                "membership_role": "clerk",
                "membership_status": "active",
            },
            "visitor",
        ),
        ({"signed_in": True}, "account"),
        ({"signed_in": True, "is_admin": True}, "admin"),
        ({"signed_in": True, "membership_role": "member", "membership_status": "active"}, "member"),
        (
            {"signed_in": True, "membership_role": "member", "membership_status": "pending"},
            "account",
        ),
        (
            {"signed_in": True, "membership_role": "clerk", "membership_status": "suspended"},
            "account",
        ),
        (
            {
                "signed_in": True,
                "is_admin": True,
                "membership_role": "clerk",
                "membership_status": "active",
            },
            "clerk",
        ),
        (
            {"signed_in": True, "membership_role": "minister", "membership_status": "active"},
            "minister",
        ),
    ],
)
def test_council_role(kwargs, role):
    assert council_role(**kwargs) == role


def test_rule_violation_is_a_value_error_with_api_shape():
    error = RuleViolation("some_rule", "Do something else.", phase="voting")
    assert isinstance(error, ValueError)
    assert str(error) == "Do something else."
    assert error.as_json() == {"error": {"code": "some_rule", "message": "Do something else."}}
    assert error.details == {"phase": "voting"}
