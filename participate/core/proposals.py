"""Rules for proposal threads: who may do what to a proposal in each status, and the validators.

Statuses (DESIGN.md §2): ``open`` (being discussed; the author may still edit or
withdraw it), ``on_agenda`` (on a deliberation round's agenda: the round's phase
also governs comments and amendments, see `participate.core.phases`; the text
changes only through accepted amendments), ``adopted`` and ``rejected`` (decided
by a round), ``withdrawn`` (by its author). Decided and withdrawn proposals are
frozen: only moderation (flag, hide, appeal) still applies.

What may happen in which status is declared once in `STATUS_ALLOWS`; who may do
it in `ACTION_ROLES` and `AUTHOR_ONLY`; `check` applies all three.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from fractions import Fraction

from .rules import (
    ACCOUNTS,
    CLERKS,
    MEMBERS,
    RuleViolation,
    check_role_name,
    human_list,
    role_refusal,
)

STATUSES: tuple[str, ...] = ("open", "on_agenda", "adopted", "rejected", "withdrawn")
STANCES: tuple[str, ...] = ("for", "against", "neutral", "question")

ACTIONS: tuple[str, ...] = (
    "comment",
    "reply",
    "support",
    "withdraw_support",
    "propose_amendment",
    "resolve_amendment",
    "edit",
    "withdraw",
    "flag",
    "hide",
    "appeal",
    "decide_appeal",
)

TITLE_MAX = 200
BODY_LIMIT = 20_000
THEMES_MAX = 8
THEME_MIN_LENGTH = 2
THEME_MAX_LENGTH = 40

_MODERATION = frozenset({"flag", "hide", "appeal", "decide_appeal"})
_ALL = frozenset(ACTIONS)

# status -> actions it allows; `STATUS_ALLOWS` is the same as (status, action) pairs.
ACTIONS_BY_STATUS: Mapping[str, frozenset[str]] = {
    "open": _ALL,
    "on_agenda": _ALL - {"edit", "withdraw"},
    "adopted": _MODERATION,
    "rejected": _MODERATION,
    "withdrawn": _MODERATION,
}
STATUS_ALLOWS: frozenset[tuple[str, str]] = frozenset(
    (status, action) for status, actions in ACTIONS_BY_STATUS.items() for action in actions
)

# action -> roles that may take it (whatever the status).
ACTION_ROLES: Mapping[str, frozenset[str]] = {
    "comment": MEMBERS,
    "reply": MEMBERS,
    "support": MEMBERS,
    "withdraw_support": MEMBERS,
    "propose_amendment": MEMBERS,
    "resolve_amendment": MEMBERS,
    "edit": MEMBERS,
    "withdraw": MEMBERS,
    "flag": ACCOUNTS,
    "hide": CLERKS,
    # A suspended author (now an "account" here) may still appeal the hiding.
    "appeal": ACCOUNTS,
    "decide_appeal": CLERKS,
}

# Actions only the author of the proposal (or, for appeal, of the hidden content) may take.
AUTHOR_ONLY: frozenset[str] = frozenset({"resolve_amendment", "edit", "withdraw", "appeal"})

# Status changes of a proposal (the service says who: a clerk through a round, or
# the author for withdraw). A deferred decision returns the proposal to open.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "open": frozenset({"on_agenda", "withdrawn"}),
    "on_agenda": frozenset({"open", "adopted", "rejected"}),
    "adopted": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}

# action -> (subject of "... not allowed", verb phrase after "can")
_WORDS: dict[str, tuple[str, str]] = {
    "comment": ("Comments are", "comment on proposals"),
    "reply": ("Replies are", "reply to comments"),
    "support": ("Supporting is", "support proposals"),
    "withdraw_support": ("Withdrawing a support is", "withdraw a support"),
    "propose_amendment": ("Amendments are", "propose amendments"),
    "resolve_amendment": ("Accepting or declining amendments is", "accept or decline amendments"),
    "edit": ("Editing is", "edit proposals"),
    "withdraw": ("Withdrawing is", "withdraw proposals"),
    "flag": ("Flagging is", "flag content"),
    "hide": ("Hiding content is", "hide content"),
    "appeal": ("Appealing is", "appeal"),
    "decide_appeal": ("Deciding appeals is", "decide appeals"),
}

_STATUS_WORDS: dict[str, str] = {
    "open": "open",
    "on_agenda": "on a round's agenda",
    "adopted": "adopted",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
}

_AUTHOR_WORDS: dict[str, str] = {
    "resolve_amendment": "Only the author of the proposal can accept or decline its amendments.",
    "edit": "Only the author of the proposal can edit it; propose an amendment instead.",
    "withdraw": "Only the author of the proposal can withdraw it.",
    "appeal": "Only the author of the hidden content can appeal against its hiding.",
}

_HINTS: dict[tuple[str, str], str] = {
    ("on_agenda", "edit"): (
        "While it is on a round's agenda its text changes only through amendments "
        "accepted in the refinement phase."
    ),
    ("on_agenda", "withdraw"): "Ask the council's clerk to take it off the agenda first.",
}


def _check_names(status: str, action: str) -> None:
    if status not in STATUSES:
        raise RuleViolation(
            "unknown_status",
            f"Unknown proposal status {status!r}: expected one of {human_list(STATUSES, 'or')}.",
        )
    if action not in ACTIONS:
        raise RuleViolation(
            "unknown_action",
            f"Unknown proposal action {action!r}: expected one of {human_list(ACTIONS, 'or')}.",
        )


def statuses_allowing(action: str) -> tuple[str, ...]:
    """The statuses, in order, in which ``action`` is allowed."""
    return tuple(s for s in STATUSES if (s, action) in STATUS_ALLOWS)


def is_allowed(
    status: str,
    action: str,
    role: str,
    *,
    is_author: bool = False,
    hidden: bool = False,
    appealed: bool = False,
) -> bool:
    """Whether `check` would let the action through (for showing or hiding controls)."""
    try:
        check(status, action, role, is_author=is_author, hidden=hidden, appealed=appealed)
    except RuleViolation as refusal:
        if refusal.code in {"unknown_status", "unknown_action", "unknown_role"}:
            raise
        return False
    return True


def check(
    status: str,
    action: str,
    role: str,
    *,
    is_author: bool = False,
    hidden: bool = False,
    appealed: bool = False,
) -> None:
    """Refuse, with a `RuleViolation`, an action on a proposal in ``status``.

    Checked in order: the status allows the action (code ``proposal_<status>``,
    naming the statuses that allow it); the role may take it (``sign_in_required``,
    ``members_only``, ``clerks_only``); author-only actions need ``is_author``
    (``author_only``). For moderation, ``hidden`` says whether the content (the
    proposal or the comment concerned) is hidden and ``appealed`` whether its author
    has already appealed: ``hide`` needs it visible (``already_hidden``), ``appeal``
    needs it hidden (``not_hidden``) and no earlier appeal (``already_appealed``:
    one appeal only), ``decide_appeal`` needs an appeal (``no_appeal``).

    When the proposal is on a round's agenda, comments and amendments must also
    pass `participate.core.phases.check` for the round's phase.
    """
    _check_names(status, action)
    check_role_name(role)
    subject, doing = _WORDS[action]
    if (status, action) not in STATUS_ALLOWS:
        allowing = statuses_allowing(action)
        message = (
            f"{subject} not allowed on a proposal that is {_STATUS_WORDS[status]}: "
            f"the rule allows this only while a proposal is "
            f"{human_list([_STATUS_WORDS[s] for s in allowing], 'or')}."
        )
        hint = _HINTS.get((status, action))
        if hint:
            message += f" {hint}"
        raise RuleViolation(
            f"proposal_{status}",
            message,
            status=status,
            action=action,
            allowed_statuses=list(allowing),
        )
    roles = ACTION_ROLES[action]
    if role not in roles:
        refusal = role_refusal(role, roles, doing)
        refusal.details.update(status=status, action=action)
        raise refusal
    if action in AUTHOR_ONLY and not is_author:
        raise RuleViolation("author_only", _AUTHOR_WORDS[action], action=action)
    if action == "hide" and hidden:
        raise RuleViolation(
            "already_hidden", "This content is already hidden; its author may appeal once."
        )
    if action == "appeal":
        if not hidden:
            raise RuleViolation("not_hidden", "Only hidden content can be appealed.")
        if appealed:
            raise RuleViolation(
                "already_appealed",
                "You have already appealed against this hiding: each hiding can be "
                "appealed once, and the clerk's decision is final.",
            )
    if action == "decide_appeal" and not appealed:
        raise RuleViolation(
            "no_appeal", "There is no appeal to decide: the author has not appealed."
        )


def check_status_change(current: str, target: str) -> None:
    """Refuse a status change `TRANSITIONS` does not allow."""
    _check_names(current, "comment")
    _check_names(target, "comment")
    if target not in TRANSITIONS[current]:
        following = sorted(TRANSITIONS[current], key=STATUSES.index)
        after = (
            f"it can next become {human_list(following, 'or')}"
            if following
            else "that decision is final"
        )
        raise RuleViolation(
            "status_change_not_allowed",
            f"A proposal that is {_STATUS_WORDS[current]} cannot become {target}: {after}.",
            status=current,
            target=target,
        )


# --- validators ---------------------------------------------------------------


def validate_title(title: object) -> str:
    """A title of 1..200 characters once stripped; inner runs of whitespace become one space."""
    if not isinstance(title, str):
        raise RuleViolation("title_invalid", "The title must be text.")
    cleaned = " ".join(title.split())
    if not cleaned:
        raise RuleViolation("title_empty", "Give the proposal a title.")
    if len(cleaned) > TITLE_MAX:
        raise RuleViolation(
            "title_too_long",
            f"The title is {len(cleaned):,} characters long; the limit is {TITLE_MAX}. "
            "Shorten it and put the detail in the body.",
            length=len(cleaned),
            limit=TITLE_MAX,
        )
    return cleaned


def validate_body(body: object, limit: int = BODY_LIMIT) -> str:
    """A non-empty body of at most ``limit`` characters; line ends normalised to ``\\n``."""
    if not isinstance(body, str):
        raise RuleViolation("body_invalid", "The text must be text.")
    cleaned = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise RuleViolation("body_empty", "The text is empty: write what you propose.")
    if len(cleaned) > limit:
        raise RuleViolation(
            "body_too_long",
            f"The text is {len(cleaned):,} characters long; the limit is {limit:,}. "
            "Shorten it, or link to a longer document.",
            length=len(cleaned),
            limit=limit,
        )
    return cleaned


def theme_slug(text: str) -> str:
    """A theme as a lowercase slug: accents dropped, anything but letters and digits becomes '-'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\W_]+", "-", bare).strip("-")


def validate_themes(themes: str | Iterable[str] | None) -> list[str]:
    """Themes as slugs: from a comma-separated text or a list; duplicates dropped, order kept.

    At most 8 themes, each 2..40 characters once made a slug; the refusal names the
    offending theme.
    """
    if themes is None:
        return []
    if isinstance(themes, str):
        raw: list[str] = re.split(r"[,;\n]", themes)
    else:
        raw = list(themes)
    slugs: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise RuleViolation("theme_invalid", "Each theme must be text.")
        if not item.strip():
            continue
        slug = theme_slug(item)
        if len(slug) < THEME_MIN_LENGTH:
            raise RuleViolation(
                "theme_too_short",
                f"The theme {item.strip()!r} is too short: a theme needs at least "
                f"{THEME_MIN_LENGTH} letters or digits.",
                theme=item,
            )
        if len(slug) > THEME_MAX_LENGTH:
            raise RuleViolation(
                "theme_too_long",
                f"The theme {item.strip()!r} is too long: at most {THEME_MAX_LENGTH} characters.",
                theme=item,
            )
        if slug not in slugs:
            slugs.append(slug)
    if len(slugs) > THEMES_MAX:
        raise RuleViolation(
            "too_many_themes",
            f"{len(slugs)} themes given; at most {THEMES_MAX}. Keep the ones that matter most.",
            count=len(slugs),
            limit=THEMES_MAX,
        )
    return slugs


def validate_stance(stance: object) -> str:
    """One of `STANCES` (case and surrounding spaces ignored)."""
    cleaned = stance.strip().lower() if isinstance(stance, str) else None
    if cleaned not in STANCES:
        raise RuleViolation(
            "stance_invalid",
            f"Choose a stance: {human_list(STANCES, 'or')}.",
            stance=stance,
        )
    return cleaned


def bridging_score(
    supporters_by_constituency: Mapping[str, int],
    members_by_constituency: Mapping[str, int],
) -> float:
    """Cross-constituency support (DESIGN.md §5): the product of (s_c + 1) / (m_c + 2).

    The product runs over the constituencies that have members (m_c > 0);
    supporters in a constituency without members are ignored, and supporters above
    the member count (members who left since) count as m_c, so each factor stays
    in (0, 1). With no members at all the empty product is 1.0. Computed exactly,
    rounded once at the end.
    """
    for label, counts in (
        ("supporters", supporters_by_constituency),
        ("members", members_by_constituency),
    ):
        for constituency, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(
                    f"{label} of {constituency!r} must be a whole number >= 0, got {count!r}"
                )
    score = Fraction(1)
    for constituency, members in members_by_constituency.items():
        if members <= 0:
            continue
        supporters = min(supporters_by_constituency.get(constituency, 0), members)
        score *= Fraction(supporters + 1, members + 2)
    return float(score)


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A line diff for the public version history: ``(op, line)`` with op equal/insert/delete.

    A replaced block comes out as its deleted lines followed by its inserted lines.
    """
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    ops: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.extend(("equal", line) for line in old_lines[i1:i2])
            continue
        if tag in ("delete", "replace"):
            ops.extend(("delete", line) for line in old_lines[i1:i2])
        if tag in ("insert", "replace"):
            ops.extend(("insert", line) for line in new_lines[j1:j2])
    return ops
