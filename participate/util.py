"""Small helpers shared by every feature."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the database is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
