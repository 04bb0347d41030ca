"""The signed-in account's identity straight from the session, for the surge endpoints.

Signing a petition or casting a ballot must cost one SQL statement. Loading the whole account
through Flask-Login and the ORM costs more than the write itself, so these endpoints read the
``(id, session_version)`` pair Flask-Login keeps in the signed session cookie and let their one
statement check it against the ``users`` row (``WHERE users.id = :id AND
users.session_version = :version AND email_confirmed_at IS NOT NULL``). A changed password bumps
the version, so old sessions stop working there exactly as they do everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session


@dataclass(frozen=True)
class SessionIdentity:
    user_id: int
    session_version: int


def session_identity() -> SessionIdentity | None:
    """Who the session says is signed in, without a database query; None for a visitor."""
    return identity_in(session)


def identity_in(data) -> SessionIdentity | None:
    """The identity in session data (Flask-Login's ``_user_id``, ``"<id>:<version>"``)."""
    value = data.get("_user_id")
    if not value:
        return None
    try:
        user_id, version = (int(part) for part in str(value).split(":", 1))
    except ValueError:
        return None
    return SessionIdentity(user_id, version)


def identity_of(user) -> SessionIdentity | None:
    """The (id, session version) of a User or of a SessionIdentity; None for a visitor.

    The surge writes check this pair in their own SQL statement, so a stale session (the
    password changed since) is refused by the write itself.
    """
    if user is None:
        return None
    if isinstance(user, SessionIdentity):
        return user
    if not getattr(user, "is_authenticated", False):
        return None
    return SessionIdentity(user.id, user.session_version or 1)
