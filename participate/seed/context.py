"""What every step of the demo seeding shares: the ``SeedContext`` and the demo councils."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import Council, Membership
from participate.extensions import db

# Councils where the demo happens; the demo people belong to these.
DEMO_COUNCILS = [
    "health-manchester",
    "health-north-west",
    "health-england",
    "forum-manchester",
    "health-salford",
    "health-liverpool",
    "schools-manchester",
    "health-leeds",
    "health-yorkshire",
]


@dataclass
class SeedContext:
    scale: int
    password: str
    rng: random.Random
    people: dict[str, User] = field(default_factory=dict)
    councils: dict[str, Council] = field(default_factory=dict)
    residents: list[User] = field(default_factory=list)
    # their ids, read once: the loaded accounts expire at each commit
    resident_ids: list[int] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)

    def members_of(self, slug: str, constituency: str | None = None) -> list[Membership]:
        query = sa.select(Membership).where(
            Membership.council_id == self.councils[slug].id, Membership.status == "active"
        )
        if constituency:
            query = query.where(Membership.constituency == constituency)
        return list(db.session.scalars(query.order_by(Membership.id)))
