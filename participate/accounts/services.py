"""Account use cases: sign-up, confirmation, sign-in, password reset, profile, API tokens."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from participate.accounts.models import (
    PASSWORD_METHOD,
    ApiToken,
    User,
    check_password_of_nobody,
)
from participate.accounts.sessions import keep_only_this_session
from participate.core.passwords import password_problem
from participate.errors import DomainError
from participate.extensions import db
from participate.mail import external_url, send_mail
from participate.util import utcnow

CONFIRM_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 2 * 3600


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(
            f"That e-mail address is not valid: {exc}", code="invalid_email", field="email"
        ) from exc


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str, name: str, password: str, *, admin: bool = False, confirmed: bool = False
) -> User:
    """Create an account; refuses a taken e-mail or a weak password (nothing written)."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise DomainError(
            "Give the name other members will see.", code="name_required", field="name"
        )
    if user_by_email(email) is not None:
        raise DomainError(
            "An account with that e-mail already exists. Sign in, or reset your password if you forgot it.",
            code="email_taken",
            field="email",
        )
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise DomainError(problem, code="weak_password", field="password")
    user = User(
        email=email, name=name, is_admin=admin, email_confirmed_at=utcnow() if confirmed else None
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def sign_up(email: str, name: str, password: str) -> None:
    """Start an account and mail its confirmation link. An address that already has an
    account gets a mail saying someone tried, with a way in, and nothing changes: the caller
    answers both alike, so sign-up does not tell who has an account. Bad input (the e-mail's
    form, an empty name, a weak password) is refused either way, before the address is looked
    up."""
    email = normalise_email(email)
    if not name.strip():
        raise DomainError(
            "Give the name other members will see.", code="name_required", field="name"
        )
    problem = password_problem(password, email=email, name=name.strip())
    if problem:
        raise DomainError(problem, code="weak_password", field="password")
    holder = user_by_email(email)
    if holder is None:
        send_confirmation(create_user(email, name, password))
        return
    generate_password_hash(password, method=PASSWORD_METHOD)  # the work a new account costs
    _send_sign_up_attempt(holder)


def _send_sign_up_attempt(user: User) -> None:
    send_mail(
        user.email,
        "Someone tried to create a participate account with your e-mail",
        f"Hello {user.name},\n\nSomeone, perhaps you, tried to create a participate account "
        "with this address, which already has one. Nothing was changed.\n\n"
        f"If it was you, sign in here:\n\n{external_url('accounts.login')}\n\n"
        "Forgotten your password, or never finished signing up? Choose a password here (the "
        f"link works for 2 hours, once; it also confirms this address):\n\n{_reset_link(user)}"
        "\n\nIf it was not you, ignore this message; your account is unchanged.\n",
        after_response=True,
    )
    db.session.commit()  # the mail is queued in the database and goes once this commits


def send_confirmation(user: User) -> None:
    token = _serializer("confirm").dumps({"id": user.id, "email": user.email})
    link = external_url("accounts.confirm", token=token)
    send_mail(
        user.email,
        "Confirm your e-mail for participate",
        f"Hello {user.name},\n\nConfirm your e-mail address by opening this link:\n\n{link}\n\n"
        "The link works for 7 days. If you did not sign up, ignore this message.\n",
        after_response=True,
    )
    db.session.commit()  # the mail is queued in the database and goes once this commits


def confirm_email(token: str) -> tuple[User, bool]:
    """The account a confirmation link names, and whether this opening confirmed it (the
    first one does; the caller signs that person in, as the link proves the mailbox)."""
    try:
        data = _serializer("confirm").loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired as exc:
        raise DomainError(
            "This confirmation link has expired. Sign in and ask for a new one.",
            code="link_expired",
        ) from exc
    except BadSignature as exc:
        raise DomainError(
            "This confirmation link is not valid. Copy the whole link from the e-mail.",
            code="bad_link",
        ) from exc
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email"):
        raise DomainError("This confirmation link does not match an account.", code="bad_link")
    if user.email_confirmed_at is not None:
        return user, False
    user.email_confirmed_at = utcnow()
    db.session.commit()
    return user, True


def authenticate(email: str, password: str) -> User:
    """The account with this e-mail and password. The refusal is the same whether or not
    the account exists, and takes as long: an unknown e-mail's password is checked too."""
    user = user_by_email(email)
    matches = user.check_password(password) if user else check_password_of_nobody(password)
    if user is None or not matches:
        raise DomainError(
            "That e-mail and password do not match an account. Check them, or reset your password.",
            code="bad_credentials",
        )
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; says nothing either way (no account probing)."""
    user = user_by_email(email)
    if user is None:
        return
    link = _reset_link(user)
    send_mail(
        user.email,
        "Reset your participate password",
        f"Hello {user.name},\n\nChoose a new password here (the link works for 2 hours, once):\n\n{link}\n\n"
        "If you did not ask for this, ignore this message; your password is unchanged.\n",
        after_response=True,
    )
    db.session.commit()  # the mail is queued in the database and goes once this commits


def _reset_link(user: User) -> str:
    """A link that sets a new password once: it holds the session version, which the
    change bumps."""
    token = _serializer("reset").dumps({"id": user.id, "v": user.session_version})
    return external_url("accounts.reset_password", token=token)


def reset_password(token: str, password: str) -> User:
    try:
        data = _serializer("reset").loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired as exc:
        raise DomainError(
            "This reset link has expired. Ask for a new one.", code="link_expired"
        ) from exc
    except BadSignature as exc:
        raise DomainError(
            "This reset link is not valid. Ask for a new one.", code="bad_link"
        ) from exc
    user = db.session.get(User, data.get("id"))
    if user is None or user.session_version != data.get("v"):
        raise DomainError("This reset link was already used. Ask for a new one.", code="link_used")
    set_password(user, password)
    user.session_key = None  # every session ends; the caller may start a new one
    keep_only_this_session(user)
    # Opening the link proves the person reads that mailbox.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise DomainError(problem, code="weak_password", field="password")
    user.set_password(password)
    user.session_version = (user.session_version or 1) + 1


def change_password(user: User, current: str, new: str) -> None:
    """Change the password; every other session of the account ends, this one goes on."""
    if not user.check_password(current):
        raise DomainError(
            "Your current password is not right.", code="bad_credentials", field="current_password"
        )
    set_password(user, new)
    keep_only_this_session(user)
    db.session.commit()


def update_profile(user: User, *, name: str, bio: str, email_notifications: bool) -> User:
    name = name.strip()
    if not name:
        raise DomainError(
            "Give the name other members will see.", code="name_required", field="name"
        )
    if len(bio) > 2000:
        raise DomainError("Keep your profile to 2,000 characters.", code="too_long", field="bio")
    user.name = name
    user.bio = bio.strip()
    user.email_notifications = email_notifications
    db.session.commit()
    return user


def create_token(user: User, name: str = "token") -> str:
    """Create a personal API token and return it; only its hash is kept."""
    token = "pt_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user_id=user.id, name=name.strip() or "token", token_hash=ApiToken.hash(token))
    )
    db.session.commit()
    return token


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise DomainError("No such token.", code="not_found", status=404)
    token.revoked_at = utcnow()
    db.session.commit()


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == ApiToken.hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    return row.user if row else None


def tokens_of(user: User) -> list[ApiToken]:
    return db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
