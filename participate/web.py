"""Two small questions every view module asks of the request."""

from __future__ import annotations

from flask import request
from flask_login import current_user


def is_htmx() -> bool:
    """Whether htmx sent this request (it then gets the fragment, not the whole page)."""
    return request.headers.get("HX-Request") == "true"


def acting_user():
    """The person making this request (the anonymous user when nobody is signed in), as the
    object itself rather than Flask-Login's proxy, so services may keep it."""
    return current_user._get_current_object()
