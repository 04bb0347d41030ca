"""Signed-in sessions: one row each (``UserSession``), so that signing out ends one on the
server. Flask-Login carries "<user id>:<session key>" (``User.get_id``) in the session cookie
and the remember-me cookie; its user loader calls :func:`user_for_session`."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from participate.accounts.models import User, UserSession
from participate.extensions import db
from participate.util import utcnow


def _session_lifetime() -> timedelta:
    return current_app.config["SIGN_IN_LIFETIME"]


def start_session(user: User) -> None:
    """A new signed-in session for ``user`` (a sign-in): a row under a new random key, which
    goes on ``user.session_key`` for Flask-Login to put in the cookies. Their expired or
    stale rows are cleared on the way."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id,
            sa.or_(
                UserSession.created_at <= now - _session_lifetime(),
                UserSession.session_version != user.session_version,
            ),
        )
    )
    db.session.add(
        UserSession(
            id=UserSession.hash(key),
            user_id=user.id,
            session_version=user.session_version,
            created_at=now,
        )
    )
    db.session.commit()
    user.session_key = key


def user_for_session(user_id: int, key: str) -> User | None:
    """The account of a live session: one query for the account and its session row, which
    must be of the account's current session version and younger than SIGN_IN_LIFETIME."""
    user = db.session.scalar(
        sa.select(User)
        .join(
            UserSession,
            sa.and_(
                UserSession.user_id == User.id,
                UserSession.session_version == User.session_version,
            ),
        )
        .where(
            UserSession.id == UserSession.hash(key),
            User.id == user_id,
            UserSession.created_at > utcnow() - _session_lifetime(),
        )
    )
    if user is not None:
        user.session_key = key
    return user


def end_session(user: User) -> None:
    """Sign out this session only: its row goes, so its cookies (and copies of them) sign
    nobody in; the person's other sessions go on."""
    if user.session_key:
        db.session.execute(
            sa.delete(UserSession).where(UserSession.id == UserSession.hash(user.session_key))
        )
        db.session.commit()
    user.session_key = None


def keep_only_this_session(user: User) -> None:
    """After ``session_version`` changed: this session (if any) moves to the new version,
    every other one of the account's is deleted (in the caller's transaction)."""
    this = UserSession.hash(user.session_key) if user.session_key else ""
    db.session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.id != this)
    )
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.id == this)
        .values(session_version=user.session_version)
    )
