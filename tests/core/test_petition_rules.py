"""Petitions: lifecycle matrix, signing and sponsoring, thresholds, settings, milestones, deadlines."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participate.core import constitution_settings, petitions, signature_batches
from participate.core.rules import RuleViolation

STATUSES = [
    "draft",
    "collecting_sponsors",
    "in_moderation",
    "rejected",
    "open",
    "threshold_reached",
    "closed",
    "closed_unsuccessful",
]
ALL_ROLES = ["visitor", "account", "member", "clerk", "minister", "admin"]
SIGNED_IN = {"account", "member", "clerk", "minister", "admin"}

# --- lifecycle: the expectation table, written independently ---------------------------------

# (from, to) -> (who may, author only)
EXPECTED_TRANSITIONS = {
    ("draft", "collecting_sponsors"): (SIGNED_IN, True),
    ("collecting_sponsors", "in_moderation"): ({"system"}, False),
    ("in_moderation", "open"): ({"clerk"}, False),
    ("in_moderation", "rejected"): ({"clerk"}, False),
    ("open", "threshold_reached"): ({"system"}, False),
    ("open", "closed_unsuccessful"): ({"system"}, False),
    ("threshold_reached", "closed"): ({"clerk", "system"}, False),
}
TRANSITION_MATRIX = list(
    itertools.product(STATUSES, STATUSES, [*ALL_ROLES, "system"], [False, True])
)


def test_the_expectation_tables_cover_the_module():
    assert list(petitions.STATUSES) == STATUSES
    assert set(petitions.STATUS_LABELS) == set(STATUSES)
    assert petitions.KINDS == ("cooperative_governance", "early_scrutiny", "constitution_change")
    assert set(petitions.TRANSITIONS) == set(EXPECTED_TRANSITIONS)
    assert set(petitions.ACTIONS) == set(EXPECTED_ACTIONS)


@pytest.mark.parametrize(("status", "target", "role", "is_author"), TRANSITION_MATRIX)
def test_transition_matrix(status, target, role, is_author):
    rule = EXPECTED_TRANSITIONS.get((status, target))
    allowed = rule is not None and role in rule[0] and (is_author or not rule[1])
    if allowed:
        petitions.check_transition(status, target, role, is_author=is_author)
        return
    with pytest.raises(RuleViolation) as refused:
        petitions.check_transition(status, target, role, is_author=is_author)
    code = refused.value.code
    if rule is None:
        final = status in {"rejected", "closed", "closed_unsuccessful"}
        assert code == ("petition_closed" if final else "transition_not_allowed")
        for following in (t for (s, t) in EXPECTED_TRANSITIONS if s == status):
            assert following in refused.value.message
    elif role not in rule[0]:
        humans = rule[0] - {"system"}
        if not humans:
            assert code == "automatic_transition"
        elif humans == {"clerk"}:
            assert code == "clerks_only"
        else:
            assert code == ("role_not_allowed" if role == "system" else "sign_in_required")
    else:
        assert code == "author_only"


# --- actions ----------------------------------------------------------------------------------

# action -> (statuses, roles, author rule: "only" / "never" / None)
EXPECTED_ACTIONS = {
    "edit": ({"draft"}, SIGNED_IN, "only"),
    "sponsor": ({"collecting_sponsors"}, SIGNED_IN, "never"),
    "sign": ({"open", "threshold_reached"}, SIGNED_IN, None),
    "invalidate_signature": ({"open", "threshold_reached"}, {"clerk"}, None),
    "add_to_agenda": ({"threshold_reached"}, {"clerk"}, None),
}
ACTION_MATRIX = list(
    itertools.product(STATUSES, sorted(EXPECTED_ACTIONS), ALL_ROLES, [False, True])
)


@pytest.mark.parametrize(("status", "action", "role", "is_author"), ACTION_MATRIX)
def test_action_matrix(status, action, role, is_author):
    statuses, roles, author = EXPECTED_ACTIONS[action]
    author_ok = author is None or (author == "only") == is_author
    allowed = status in statuses and role in roles and author_ok
    if allowed:
        petitions.check(status, action, role, is_author=is_author)
        return
    with pytest.raises(RuleViolation) as refused:
        petitions.check(status, action, role, is_author=is_author)
    error = refused.value
    if status not in statuses:
        assert error.code.startswith("petition_")
        assert error.details["allowed_statuses"] == [s for s in STATUSES if s in statuses]
        for allowing in statuses:
            assert petitions.STATUS_LABELS[allowing] in error.message
    elif role not in roles:
        expected = "sign_in_required" if role == "visitor" and "account" in roles else "clerks_only"
        assert error.code == expected
    else:
        assert error.code == ("author_only" if author == "only" else "author_cannot_sponsor")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("draft", "petition_not_published"),
        ("collecting_sponsors", "petition_not_published"),
        ("in_moderation", "petition_not_published"),
        ("rejected", "petition_rejected"),
        ("closed", "petition_closed"),
        ("closed_unsuccessful", "petition_closed"),
    ],
)
def test_signing_a_petition_that_takes_no_signatures(status, code):
    with pytest.raises(RuleViolation) as refused:
        petitions.check_can_sign(status, email_confirmed=True, declaration="live")
    assert refused.value.code == code
    assert "open for signatures" in refused.value.message


@pytest.mark.parametrize(
    ("declaration", "member_constituency", "recorded"),
    [
        ("live", None, "citizen"),
        ("work", None, "employee"),
        ("live", "leader", "citizen"),
        ("member", "leader", "leader"),
        ("member", "elected", "elected"),
        ("member", "partner", "partner"),
    ],
)
def test_the_declaration_records_the_constituency(declaration, member_constituency, recorded):
    for status in ("open", "threshold_reached"):
        assert (
            petitions.check_can_sign(
                status,
                email_confirmed=True,
                declaration=declaration,
                member_constituency=member_constituency,
            )
            == recorded
        )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"email_confirmed": False, "declaration": "live"}, "email_unconfirmed"),
        ({"email_confirmed": True, "declaration": ""}, "declaration_required"),
        ({"email_confirmed": True, "declaration": "visit"}, "declaration_required"),
        ({"email_confirmed": True, "declaration": "member"}, "not_a_member"),
        (
            {"email_confirmed": True, "declaration": "member", "member_constituency": "pope"},
            "unknown_constituency",
        ),
        ({"email_confirmed": True, "declaration": "live", "role": "visitor"}, "sign_in_required"),
    ],
)
def test_ineligible_signers(kwargs, code):
    with pytest.raises(RuleViolation) as refused:
        petitions.check_can_sign("open", **kwargs)
    assert refused.value.code == code


def test_signing_after_the_deadline():
    deadline = datetime(2026, 6, 1, tzinfo=UTC)
    common = {"email_confirmed": True, "declaration": "work", "deadline": deadline}
    assert petitions.check_can_sign("open", now=deadline - timedelta(seconds=1), **common)
    with pytest.raises(RuleViolation) as refused:
        petitions.check_can_sign("open", now=deadline, **common)
    assert refused.value.code == "deadline_passed"


def test_sponsoring():
    petitions.check_can_sponsor("collecting_sponsors", False, False)
    cases = [
        (("collecting_sponsors", True, False), {}, "author_cannot_sponsor"),
        (("collecting_sponsors", False, True), {}, "already_sponsored"),
        (("collecting_sponsors", False, False), {"email_confirmed": False}, "email_unconfirmed"),
        (("collecting_sponsors", False, False), {"role": "visitor"}, "sign_in_required"),
        (("open", False, False), {}, "petition_open"),
        (("draft", False, False), {}, "petition_not_published"),
    ]
    for args, kwargs, code in cases:
        with pytest.raises(RuleViolation) as refused:
            petitions.check_can_sponsor(*args, **kwargs)
        assert refused.value.code == code


def test_a_sponsor_link_reused_after_publication_says_to_sign():
    with pytest.raises(RuleViolation) as refused:
        petitions.check_can_sponsor("open", False, False)
    assert "sign it instead" in refused.value.message


@pytest.mark.parametrize(
    ("count", "needed", "complete"),
    [(0, 5, False), (4, 5, False), (5, 5, True), (6, 5, True), (0, 0, True)],
)
def test_sponsors_complete(count, needed, complete):
    assert petitions.sponsors_complete(count, needed) is complete


def test_sponsor_counts_cannot_be_negative():
    with pytest.raises(ValueError):
        petitions.sponsors_complete(-1, 5)


def test_status_after_deadline():
    deadline = datetime(2026, 6, 1, tzinfo=UTC)
    before, at = deadline - timedelta(minutes=1), deadline
    assert petitions.status_after_deadline("open", deadline, before) == "open"
    assert petitions.status_after_deadline("open", deadline, at) == "closed_unsuccessful"
    assert petitions.status_after_deadline("threshold_reached", deadline, at) == "threshold_reached"


@pytest.mark.parametrize(
    "kind", ["cooperative_governance", "early_scrutiny", "constitution_change"]
)
def test_kinds(kind):
    assert petitions.validate_kind(kind) == kind


@pytest.mark.parametrize("kind", ["", "referendum", None])
def test_bad_kinds(kind):
    with pytest.raises(RuleViolation) as refused:
        petitions.validate_kind(kind)
    assert refused.value.code == "kind_invalid"


# --- threshold --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "kwargs", "expected"),
    [
        (None, {}, 100),
        (0, {}, 100),
        (1, {}, 100),
        (9_999, {}, 100),
        (10_000, {}, 100),
        (10_001, {}, 101),
        (568_996, {}, 5_690),
        (56_000_000, {}, 560_000),
        (10**15 + 1, {}, 10**13 + 1),
        (1_000, {"minimum": 1, "rate": 0.007}, 7),  # float 0.007 * 1000 is 7.000000000000001
        (100, {"minimum": 1, "rate": 0.07}, 7),  # float 0.07 * 100 is 7.000000000000001
        (1_000, {"minimum": 1, "rate": "0.007"}, 7),
        (1_000, {"minimum": 1, "rate": Decimal("0.007")}, 7),
        (300, {"minimum": 1, "rate": Fraction(1, 3)}, 100),
        (301, {"minimum": 1, "rate": Fraction(1, 3)}, 101),
        (568_996, {"minimum": 10_000}, 10_000),
        (5_000, {"rate": 0}, 100),
        (5_000, {"rate": 1}, 5_000),
        (None, {"minimum": 1}, 1),
    ],
)
def test_threshold(population, kwargs, expected):
    assert petitions.threshold(population, **kwargs) == expected


@pytest.mark.parametrize(
    ("population", "kwargs"),
    [
        (-1, {}),
        (1.5, {}),
        (True, {}),
        (1000, {"minimum": 0}),
        (1000, {"minimum": 2.5}),
        (1000, {"rate": -0.01}),
        (1000, {"rate": 1.5}),
        (1000, {"rate": float("nan")}),
        (1000, {"rate": "lots"}),
        (1000, {"rate": True}),
    ],
)
def test_bad_threshold_inputs(population, kwargs):
    with pytest.raises(ValueError):
        petitions.threshold(population, **kwargs)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10_000))
def test_threshold_is_the_least_count_reaching_the_rate(population, minimum):
    needed = petitions.threshold(population, minimum=minimum)
    assert needed >= minimum
    if needed > minimum:
        assert needed * 100 >= population > (needed - 1) * 100


@pytest.mark.parametrize(
    ("population", "kwargs", "text"),
    [
        (568_996, {}, "max(100, ceil(1% × 568,996)) = 5,690"),
        (0, {}, "max(100, ceil(1% × 0)) = 100"),
        (
            2_000_000,
            {"minimum": 1_000, "rate": 0.005},
            "max(1,000, ceil(0.5% × 2,000,000)) = 10,000",
        ),
        (1_000, {"rate": Fraction(1, 8)}, "max(100, ceil(12.5% × 1,000)) = 125"),
        (None, {}, "100 (the minimum: the population of the place is not known)"),
    ],
)
def test_threshold_explanation(population, kwargs, text):
    assert petitions.threshold_explanation(population, **kwargs) == text


# --- milestones and deadlines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "new", "kwargs", "crossed"),
    [
        (0, 9, {}, []),
        (9, 10, {}, [10]),
        (10, 11, {}, []),
        (0, 1_000, {}, [10, 100, 1_000]),
        (5, 20_000, {"threshold": 5_690}, [10, 100, 1_000, 5_690, 10_000]),
        (5_689, 5_690, {"threshold": 5_690}, [5_690]),
        (5_690, 5_700, {"threshold": 5_690}, []),
        (99, 100, {"threshold": 100}, [100]),  # the threshold equal to a milestone appears once
        (200, 50, {}, []),  # invalidation lowers the count: nothing crossed
        (0, 50, {"milestones": (25, 50), "threshold": 30}, [25, 30, 50]),
    ],
)
def test_crossed_milestones(previous, new, kwargs, crossed):
    assert signature_batches.crossed_milestones(previous, new, **kwargs) == crossed


def test_response_deadline():
    reached = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert petitions.response_deadline(reached) == datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
    assert petitions.response_deadline(reached, days=1) == reached + timedelta(days=1)
    with pytest.raises(ValueError):
        petitions.response_deadline(reached, days=0)


@pytest.mark.parametrize(
    ("opened", "months", "deadline"),
    [
        (datetime(2026, 1, 15), 6, datetime(2026, 7, 15)),
        (datetime(2025, 8, 31), 6, datetime(2026, 2, 28)),
        (datetime(2027, 8, 31), 6, datetime(2028, 2, 29)),
        (datetime(2026, 11, 30, 8), 3, datetime(2027, 2, 28, 8)),
        (datetime(2026, 12, 1), 12, datetime(2027, 12, 1)),
    ],
)
def test_signing_deadline(opened, months, deadline):
    assert petitions.signing_deadline(opened, months) == deadline


def test_deadline_passed_mixes_naive_and_aware():
    deadline = datetime(2026, 6, 1, 12, 0)
    assert petitions.deadline_passed(deadline, datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    assert not petitions.deadline_passed(deadline, datetime(2026, 6, 1, 11, 59, tzinfo=UTC))


# --- constitution settings ------------------------------------------------------------------------


def test_good_settings_are_normalised():
    settings = {
        "weights": {
            "citizen": 2,
            "employee": "1.5",
            "leader": 0,
            "elected": Decimal("1"),
            "partner": 0.5,
        },
        "quorum": "0.1",
        "threshold": Fraction(2, 3),
        "governance_threshold": 0.75,
        "min_constituencies": 3,
        "concurrent_majority": True,
        "petition_minimum": "250",
        "petition_rate": 0.02,
        "petition_sponsors": 0,
        "petition_response_days": 90.0,
    }
    result = constitution_settings.validate_constitution_settings(settings)
    assert result == {
        "weights": {"citizen": 2.0, "employee": 1.5, "leader": 0.0, "elected": 1.0, "partner": 0.5},
        "quorum": 0.1,
        "threshold": 2 / 3,
        "governance_threshold": 0.75,
        "min_constituencies": 3,
        "concurrent_majority": True,
        "petition_minimum": 250,
        "petition_rate": 0.02,
        "petition_sponsors": 0,
        "petition_response_days": 90,
    }
    assert set(result) == set(constitution_settings.SETTINGS_KEYS)


def test_partial_settings_are_allowed():
    assert constitution_settings.validate_constitution_settings({"weights": {"citizen": 3}}) == {
        "weights": {"citizen": 3.0}
    }


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"weights": {"citizen": -1}}, "weights.citizen"),
        ({"weights": {"citizen": 0, "employee": 0}}, "weights"),
        ({"weights": {"aliens": 1}}, "weights.aliens"),
        ({"weights": {"citizen": "heavy"}}, "weights.citizen"),
        ({"weights": {"citizen": True}}, "weights.citizen"),
        ({"weights": {}}, "weights"),
        ({"weights": [1, 2]}, "weights"),
        ({"quorum": 1.2}, "quorum"),
        ({"quorum": -0.1}, "quorum"),
        ({"quorum": "most"}, "quorum"),
        ({"threshold": 1}, "threshold"),
        ({"threshold": -0.5}, "threshold"),
        ({"governance_threshold": 1.0}, "governance_threshold"),
        ({"min_constituencies": 0}, "min_constituencies"),
        ({"min_constituencies": 6}, "min_constituencies"),
        ({"min_constituencies": 2.5}, "min_constituencies"),
        ({"min_constituencies": True}, "min_constituencies"),
        ({"concurrent_majority": "yes"}, "concurrent_majority"),
        ({"petition_minimum": 0}, "petition_minimum"),
        ({"petition_minimum": "-3"}, "petition_minimum"),
        ({"petition_rate": 2}, "petition_rate"),
        ({"petition_sponsors": -1}, "petition_sponsors"),
        ({"petition_response_days": 0}, "petition_response_days"),
        ({"seats": 12}, "seats"),
    ],
)
def test_bad_settings_name_the_key(settings, key):
    with pytest.raises(RuleViolation) as refused:
        constitution_settings.validate_constitution_settings(settings)
    error = refused.value
    assert error.code == "settings_invalid"
    assert key in error.details["errors"]
    assert error.details["key"] == key
    assert f"{key}:" in error.message


def test_every_bad_setting_is_reported_at_once():
    with pytest.raises(RuleViolation) as refused:
        constitution_settings.validate_constitution_settings(
            {"weights": {"citizen": -1, "martians": 2}, "quorum": 3, "threshold": 0.5}
        )
    assert set(refused.value.details["errors"]) == {"weights.citizen", "weights.martians", "quorum"}


@pytest.mark.parametrize("settings", [{}, None, [("quorum", 0.1)]])
def test_empty_settings(settings):
    with pytest.raises(RuleViolation) as refused:
        constitution_settings.validate_constitution_settings(settings)
    assert refused.value.code == "settings_empty"


# --- the motion that applies a governance change (issue 13) ------------------------------


@pytest.mark.parametrize(
    ("given", "deciding", "passed", "code"),
    [
        (None, None, True, "no_deciding_motion"),
        (7, None, True, "no_deciding_motion"),
        (7, 8, True, "not_the_deciding_motion"),
        (8, 8, False, "motion_not_passed"),
        (None, 8, False, "motion_not_passed"),
    ],
)
def test_only_the_deciding_motion_applies_a_governance_change(given, deciding, passed, code):
    with pytest.raises(RuleViolation) as refused:
        petitions.check_deciding_motion(given, deciding, passed=passed)
    assert refused.value.code == code
    if code == "not_the_deciding_motion":
        assert "Only the motion that decided this petition applies it" in refused.value.message
        assert "motion 8, not motion 7" in refused.value.message


@pytest.mark.parametrize("given", [None, 8])
def test_the_deciding_passed_motion_applies(given):
    assert petitions.check_deciding_motion(given, 8, passed=True) == 8


# --- what a signer declares (issue 13, finding 4) -----------------------------------------


@pytest.mark.parametrize(
    ("declaration", "place", "service", "code"),
    [
        ("live", None, None, "place_required"),
        ("live", "", None, "place_required"),
        ("work", "manchester", None, "service_required"),
        ("work", None, "health", "place_required"),
        ("work", None, None, "service_required"),
    ],
)
def test_a_declaration_names_the_place_or_the_service(declaration, place, service, code):
    with pytest.raises(RuleViolation) as refused:
        petitions.check_declared(declaration, place=place, service=service)
    assert refused.value.code == code
    assert refused.value.details["field"] == code.split("_")[0]


@pytest.mark.parametrize(
    ("declaration", "place", "service"),
    [
        ("live", "manchester", None),
        ("work", "salford", "health"),
        ("member", None, None),
    ],
)
def test_a_complete_declaration(declaration, place, service):
    petitions.check_declared(declaration, place=place, service=service)
