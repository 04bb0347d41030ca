"""The OpenAPI document, assembled from what each feature's API module declares.

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

ERROR = {"$ref": "#/components/schemas/Error"}
# ECMA-262 and Python read this alike: the characters params.screen_input refuses, excluded.
TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
SHARED = {
    400: "Bad input: not JSON, an unknown field value, a control character or a number past the ids",
}
PATH_PARAMS = {404: "Nothing at this address"}
TOKEN = {401: "No token, or an unknown or revoked one", 403: "Not allowed to you"}


def document(
    path: str,
    method: str,
    summary: str,
    *,
    auth: bool = False,
    params: list[str] | None = None,
    body: dict | None = None,
    responses: dict[int, str] | None = None,
    tag: str = "",
) -> None:
    """Declare one operation (path uses OpenAPI {braces})."""
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
            "required": True,
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
        elif kind == "object":
            schema.setdefault("propertyNames", {"pattern": TEXT})
        for value in schema.values():
            _screened(value)
    elif isinstance(schema, list):
        for item in schema:
            _screened(item)
    return schema


def _typed_paths(paths: dict[str, dict]) -> dict[str, dict]:
    """The path parameters typed by the routes' converters: an ``<int:...>`` is an id."""
    prefix = "/api/v1"
    shapes = {}
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(prefix + "/"):
            converters = re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", rule.rule)
            shapes[re.sub(r"<[^>]+>", "{}", rule.rule[len(prefix) :])] = converters
    typed = copy.deepcopy(paths)
    for path, ops in typed.items():
        converters = shapes.get(re.sub(r"\{\w+\}", "{}", path), [])
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
