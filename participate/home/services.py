"""The agenda of one signed-in person: what needs them now, by role, in sections with counts.

`agenda_for(user)` is the one use case behind the page, the home page's panel and the API.
It reads one row per membership, then a fixed number of grouped queries (each over every
council the person belongs to or clerks at once, never one per council), so its cost does
not grow with the number of councils. It changes nothing: it marks no notification read and
advances no round (a round's phase is computed from its schedule); the only write is the one
every petition list makes, a stale signature counter brought up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from participate.councils.models import Council, Membership
from participate.extensions import db
from participate.home import clerk, member, upward
from participate.home.member import Found
from participate.home.model import Item, Scope, Section
from participate.util import utcnow

# Each section: (key, role group, title, (one, many) for a count in words). The order is
# the page's order within a group.
SECTIONS: tuple[tuple[str, str, str, tuple[str, str]], ...] = (
    (
        "round_deadlines",
        "clerk",
        "Rounds with a deadline soon",
        ("round with a deadline soon", "rounds with a deadline soon"),
    ),
    (
        "petition_answers",
        "clerk",
        "Petitions your council must answer",
        ("petition to answer", "petitions to answer"),
    ),
    ("requests", "clerk", "People asking to join", ("request to join", "requests to join")),
    (
        "moderation",
        "clerk",
        "Flagged posts and appeals",
        ("flag or appeal to decide", "flags and appeals to decide"),
    ),
    ("petition_checks", "clerk", "Petitions to check", ("petition to check", "petitions to check")),
    (
        "positions",
        "clerk",
        "Consultations waiting for your council's position",
        ("consultation waiting for a position", "consultations waiting for a position"),
    ),
    (
        "inbox",
        "upward",
        "Proposals waiting for your answer",
        ("group of proposals waiting for an answer", "groups of proposals waiting for an answer"),
    ),
    (
        "consultations",
        "upward",
        "Your consultations",
        ("consultation closing or closed", "consultations closing or closed"),
    ),
    ("votes", "member", "Votes you can cast", ("vote to cast", "votes to cast")),
    (
        "rounds",
        "member",
        "Rounds where you can take part",
        ("round to take part in", "rounds to take part in"),
    ),
    (
        "replies",
        "member",
        "Replies and amendments",
        ("reply or amendment", "replies and amendments"),
    ),
    (
        "petitions",
        "member",
        "Your petitions",
        ("petition you started or signed", "petitions you started or signed"),
    ),
)
GROUPS = {
    "clerk": "Running your councils",
    "upward": "Your inbox and consultations",
    "member": "Taking part",
}
# How many items a section lists; its count says how many there are in all.
LIMIT = 10

__all__ = ["Agenda", "Item", "Section", "agenda_for", "GROUPS"]


@dataclass
class Agenda:
    sections: list[Section] = field(default_factory=list)
    generated_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def groups(self) -> list[tuple[str, str, list[Section]]]:
        """(group key, heading, sections) for the groups that have something."""
        found = []
        for key, heading in GROUPS.items():
            sections = [s for s in self.sections if s.group == key]
            if sections:
                found.append((key, heading, sections))
        return found


def _scope(user_id: int) -> Scope:
    """The councils the person is an active member of, and those they clerk (one query)."""
    rows = db.session.execute(
        sa.select(Membership.council_id, Membership.role, Council.name, Council.slug)
        .join(Council, Council.id == Membership.council_id)
        .where(Membership.user_id == user_id, Membership.status == "active")
    ).all()
    names = {r.council_id: (r.name, r.slug) for r in rows}
    clerked = {r.council_id for r in rows if r.role in ("clerk", "minister")}
    return Scope(user_id=user_id, member_of=set(names), clerk_of=clerked, councils=names)


def agenda_for(user, now: datetime | None = None) -> Agenda:
    """What needs ``user`` now: open votes they have not cast, rounds of their councils in a
    phase where they can act, their petitions, replies and amendments to them; for the
    councils they clerk, join requests, flags and appeals, petitions to check and to answer,
    rounds whose phase ends within three days, consultations awaiting a position; for the
    councils whose inbox they answer (a minister's, a clerk's), the clusters waiting for an
    answer and the consultations the council published that close soon or just closed.

    Empty sections are left out; each kept section lists at most ``LIMIT`` items, most
    urgent first, and counts them all.
    """
    now = now or utcnow()
    agenda = Agenda(generated_at=now)
    if user is None or not getattr(user, "is_authenticated", False):
        return agenda
    scope = _scope(user.id)
    rounds = member.open_rounds(scope)
    found: Found = {}
    found.update(member.sections(scope, now, rounds))
    if scope.clerk_of:
        found.update(clerk.sections(scope, now, rounds))
        found.update(upward.sections(scope, now))
    for key, group, title, nouns in SECTIONS:
        count, items, *more = found.get(key, (0, []))
        if count:
            agenda.sections.append(
                Section(
                    key=key,
                    group=group,
                    title=title,
                    count=count,
                    items=items[:LIMIT],
                    more_url=more[0] if more else "",
                    hidden=max(0, len(items) - LIMIT),
                    summary=f"{count} {nouns[0] if count == 1 else nouns[1]}",
                )
            )
    return agenda
