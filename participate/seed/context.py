"""What every step of the demo seeding shares: the ``SeedContext`` and the demo councils."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import Council, Membership
from participate.extensions import db
from participate.util import clock_at, utcnow
from participate.votes.models import Motion

# Councils where the demo happens (each demo person belongs to those of them their role
# gives them: participate.seed.councils.DEMO_MEMBERSHIPS).
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
    # where each resident lives (id -> the slug of a local place) and the constituency they
    # belong to in every council they are a member of (participate.seed.councils)
    homes: dict[int, str] = field(default_factory=dict)
    constituencies: dict[int, str] = field(default_factory=dict)
    # each local place's region (slug -> slug)
    region_of: dict[str, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)
    # the present when seeding began: the story is told in the months before it
    now: datetime = field(default_factory=utcnow)

    def when(self, days_ago: float = 0, hours_ago: float = 0) -> datetime:
        """A moment of the story, so long before the present."""
        return self.now - timedelta(days=days_ago, hours=hours_ago)

    def at(
        self, moment: datetime | None = None, *, days_ago: float = 0, hours_ago: float = 0
    ) -> AbstractContextManager[None]:
        """The story clock: what the services do inside the block happens at ``moment`` (or
        so long ago), stamped so as they write it (rows, notifications, audit events)."""
        return clock_at(moment if moment is not None else self.when(days_ago, hours_ago))

    def residents_in(self, council: Council) -> list[int]:
        """The ids of the residents who live in the council's place: in that local place, in
        one of the region's places, or anywhere for the nation's councils; in their order."""
        place = council.place
        if place.level == "nation":
            return list(self.resident_ids)
        return [
            uid
            for uid in self.resident_ids
            if place.slug in (self.homes[uid], self.region_of[self.homes[uid]])
        ]

    def members_of(self, slug: str, constituency: str | None = None) -> list[Membership]:
        query = sa.select(Membership).where(
            Membership.council_id == self.councils[slug].id, Membership.status == "active"
        )
        if constituency:
            query = query.where(Membership.constituency == constituency)
        return list(db.session.scalars(query.order_by(Membership.id)))

    @contextmanager
    def casting(self, *motion_ids: int) -> Iterator[None]:
        """Ballots cast in the story's past, on motions whose closing time is past too.

        The database refuses a ballot once its motion's closing time has passed by the
        database's own clock (the real present: the story clock does not move it), so while
        they are cast the closing times are lifted, and then put back as they were.
        """
        ids = list(motion_ids)
        closes = dict(
            db.session.execute(sa.select(Motion.id, Motion.closes_at).where(Motion.id.in_(ids)))
            .tuples()
            .all()
        )
        db.session.execute(sa.update(Motion).where(Motion.id.in_(ids)).values(closes_at=None))
        db.session.commit()
        try:
            yield
        finally:
            for motion_id, closes_at in closes.items():
                db.session.execute(
                    sa.update(Motion).where(Motion.id == motion_id).values(closes_at=closes_at)
                )
            db.session.commit()
