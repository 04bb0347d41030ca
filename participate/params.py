"""What comes in from outside, checked once before any view sees it.

Every id is a PostgreSQL ``integer``: a number past it, in a path or a query parameter, used to
reach the database and fail there (SQLite and psycopg overflow) with a 500. NUL cannot be stored
in PostgreSQL text and other control characters have no business in a form, so any string that
holds one is refused with a 400 naming the field, in one ``before_request`` for every form field,
JSON string and query parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter

from participate.errors import DomainError

MAX_ID = 2**31 - 1  # PostgreSQL integer, the type of every id column

# C0 controls but tab, newline and carriage return; DEL and the C1 controls; lone surrogates
# (which no encoder will write). Tab and newlines are how multi-line text is typed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _digits_up_to(limit: int) -> str:
    """A regular expression for the whole numbers 0..``limit`` (leading zeros allowed)."""
    text = str(limit)
    if len(text) == 1:
        return f"[0-{limit}]"
    options = [rf"\d{{1,{len(text) - 1}}}"]
    for i, digit in enumerate(text):
        low = 1 if i == 0 else 0
        if int(digit) > low:  # same leading digits, a smaller one here, anything after
            rest = len(text) - i - 1
            options.append(
                f"{text[:i]}[{low}-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else "")
            )
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` for every route: a number past the ids is no match (404), never a query.
    The bound is in the pattern too: a number that matched and then failed the range check
    would let the router answer 405 when another method has a route at that address."""

    regex = _digits_up_to(MAX_ID)

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a character ``screen_input`` refuses (for text read from files)."""
    return bool(_CONTROL.search(text))


def int_arg(
    args: Mapping[str, Any],
    name: str,
    default: int | None = 1,
    *,
    low: int = 1,
    high: int = MAX_ID,
    code: str | None = None,
) -> int | None:
    """The whole number ``args[name]`` of a query string or a form (see ``whole_number``)."""
    return whole_number(args.get(name), name, default, low=low, high=high, code=code)


def whole_number(
    raw: Any,
    name: str,
    default: int | None = 1,
    *,
    low: int = 1,
    high: int = MAX_ID,
    code: str | None = None,
) -> int | None:
    """``raw`` as a whole number, ``default`` when missing or empty; anything else, or a number
    outside ``low``..``high``, is refused naming the field (code ``bad_<name>`` unless given)."""
    if raw is None or raw == "":
        return default
    value = raw if isinstance(raw, int) and not isinstance(raw, bool) else str(raw).strip()
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value):
        value = int(value)
    if isinstance(value, int) and low <= value <= high:
        return value
    raise DomainError(
        f"{name.replace('_', ' ').capitalize()} must be a whole number from {low:,} to {high:,}.",
        code=code or f"bad_{name}",
        field=name,
    )


def screen_input() -> None:
    """``before_request``: a control character in the path is no address (404); in a query
    parameter, a form field or a JSON string it is refused (400, code ``bad_characters``), and
    so is a JSON whole number past the ids (code ``bad_number``): every number the API takes is
    an id."""
    if _CONTROL.search(request.path):
        abort(404)
    for name, value in _strings(request):
        if isinstance(value, int):
            if not -MAX_ID <= value <= MAX_ID:
                raise DomainError(
                    f"'{name}' is out of range: the numbers here are ids and counts, "
                    f"at most {MAX_ID:,}.",
                    code="bad_number",
                    field=name,
                )
        elif _CONTROL.search(value):
            shown = _CONTROL.sub("?", name)  # the name itself may hold the character
            raise DomainError(
                f"'{shown}' contains a control character (such as NUL) that text cannot hold. "
                "Remove it and send again.",
                code="bad_characters",
                field=shown,
            )


def _strings(req) -> Iterator[tuple[str, str | int]]:
    for source in (req.args, req.form):
        for name, value in source.items(multi=True):
            yield name, name
            yield name, value
    for name, upload in req.files.items(multi=True):
        yield name, upload.filename or ""
    if req.is_json:
        yield from _json_strings(req.get_json(silent=True), "")


def _json_strings(value: Any, name: str) -> Iterator[tuple[str, str | int]]:
    if isinstance(value, str | int) and not isinstance(value, bool):
        yield name or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            field = key if not name else f"{name}.{key}"
            yield field, str(key)
            yield from _json_strings(item, field)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, name)
