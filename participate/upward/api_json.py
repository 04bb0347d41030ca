"""What the upward API modules (`api` for the upward flows, `consultation_api` for the
downward one) share: their OpenAPI tag, the timestamp format and the text field reader."""

from __future__ import annotations

from participate.errors import DomainError

TAG = "upward"


def iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def string_field(data: dict, key: str) -> str:
    """A text field of a JSON body: "" when missing or null, refused when not a string."""
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(f"'{key}' must be a string.", code="bad_field", field=key)
    return value
