"""Proposal threads: the status x action x role matrix, the validators, the bridging score, diffs."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participate.core import proposals
from participate.core.rules import RuleViolation

# --- the expectation table, written independently of the module's tables ---------------

STATUSES = ["open", "on_agenda", "adopted", "rejected", "withdrawn"]
ALL_ROLES = ["visitor", "account", "member", "clerk", "minister", "admin"]
MEMBER_ROLES = {"member", "clerk", "minister"}
SIGNED_IN = MEMBER_ROLES | {"account", "admin"}
CLERK_ONLY = {"clerk"}
LIVE = {"open", "on_agenda"}

# action -> (statuses allowing it, roles allowed, author only)
EXPECTED = {
    "comment": (LIVE, MEMBER_ROLES, False),
    "reply": (LIVE, MEMBER_ROLES, False),
    "support": (LIVE, MEMBER_ROLES, False),
    "withdraw_support": (LIVE, MEMBER_ROLES, False),
    "propose_amendment": (LIVE, MEMBER_ROLES, False),
    "resolve_amendment": (LIVE, MEMBER_ROLES, True),
    "edit": ({"open"}, MEMBER_ROLES, True),
    "withdraw": ({"open"}, MEMBER_ROLES, True),
    "flag": (set(STATUSES), SIGNED_IN, False),
    "hide": (set(STATUSES), CLERK_ONLY, False),
    "appeal": (set(STATUSES), SIGNED_IN, True),
    "decide_appeal": (set(STATUSES), CLERK_ONLY, False),
}
# the content state that lets each moderation action through
CONTENT = {
    "hide": {"hidden": False},
    "appeal": {"hidden": True, "appealed": False},
    "decide_appeal": {"hidden": True, "appealed": True},
}
STATUS_WORDS = {
    "open": "open",
    "on_agenda": "agenda",
    "adopted": "adopted",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
}

MATRIX = list(itertools.product(STATUSES, sorted(EXPECTED), ALL_ROLES, [False, True]))


def test_the_expectation_table_covers_the_module():
    assert list(proposals.STATUSES) == STATUSES
    assert set(proposals.ACTIONS) == set(EXPECTED)
    assert proposals.STANCES == ("for", "against", "neutral", "question")


@pytest.mark.parametrize(("status", "action", "role", "is_author"), MATRIX)
def test_permission_matrix(status, action, role, is_author):
    statuses, roles, author_only = EXPECTED[action]
    expected = status in statuses and role in roles and (is_author or not author_only)
    state = CONTENT.get(action, {})
    assert proposals.is_allowed(status, action, role, is_author=is_author, **state) is expected
    if expected:
        proposals.check(status, action, role, is_author=is_author, **state)
        return
    with pytest.raises(RuleViolation) as refused:
        proposals.check(status, action, role, is_author=is_author, **state)
    error = refused.value
    if status not in statuses:
        assert error.code == f"proposal_{status}"
        assert error.details["allowed_statuses"] == [s for s in STATUSES if s in statuses]
        for allowing in statuses:
            assert STATUS_WORDS[allowing] in error.message
    elif role not in roles:
        if role == "visitor" and "account" in roles:
            assert error.code == "sign_in_required"
        elif roles == CLERK_ONLY:
            assert error.code == "clerks_only"
        else:
            assert error.code == "members_only"
    else:
        assert error.code == "author_only"
        assert "author" in error.message


@pytest.mark.parametrize(
    ("action", "state", "code"),
    [
        ("hide", {"hidden": True}, "already_hidden"),
        ("appeal", {"hidden": False}, "not_hidden"),
        ("appeal", {"hidden": True, "appealed": True}, "already_appealed"),
        ("decide_appeal", {"appealed": False}, "no_appeal"),
    ],
)
def test_moderation_follows_the_content_state(action, state, code):
    role = "clerk" if action != "appeal" else "member"
    with pytest.raises(RuleViolation) as refused:
        proposals.check("open", action, role, is_author=True, **state)
    assert refused.value.code == code


def test_a_suspended_author_may_still_appeal_once():
    proposals.check("withdrawn", "appeal", "account", is_author=True, hidden=True)


def test_a_comment_on_a_withdrawn_proposal_names_the_rule():
    with pytest.raises(RuleViolation) as refused:
        proposals.check("withdrawn", "comment", "member")
    assert refused.value.code == "proposal_withdrawn"
    assert "withdrawn" in refused.value.message
    assert "open or on a round's agenda" in refused.value.message


def test_editing_on_the_agenda_points_to_amendments():
    with pytest.raises(RuleViolation) as refused:
        proposals.check("on_agenda", "edit", "member", is_author=True)
    assert "amendments" in refused.value.message


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("draft", "comment", "member"), "unknown_status"),
        (("open", "shout", "member"), "unknown_action"),
        (("open", "comment", "owner"), "unknown_role"),
    ],
)
def test_unknown_names_raise(args, code):
    with pytest.raises(RuleViolation) as refused:
        proposals.check(*args)
    assert refused.value.code == code
    with pytest.raises(RuleViolation):
        proposals.is_allowed(*args)


TRANSITIONS = {
    ("open", "on_agenda"),
    ("open", "withdrawn"),
    ("on_agenda", "open"),
    ("on_agenda", "adopted"),
    ("on_agenda", "rejected"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_status_changes(current, target):
    if (current, target) in TRANSITIONS:
        proposals.check_status_change(current, target)
    else:
        with pytest.raises(RuleViolation) as refused:
            proposals.check_status_change(current, target)
        assert refused.value.code == "status_change_not_allowed"


# --- validators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("A", "A"),
        ("  Open the library on Sundays  ", "Open the library on Sundays"),
        ("Two\n lines\tand  spaces", "Two lines and spaces"),
        ("x" * 200, "x" * 200),
        ("  " + "é" * 200 + "  ", "é" * 200),
    ],
)
def test_good_titles(title, expected):
    assert proposals.validate_title(title) == expected


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("", "title_empty"),
        ("   \n\t", "title_empty"),
        ("x" * 201, "title_too_long"),
        (None, "title_invalid"),
        (5, "title_invalid"),
    ],
)
def test_bad_titles(title, code):
    with pytest.raises(RuleViolation) as refused:
        proposals.validate_title(title)
    assert refused.value.code == code


def test_body_limits():
    assert proposals.validate_body("  text\r\nmore\r\n") == "text\nmore"
    assert proposals.validate_body("x" * 20_000) == "x" * 20_000
    assert proposals.validate_body("x" * 50, limit=50) == "x" * 50
    for body, code, kwargs in [
        ("", "body_empty", {}),
        (" \n ", "body_empty", {}),
        ("x" * 20_001, "body_too_long", {}),
        ("x" * 51, "body_too_long", {"limit": 50}),
        (None, "body_invalid", {}),
    ]:
        with pytest.raises(RuleViolation) as refused:
            proposals.validate_body(body, **kwargs)
        assert refused.value.code == code
    with pytest.raises(RuleViolation) as refused:
        proposals.validate_body("x" * 20_001)
    assert "20,001" in refused.value.message and "20,000" in refused.value.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, []),
        ("", []),
        ("Mental health, Housing", ["mental-health", "housing"]),
        ("housing; HOUSING,  housing ", ["housing"]),
        (["Santé publique", "  NHS  "], ["sante-publique", "nhs"]),
        ("a_b__c, x--y", ["a-b-c", "x-y"]),
        ("one,,two,\n", ["one", "two"]),
        (",".join(f"t{i}" for i in range(8)), [f"t{i}" for i in range(8)]),
        ("ab, " + "y" * 40, ["ab", "y" * 40]),
    ],
)
def test_good_themes(given, expected):
    assert proposals.validate_themes(given) == expected


@pytest.mark.parametrize(
    ("given", "code", "named"),
    [
        ("a", "theme_too_short", "'a'"),
        ("ok, !", "theme_too_short", "'!'"),
        ("z" * 41, "theme_too_long", "zzz"),
        (",".join(f"t{i}" for i in range(9)), "too_many_themes", "9 themes"),
        ([3], "theme_invalid", "text"),
    ],
)
def test_bad_themes(given, code, named):
    with pytest.raises(RuleViolation) as refused:
        proposals.validate_themes(given)
    assert refused.value.code == code
    assert named in refused.value.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [("for", "for"), (" Against ", "against"), ("NEUTRAL", "neutral"), ("question", "question")],
)
def test_good_stances(given, expected):
    assert proposals.validate_stance(given) == expected


@pytest.mark.parametrize("given", ["", "maybe", None, 1])
def test_bad_stances(given):
    with pytest.raises(RuleViolation) as refused:
        proposals.validate_stance(given)
    assert refused.value.code == "stance_invalid"


# --- bridging score ---------------------------------------------------------------------------


def test_bridging_score_formula():
    supporters = {"citizen": 3, "employee": 1}
    members = {"citizen": 10, "employee": 4, "leader": 2, "elected": 0}
    expected = Fraction(4, 12) * Fraction(2, 6) * Fraction(1, 4)
    assert proposals.bridging_score(supporters, members) == pytest.approx(float(expected))


def test_broad_support_outranks_narrow_support():
    members = {"citizen": 20, "employee": 20, "leader": 20}
    narrow = proposals.bridging_score({"citizen": 18}, members)
    broad = proposals.bridging_score({"citizen": 6, "employee": 6, "leader": 6}, members)
    assert broad > narrow


def test_bridging_score_edges():
    assert proposals.bridging_score({}, {}) == 1.0
    assert proposals.bridging_score({"citizen": 5}, {"citizen": 0}) == 1.0
    # more supporters than members (members who left) are capped at the member count
    assert proposals.bridging_score({"citizen": 9}, {"citizen": 2}) == pytest.approx(3 / 4)
    with pytest.raises(ValueError):
        proposals.bridging_score({"citizen": -1}, {"citizen": 2})
    with pytest.raises(ValueError):
        proposals.bridging_score({}, {"citizen": 1.5})


@given(
    st.dictionaries(st.sampled_from(["citizen", "employee", "leader"]), st.integers(0, 50)),
    st.dictionaries(st.sampled_from(["citizen", "employee", "leader"]), st.integers(0, 50)),
)
def test_bridging_score_is_a_share(supporters, members):
    score = proposals.bridging_score(supporters, members)
    assert 0 < score <= 1


# --- diffs ------------------------------------------------------------------------------------


def test_text_diff_ops():
    old = "first\nsecond\nthird"
    new = "first\nSECOND\nthird\nfourth"
    assert proposals.text_diff(old, new) == [
        ("equal", "first"),
        ("delete", "second"),
        ("insert", "SECOND"),
        ("equal", "third"),
        ("insert", "fourth"),
    ]
    assert proposals.text_diff("", "a") == [("insert", "a")]
    assert proposals.text_diff("a", "") == [("delete", "a")]
    assert proposals.text_diff("same", "same") == [("equal", "same")]


@given(
    st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=12),
    st.lists(st.sampled_from(["a", "b", "d", ""]), max_size=12),
)
def test_text_diff_rebuilds_both_texts(old_lines, new_lines):
    ops = proposals.text_diff("\n".join(old_lines), "\n".join(new_lines))
    assert {op for op, _ in ops} <= {"equal", "insert", "delete"}
    old = [line for op, line in ops if op in ("equal", "delete")]
    new = [line for op, line in ops if op in ("equal", "insert")]
    assert old == "\n".join(old_lines).splitlines()
    assert new == "\n".join(new_lines).splitlines()
