"""The agenda's plain values: an item (a sentence, a link, a date), a section, the scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Item:
    """One thing to do: a plain-language sentence, the page where the person acts, the
    council it belongs to, and its date in words ("closes in 2 days") when it has one."""

    text: str
    url: str
    council: str = ""
    due_at: datetime | None = None
    when: str = ""


@dataclass
class Section:
    key: str
    group: str
    title: str
    count: int
    items: list[Item] = field(default_factory=list)
    more_url: str = ""  # the page that lists them all, when the items are only the first
    hidden: int = 0  # items past the section's limit, not listed
    summary: str = ""  # the count in words: "2 votes to cast"


@dataclass
class Scope:
    """Whose agenda, and which councils it covers: ``councils`` maps id -> (name, slug)."""

    user_id: int
    member_of: set[int]
    clerk_of: set[int]
    councils: dict[int, tuple[str, str]]

    def name(self, council_id: int) -> str:
        return self.councils.get(council_id, ("", ""))[0]

    def slug(self, council_id: int) -> str:
        return self.councils.get(council_id, ("", ""))[1]
