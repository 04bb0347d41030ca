"""JSON API under /api/v1: the pages' twin, on the same services.

Each feature keeps its endpoints in ``participate/<feature>/api.py`` on this blueprint (the
councils' in ``participate.councils.api``); ``create_app`` imports them all before it
registers ``bp``. This module holds the blueprint, the token and body helpers they share
and the OpenAPI document's own route; it imports no feature.
"""

from __future__ import annotations

from functools import cache

import jsonschema_rs
from flask import Blueprint, jsonify, request

from participate.accounts.services import user_for_token
from participate.api.openapi import CONTROLS, body_schema, spec
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
    refused (400 bad_json). Validated as ``json_body`` is."""
    if not request.get_data(cache=True):
        return _validated({})
    return json_body()


def json_body() -> dict:
    """The request's JSON object, valid against the body schema its operation documents
    (openapi.document): anything the schema refuses is a 400 naming the field, before any
    service sees it. A body that is not a JSON object is refused (400 bad_json)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError(
            "Send a JSON object in the request body with Content-Type: application/json.",
            code="bad_json",
        )
    return _validated(data)


def _validated(data: dict) -> dict:
    rule = request.url_rule.rule if request.url_rule else request.path
    validator = _validator(rule, request.method)
    if validator is None:
        raise LookupError(
            f"{request.method} {rule} reads a JSON body but documents none: "
            "give its openapi.document(...) a body schema."
        )
    error = next(iter(validator.iter_errors(data)), None)
    if error is not None:
        raise _refusal(*_within_one_of(error, body_schema(rule, request.method) or {}))
    return _whole_numbers(data, body_schema(rule, request.method) or {})


def _whole_numbers(value, schema: dict):
    """``value`` with each number its schema declares an integer as an ``int``: JSON Schema
    counts 581.0 as the integer 581, and so must the services that check ``isinstance``."""
    if isinstance(value, float) and schema.get("type") == "integer" and value.is_integer():
        return int(value)
    for branch in schema.get("oneOf", []):
        if jsonschema_rs.is_valid(branch, value):
            return _whole_numbers(value, branch)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: _whole_numbers(v, properties.get(k, {})) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item, schema.get("items", {})) for item in value]
    return value


def _within_one_of(error, schema: dict):
    """For a body that matches none of a ``oneOf``'s shapes, the error inside the one shape
    whose required fields it has, when there is exactly one: {"choice": "maybe"} is a bad
    choice, not "no ballot shape matched"."""
    if type(error.kind).__name__ != "OneOfNotValid" or list(error.instance_path):
        return error, schema
    named = [
        (errors[0], branch)
        for errors, branch in zip(error.kind.context, schema.get("oneOf", []), strict=False)
        if errors
        and not any(type(e.kind).__name__ in ("Required", "AdditionalProperties") for e in errors)
    ]
    return named[0] if len(named) == 1 else (error, schema)


@cache
def _validator(rule: str, method: str):
    schema = body_schema(rule, method)
    return None if schema is None else jsonschema_rs.validator_for(schema, validate_formats=True)


def _refusal(error, schema: dict) -> DomainError:
    """A schema violation as the API's refusal: the field, what it must be, and the rule's
    code when the schema names one (``x-code``)."""
    at = [str(step) for step in error.instance_path]
    kind = type(error.kind).__name__
    if kind == "Required":
        at.append(error.kind.property)
    field = ".".join(at) or None
    declared = _declared(schema, error.instance_path, extra=at[-1:] if kind == "Required" else [])
    code = _code(declared, kind)
    if code is None:
        fallback = {"Required": "missing_field", "Type": f"{at[-1]}_invalid" if at else ""}
        code = fallback.get(kind) or "bad_field"
    if kind == "AdditionalProperties":
        known = ", ".join(f"'{name}'" for name in declared.get("properties", {})) or "none"
        unexpected = ", ".join(f"'{name}'" for name in error.kind.unexpected)
        message = f"Unknown field {unexpected}: the fields here are {known}."
        code, field = "unknown_field", ".".join([*at, str(error.kind.unexpected[0])])
    elif kind == "Required":
        message = f"'{field}' is required" + _what(declared)
    else:
        message = _problem(f"'{field}'" if field else "The body", kind, declared, error)
    return DomainError(message, code=code, field=field)


def _problem(name: str, kind: str, declared: dict, error) -> str:
    """What is wrong with one value, in words (a regular expression is no explanation)."""
    if kind == "MaxLength":
        return f"{name} is too long: at most {declared['maxLength']:,} characters."
    if kind == "Pattern" and declared.get("pattern", "").startswith(f"^[^{CONTROLS}]*[^"):
        return f"{name} is empty or too short: write it out (no control characters)."
    if kind in ("Enum", "Constant") and "enum" in declared:
        return f"{name} must be one of {', '.join(map(str, declared['enum']))}."
    if kind == "Type" and "type" in declared:
        return f"{name} must be {_TYPE_WORDS.get(declared['type'], declared['type'])}."
    if declared.get("description"):
        return f"{name} is not valid" + _what(declared)
    return f"{name} is not valid: {error.message}."


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "array": "a list",
    "object": "an object",
    "boolean": "true or false",
}


def _code(declared: dict, kind: str) -> str | None:
    """The rule a refusal names: ``x-code`` of the field, one code or one per keyword."""
    codes = declared.get("x-code")
    if isinstance(codes, dict):
        return codes.get(kind[:1].lower() + kind[1:])
    return codes


def _declared(schema: dict, path, extra=()) -> dict:
    """The schema of the value at ``path`` (object properties and array items), or {}."""
    for step in [*path, *extra]:
        if isinstance(step, int) and isinstance(schema.get("items"), dict):
            schema = schema["items"]
        elif isinstance(schema.get("properties"), dict) and step in schema["properties"]:
            schema = schema["properties"][step]
        else:
            return {}
    return schema


def _what(declared: dict) -> str:
    description = declared.get("description")
    return f": {description}." if description else "."


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec(request.host_url.rstrip("/")))
