"""Accounts: people, their confirmed e-mail and their API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from participate.extensions import db
from participate.util import utcnow

PASSWORD_METHOD = "scrypt"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    bio: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    email_notifications: Mapped[bool] = mapped_column(
        sa.Boolean, default=True, server_default=sa.true()
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    # Bumped on password change so that reset links and other sessions stop working.
    session_version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")

    # The key of the session this object was signed in with or loaded for (not a column):
    # ``get_id`` puts it in the session and remember-me cookies.
    session_key = None

    memberships = relationship(
        "Membership", back_populates="user", foreign_keys="Membership.user_id"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def get_id(self) -> str:
        """Flask-Login's user id: the account and the key of this session, which signing
        out deletes (Flask-Login's "alternative tokens")."""
        return f"{self.id}:{self.session_key}"

    def __eq__(self, other):
        # UserMixin compares get_id(), which holds the session key: compare the accounts.
        return isinstance(other, User) and other.id == self.id

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(db.Model):
    """One signed-in session (a browser on a device). Its random key travels in the session
    cookie and the remember-me cookie; only the key's SHA-256 is stored. Signing out deletes
    the row, so a copy of either cookie signs nobody in afterwards, while the person's other
    sessions go on. A row belongs to one ``session_version`` of its account: a password
    change or reset (which bumps it) ends every session but the one that made the change."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # SHA-256 of the key
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


@functools.cache
def _stand_in_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=PASSWORD_METHOD)


def check_password_of_nobody(password: str) -> bool:
    """Check ``password`` against a stand-in hash made as real ones are (never a match), so
    that refusing an unknown e-mail costs what refusing a wrong password does."""
    check_password_hash(_stand_in_hash(), password)
    return False


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="token")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    user = relationship(User)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
