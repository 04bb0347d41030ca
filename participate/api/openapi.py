"""The OpenAPI document, assembled from what each feature's API module declares.

A request body's schema is declared once, with its operation: the document publishes it and
``participate.api.json_body`` validates every body against it before the service runs, so the
document cannot accept what the server refuses, nor the reverse (a field the schema does not
name is refused, not ignored). A property may name the rule that refuses it (``x-code``), so
the API's refusal carries the same code as the service's.

What every operation shares is added here rather than in each declaration, so the document
says what the app does (schemathesis checks it, tests/web/test_api_schema.py): a path id is an
integer of the routes' id converter; text may hold no control character but tab and newlines
and a number no more than an id (params.screen_input); a refusal of bad input is a 400, an
unknown id a 404, a missing or unknown token a 401.
"""

from __future__ import annotations

import copy
import re

from flask import current_app

from participate.params import MAX_ID

PATHS: dict[str, dict] = {}

# A moment as the API takes it: RFC 3339 with Z or an offset, in years Python's datetime and a
# conversion to UTC both hold.
DATETIME = {
    "type": "string",
    "format": "date-time",
    "pattern": "^(?:19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2})$",
    "description": "ISO 8601 (RFC 3339) with Z or an offset, e.g. 2026-12-01T17:00:00Z",
}

ERROR = {"$ref": "#/components/schemas/Error"}
# ECMA-262, Python and Rust read these alike: the characters params.screen_input refuses.
CONTROLS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
TEXT = f"^[^{CONTROLS}]*$"
# Text with something in it: the services strip whitespace and refuse what is left empty.
FILLED = f"^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*$"
SHARED = {
    400: "Bad input: not JSON, an unknown field value, a control character or a number past the ids",
}
PATH_PARAMS = {404: "Nothing at this address"}
TOKEN = {401: "No token, or an unknown or revoked one", 403: "Not allowed to you"}


def text(
    max_length: int | None = None,
    *,
    blank: bool = False,
    minimum: int = 1,
    code: str | dict | None = None,
    description: str = "",
) -> dict:
    """A text field: something besides whitespace unless ``blank``, at most ``max_length``
    characters (the services count after stripping, so the raw limit is never looser) and at
    least ``minimum`` once stripped; ``code`` is the rule a refusal names."""
    schema: dict = {"type": "string"}
    if minimum > 1:
        middle = f"[^{CONTROLS}]{{{minimum - 2},}}"
        schema["pattern"] = (
            f"^[^{CONTROLS}]*[^\\s{CONTROLS}]{middle}[^\\s{CONTROLS}][^{CONTROLS}]*$"
        )
    elif not blank:
        schema["pattern"] = FILLED
    if max_length is not None:
        schema["maxLength"] = max_length
    if isinstance(code, str):  # "reason_required": missing or blank; too long is its twin
        stem = re.sub(r"_(required|empty)$", "", code)
        code = {"required": code, "pattern": code, "maxLength": f"{stem}_too_long"}
    if code:
        schema["x-code"] = code
    if description:
        schema["description"] = description
    return schema


def document(
    path: str,
    method: str,
    summary: str,
    *,
    auth: bool = False,
    params: list[str] | None = None,
    body: dict | None = None,
    body_required: bool = True,
    responses: dict[int, str] | None = None,
    tag: str = "",
) -> None:
    """Declare one operation (path uses OpenAPI {braces}). ``body`` is the JSON Schema of
    its request body, which the server also validates against (``body_required=False``: the
    body may be left out, read as ``{}``)."""
    op: dict = {"summary": summary, "tags": [tag] if tag else []}
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in (params or [])
    ]
    if parameters:
        op["parameters"] = parameters
    if auth:
        op["security"] = [{"token": []}]
    if body is not None:
        op["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": _screened(copy.deepcopy(body))}},
        }
    shared = {**SHARED, **(PATH_PARAMS if params else {}), **(TOKEN if auth else {})}
    op["responses"] = {
        str(code): (
            {"description": text, "content": {"application/json": {"schema": ERROR}}}
            if code >= 400
            else {"description": text, "content": {"application/json": {}}}
        )
        for code, text in sorted({**shared, **(responses or {200: "OK"})}.items())
    }
    PATHS.setdefault(path, {})[method.lower()] = op


def _screened(schema):
    """``schema`` with the limits every JSON body has: text without control characters,
    whole numbers within the ids."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "string":
            schema.setdefault("pattern", TEXT)
        elif kind == "integer":
            schema.setdefault("minimum", -MAX_ID)
            schema.setdefault("maximum", MAX_ID)
        elif kind == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)  # an unknown field is refused
        elif kind == "object":
            schema.setdefault("propertyNames", {"pattern": TEXT})
        for value in schema.values():
            _screened(value)
    elif isinstance(schema, list):
        for item in schema:
            _screened(item)
    return schema


def _shape(path: str) -> str:
    """A path with its parameters blanked: the same for a route and its documented path."""
    return re.sub(r"<[^>]+>|\{\w+\}", "{}", path)


def body_schema(rule: str, method: str) -> dict | None:
    """The documented request-body schema of the route ``rule`` (``/api/v1/...``) for
    ``method``, or None when the operation documents no body."""
    shape = _shape(rule.removeprefix("/api/v1"))
    for path, ops in PATHS.items():
        if _shape(path) == shape and method.lower() in ops:
            body = ops[method.lower()].get("requestBody")
            return body["content"]["application/json"]["schema"] if body else None
    return None


def _typed_paths(paths: dict[str, dict]) -> dict[str, dict]:
    """The path parameters typed by the routes' converters: an ``<int:...>`` is an id."""
    prefix = "/api/v1"
    shapes = {}
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(prefix + "/"):
            converters = re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", rule.rule)
            shapes[_shape(rule.rule[len(prefix) :])] = converters
    typed = copy.deepcopy(paths)
    for path, ops in typed.items():
        converters = shapes.get(_shape(path), [])
        for op in ops.values():
            for param, converter in zip(op.get("parameters", []), converters, strict=False):
                if converter == "int":
                    param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return typed


def spec(base_url: str = "") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "participate API",
            "version": "1",
            "description": "Read endpoints are public. Write endpoints take a personal API token "
            "(Authorization: Bearer <token>), created on your profile or with "
            '`participate create-token EMAIL`. Errors are {"error": {"code", "message"}}.',
        },
        "servers": [{"url": base_url + "/api/v1"}],
        "paths": _typed_paths(dict(sorted(PATHS.items()))),
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
    }
