"""What every rule module shares: the refusal type, the roles and how refusals are phrased.

The rule modules (`phases`, `proposals`, `petitions`) are the single place where
"who may do what in which state" is declared. They raise `RuleViolation`, which a
service turns into a form error or flash and the API into
``{"error": {"code": ..., "message": ...}}`` with a 4xx status.

Roles are always *the actor's role in the council concerned*; `council_role`
computes it, so every service resolves it the same way:

- ``visitor``  — not signed in;
- ``account``  — signed in (also: a pending or suspended member of this council);
- ``member``   — an active member of this council;
- ``clerk``    — an active clerk of this council (a clerk is also a member);
- ``minister`` — an active minister membership of this (national) council; a
  minister is a member of the council, not a clerk: ministers do not run rounds;
- ``admin``    — a platform operator without a membership here. Admins run the
  *structure* (services, places, councils, links, appointments), not the life of a
  council: in the rule tables an admin has the rights of a signed-in account only.
  An admin who is also a clerk of a council acts there as ``clerk``.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

ROLES: tuple[str, ...] = ("visitor", "account", "member", "clerk", "minister", "admin")
CONSTITUENCIES: tuple[str, ...] = ("citizen", "employee", "leader", "elected", "partner")
MEMBERSHIP_ROLES: tuple[str, ...] = ("member", "clerk", "minister")

# Role groups used to declare the tables. Frozen so that no caller mutates a table.
CLERKS: frozenset[str] = frozenset({"clerk"})
MEMBERS: frozenset[str] = frozenset({"member", "clerk", "minister"})
ACCOUNTS: frozenset[str] = MEMBERS | {"account", "admin"}
EVERYONE: frozenset[str] = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()


class RuleViolation(ValueError):
    """A rule refused an action.

    ``code`` is short snake_case for programs (the API's ``error.code``);
    ``message`` is for people: which rule refused and what to do instead.
    ``details`` carries structured facts (e.g. the phases that allow the action).
    """

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details

    def as_json(self) -> dict[str, dict[str, str]]:
        """The API error body of DESIGN.md §6."""
        return {"error": {"code": self.code, "message": self.message}}

    def __repr__(self) -> str:
        return f"RuleViolation({self.code!r}, {self.message!r})"


def check_role_name(role: str) -> None:
    """Refuse a role name that is not one of `ROLES` (a programming error upstream)."""
    if role not in ROLES:
        raise RuleViolation(
            "unknown_role",
            f"Unknown role {role!r}: expected one of {human_list(ROLES, 'or')}.",
            role=role,
        )


def council_role(
    *,
    signed_in: bool,
    is_admin: bool = False,
    membership_role: str | None = None,
    membership_status: str | None = None,
) -> str:
    """The role a person acts in within one council.

    An active membership wins (its role: member, clerk or minister); otherwise a
    platform admin is ``admin``, any other signed-in person ``account`` and the
    rest ``visitor``. Pending and suspended memberships give no member rights.
    """
    if not signed_in:
        return "visitor"
    if membership_role is not None and membership_status == "active":
        if membership_role not in MEMBERSHIP_ROLES:
            raise RuleViolation(
                "unknown_role",
                f"Unknown membership role {membership_role!r}: expected one of "
                f"{human_list(MEMBERSHIP_ROLES, 'or')}.",
            )
        return membership_role
    return "admin" if is_admin else "account"


def human_list(items: Iterable[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(items)
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def describe_roles(roles: frozenset[str]) -> str:
    """Who a set of roles means, in words a person understands."""
    if roles <= CLERKS:
        return "the council's clerks"
    if roles <= MEMBERS:
        return "members of the council"
    if roles <= ACCOUNTS:
        return "signed-in people"
    return "anyone"


def role_refusal(role: str, allowed: frozenset[str], doing: str) -> RuleViolation:
    """The refusal for a role that is not in ``allowed``; ``doing`` is a verb phrase.

    The code says what the person lacks: ``sign_in_required``, ``members_only``,
    ``clerks_only`` or, for anything else, ``role_not_allowed``.
    """
    who = describe_roles(allowed)
    if role == "visitor" and "account" in allowed:
        return RuleViolation(
            "sign_in_required",
            f"Sign in to {doing}.",
            allowed_roles=sorted(allowed),
        )
    if allowed <= CLERKS:
        return RuleViolation(
            "clerks_only",
            f"Only the council's clerks can {doing}; ask a clerk of this council.",
            allowed_roles=sorted(allowed),
        )
    if allowed <= MEMBERS:
        first = "Sign in and ask" if role == "visitor" else "Ask"
        return RuleViolation(
            "members_only",
            f"Only members of this council can {doing}. {first} to join the council "
            "(an active membership is needed).",
            allowed_roles=sorted(allowed),
        )
    return RuleViolation(
        "role_not_allowed",
        f"Only {who} can {doing}.",
        allowed_roles=sorted(allowed),
    )


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already.

    Databases (SQLite in particular) often hand back naive datetimes; comparing them
    with an aware ``now`` would raise, so the rules compare in UTC throughout.
    """
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def frozen_table(
    table: Mapping[tuple[str, str], frozenset[str]],
) -> Mapping[tuple[str, str], frozenset[str]]:
    """A read-only copy of a permission table."""
    return MappingProxyType(dict(table))
