"""DomainError: the one way a service refuses an action.

A refusal names the rule and what to do instead. Views map it onto a form error or a
flash message; the API maps it onto ``{"error": {"code", "message"}}`` with ``status``.
"""

from __future__ import annotations

import sqlalchemy as sa

from participate.extensions import db


class DomainError(Exception):
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        if status is not None:
            self.status = status

    def as_json(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Not found.", *, code: str = "not_found"):
        super().__init__(message, code=code)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str, *, code: str = "forbidden"):
        super().__init__(message, code=code)


class Conflict(DomainError):
    status = 409

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message, code=code)


def commit_or_conflict(message: str) -> None:
    """Commit; a unique or check constraint that refuses (two people racing) becomes a 409
    Conflict with ``message``."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict(message) from exc


def http_error_headers(error) -> dict[str, str]:
    """The headers a werkzeug HTTPException carries (a 405's ``Allow``, a 429's
    ``Retry-After``, a 401's ``WWW-Authenticate``) for the handlers that render their own
    body; its ``Content-Type`` is the handler's to set."""
    return {name: value for name, value in error.get_headers() if name.lower() != "content-type"}


def from_rule(violation) -> DomainError:
    """Turn a core RuleViolation (code, message) into a DomainError (403)."""
    return DomainError(violation.message, code=violation.code, status=403)


def check_choice(value, allowed, what: str) -> None:
    """Refuse ``value`` (a filter, a sort) unless it is empty or one of ``allowed``, naming
    them: an unknown value is never silently ignored (code ``bad_<what>``, field ``what``)."""
    if value and value not in allowed:
        raise DomainError(
            f"Unknown {what} {value!r}: choose one of {', '.join(allowed)}.",
            code=f"bad_{what}",
            field=what,
        )
