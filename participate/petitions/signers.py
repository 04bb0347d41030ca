"""Who is signing: the signed-in person, read from the session without a query.

Signing is the surge path, and loading the account through the ORM (Flask-Login's user
loader) costs more than the signature's INSERT. The session holds the same
``"<id>:<session_version>"`` the loader reads (``participate/accounts/views.py``); the
signature's INSERT checks that pair against the ``users`` row (the account exists, its
session version matches, its e-mail is confirmed), so a password change still signs every
session out. Anything else (no ``_user_id`` in the session, e.g. a "remember me" cookie)
goes through ``current_user``.
"""

from __future__ import annotations

from flask import session
from flask_login import current_user

from participate.accounts.identity import SessionIdentity, session_identity


def current_signer() -> SessionIdentity | None:
    """Who the session says is signed in (checked by the write), or None for a visitor."""
    if "_user_id" in session:
        return session_identity()
    if current_user.is_authenticated:
        return SessionIdentity(current_user.id, current_user.session_version or 1)
    return None
