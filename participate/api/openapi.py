"""The OpenAPI document, assembled from what each feature's API module declares."""

from __future__ import annotations

PATHS: dict[str, dict] = {}

ERROR = {"$ref": "#/components/schemas/Error"}


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
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    op["responses"] = {
        str(code): (
            {"description": text, "content": {"application/json": {"schema": ERROR}}}
            if code >= 400
            else {"description": text, "content": {"application/json": {}}}
        )
        for code, text in (responses or {200: "OK"}).items()
    }
    PATHS.setdefault(path, {})[method.lower()] = op


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
        "paths": dict(sorted(PATHS.items())),
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
                            },
                        }
                    },
                }
            },
        },
    }
