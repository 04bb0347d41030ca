"""Writing records as JSON and CSV, a piece at a time.

Both writers take an iterator of records (dicts keyed by the dataset's field names) and
yield text: a file of any size is written without holding more than one record.

CSV cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return: OWASP's "CSV injection") are neutralised by a leading
apostrophe, which spreadsheets show as text and do not evaluate. Only text is touched:
numbers keep their sign.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: a formula-like start gets a ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with seconds and a Z."""
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def _cell(value: Any) -> str:
    if type(value) is str:  # most cells: the one check they need
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


def csv_lines(fields: list[str], records: Iterable[dict]) -> Iterator[str]:
    """A header line, then one line per record (RFC 4180: quoted as needed, CRLF)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    yield buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(record.get(name)) for name in fields])
        yield buffer.getvalue()


def json_lines(fields: list[str], records: Iterable[dict]) -> Iterator[str]:
    """A JSON array of objects with exactly ``fields``, one object per line."""
    yield "["
    first = True
    for record in records:
        body = json.dumps({name: record.get(name) for name in fields}, ensure_ascii=False)
        yield ("\n" if first else ",\n") + body
        first = False
    yield "\n]\n"


WRITERS = {"json": json_lines, "csv": csv_lines}
BLOCK = 64 * 1024


def blocks(pieces: Iterable[str], size: int = BLOCK) -> Iterator[bytes]:
    """The pieces as UTF-8 in blocks of about ``size`` bytes (fewer, larger writes)."""
    buffer: list[bytes] = []
    filled = 0
    for piece in pieces:
        data = piece.encode("utf-8")
        buffer.append(data)
        filled += len(data)
        if filled >= size:
            yield b"".join(buffer)
            buffer, filled = [], 0
    if buffer:
        yield b"".join(buffer)
