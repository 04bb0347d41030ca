"""Unsubscribe links: a signed, timed token naming the person and what to stop (one kind,
the digest, or all e-mail), made and read with itsdangerous (Flask's own dependency) under
the app's SECRET_KEY and a salt of its own, so no other signed value of the app passes."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from participate.accounts.models import User
from participate.errors import DomainError
from participate.extensions import db
from participate.notifications import kinds as K

SALT = "participate.notifications.unsubscribe"
MAX_AGE_DAYS = 180  # a link in an old mail keeps working this long


@dataclass(frozen=True)
class Request:
    user: User
    scope: str  # a kind, kinds.DIGEST_SCOPE or kinds.ALL

    @property
    def what(self) -> str:
        """What the link stops, as the end of "Stop e-mail ..."."""
        if self.scope == K.ALL:
            return "all e-mail from us"
        if self.scope == K.DIGEST_SCOPE:
            return "the daily digest"
        return f"e-mail when {K.KINDS[self.scope].label}"


def _serializer() -> URLSafeTimedSerializer:
    """Signed with SECRET_KEY; links signed before a key rotation still read with the
    fallbacks (itsdangerous takes the keys oldest first and signs with the last)."""
    config = current_app.config
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=SALT)


def max_age() -> int:
    return int(current_app.config.get("UNSUBSCRIBE_MAX_AGE", MAX_AGE_DAYS * 86400))


def make_token(user_id: int, scope: str) -> str:
    if scope not in K.KINDS and scope not in (K.ALL, K.DIGEST_SCOPE):
        scope = K.ALL  # a kind without a setting of its own: the link stops all e-mail
    return _serializer().dumps({"u": user_id, "k": scope})


def read_token(token: str) -> Request:
    """The person and scope a token names; a forged, altered, foreign or expired token is
    refused (400) and nothing is looked up or changed."""
    try:
        data = _serializer().loads(token, max_age=max_age())
    except SignatureExpired as exc:
        raise DomainError(
            f"This unsubscribe link has expired (links work for {max_age() // 86400} days). "
            "Nothing was changed. Sign in and choose your e-mail settings on your profile, "
            "or use the link in a newer e-mail.",
            code="unsubscribe_expired",
        ) from exc
    except BadSignature as exc:
        raise DomainError(
            "This unsubscribe link is not valid: it was changed or cut short. Nothing was "
            "changed. Copy the whole link from the e-mail, or sign in and choose your e-mail "
            "settings on your profile.",
            code="unsubscribe_bad_link",
        ) from exc
    scope = data.get("k") if isinstance(data, dict) else None
    user_id = data.get("u") if isinstance(data, dict) else None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not (scope in K.KINDS or scope in (K.ALL, K.DIGEST_SCOPE)):
        raise DomainError(
            "This unsubscribe link names no account we know. Nothing was changed.",
            code="unsubscribe_bad_link",
        )
    return Request(user=user, scope=scope)
