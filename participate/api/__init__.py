"""JSON API under /api/v1: the pages' twin, on the same services.

Each feature keeps its endpoints in ``participate/<feature>/api.py`` on this blueprint; they are
imported at the bottom of this module so registering ``bp`` registers them all.
"""

from __future__ import annotations

from flask import Blueprint, request

from participate.accounts.services import user_for_token
from participate.errors import DomainError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(DomainError):
    status = 401


def token_user():
    """The account behind the request's bearer token, or a 401 that says how to get one."""
    cached = request.environ.get("participate.api_user")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized(
            "This endpoint needs a personal API token: send 'Authorization: Bearer <token>'. "
            "Create one on your profile page or with 'participate create-token EMAIL'.",
            code="token_required",
        )
    user = user_for_token(header[len("Bearer ") :].strip())
    if user is None:
        raise Unauthorized(
            "That API token is unknown or revoked. Create a new one on your profile page.",
            code="bad_token",
        )
    request.environ["participate.api_user"] = user
    return user


def optional_json_body() -> dict:
    """The request's JSON object, {} when there is no body; a body that is not an object is
    refused (400 bad_json)."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError(
            "Send a JSON object in the request body with Content-Type: application/json.",
            code="bad_json",
        )
    return data


from participate.api import councils as _councils  # noqa: E402,F401
