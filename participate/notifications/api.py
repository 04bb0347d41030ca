"""JSON twin of the e-mail settings page: GET and PUT /api/v1/me/notification-settings."""

from __future__ import annotations

from flask import jsonify

from participate.api import bp, json_body, token_user
from participate.api.openapi import document
from participate.errors import DomainError
from participate.notifications import kinds as K
from participate.notifications import preferences

PATH = "/me/notification-settings"


def settings_json(settings: preferences.Settings) -> dict:
    return {
        "email": settings.email,
        "kinds": [
            {
                "kind": c.kind.key,
                "label": f"When {c.kind.label}",
                "group": c.kind.group,
                "delivery": c.delivery,
                "default": c.kind.default,
                "choices": list(c.kind.choices),
            }
            for c in settings.choices
        ],
    }


BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "email": {"type": "boolean", "description": "true or false (false: no e-mail at all)"},
        "kinds": {
            "type": "object",
            "additionalProperties": False,
            "description": "an object of kind -> delivery (immediate, digest or off) for the "
            "kinds to change; the others stay",
            "properties": {
                k.key: {"type": "string", "enum": list(k.choices)} for k in K.KINDS.values()
            },
        },
    },
}

document(
    PATH,
    "get",
    "The token's account's e-mail settings: whether it gets e-mail at all, and for each "
    "kind of notification its delivery (immediate, digest or off), default and choices",
    auth=True,
    responses={200: "OK"},
    tag="accounts",
)
document(
    PATH,
    "put",
    "Change the e-mail settings: 'email' (all e-mail on or off) and/or 'kinds' (kind -> "
    "delivery, only those given change). Answers the settings as GET does",
    auth=True,
    body=BODY,
    responses={200: "OK"},
    tag="accounts",
)


@bp.get(PATH)
def notification_settings():
    return jsonify(settings_json(preferences.settings_of(token_user())))


@bp.put(PATH)
def update_notification_settings():
    user = token_user()
    data = json_body()
    unknown = sorted(set(data) - {"email", "kinds"})
    if unknown:
        raise DomainError(
            f"Unknown field {unknown[0]!r}: send 'email' and/or 'kinds'.", code="bad_field"
        )
    email = data.get("email")
    if "email" in data and not isinstance(email, bool):
        raise DomainError("'email' is true or false.", code="bad_email", field="email")
    changes = data.get("kinds", {})
    if not isinstance(changes, dict):
        raise DomainError(
            "'kinds' is an object of kind -> delivery.", code="bad_kinds", field="kinds"
        )
    return jsonify(settings_json(preferences.update_settings(user, email=email, changes=changes)))
