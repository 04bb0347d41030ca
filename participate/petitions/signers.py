"""Who is signing: the signed-in person, read from the session without the ORM.

Signing is the surge path, and loading the account through the ORM (Flask-Login's user
loader) costs more than the signature's INSERT. The session holds the same
``"<id>:<session_version>"`` the loader reads (``participate/accounts/views.py``); this
module applies the same rule with one Core query: the account exists and its session
version matches (a password change signs every session out). Anything else (no
``_user_id`` in the session, e.g. a "remember me" cookie) goes through ``current_user``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import request, session
from flask_login import current_user

from participate.accounts.models import User
from participate.extensions import db

_USERS = User.__table__.c
_ACCOUNT = sa.select(_USERS.session_version, _USERS.email_confirmed_at).where(
    _USERS.id == sa.bindparam("uid")
)


_KEY = "participate.petition_signer"  # per request (an app context may outlive one)


@dataclass(frozen=True)
class Signer:
    id: int
    confirmed: bool
    is_authenticated: bool = True


def current_signer():
    """The signed-in account (a Signer or the User), or None; once per request."""
    if _KEY in request.environ:
        return request.environ[_KEY]
    value = session.get("_user_id")
    signer = None
    if value is None:
        signer = current_user if current_user.is_authenticated else None
    else:
        try:
            user_id, version = (int(part) for part in str(value).split(":", 1))
        except ValueError:
            user_id, version = 0, -1
        with db.engine.connect() as connection:
            row = connection.execute(_ACCOUNT, {"uid": user_id}).first()
        if row is not None and (row.session_version or 1) == version:
            signer = Signer(user_id, row.email_confirmed_at is not None)
    request.environ[_KEY] = signer
    return signer
