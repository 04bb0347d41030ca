"""Builders shared by the upward tests (no tests here): a small forum network with clerks,
a minister and members, adopted proposals decided by a motion, forwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting


@dataclass
class World:
    councils: dict[str, Any]
    manchester_clerk: Any
    salford_clerk: Any
    regional_clerk: Any
    national_clerk: Any
    minister: Any
    forum_clerk: Any
    schools_clerk: Any
    members: dict[str, list]
    outsider: Any

    def __getitem__(self, slug: str):
        return self.councils[slug]


_HASH: dict[str, str] = {}


def fast_user(email: str, name: str | None = None):
    """A confirmed account with the tests' PASSWORD, hashed once per run (scrypt is slow)."""
    from participate.accounts.models import User
    from participate.extensions import db
    from participate.util import utcnow
    from tests.conftest import PASSWORD

    if "hash" not in _HASH:
        probe = User(email="probe@example.org", name="probe")
        probe.set_password(PASSWORD)
        _HASH["hash"] = probe.password_hash
    user = User(
        email=email,
        name=name or email.split("@")[0].replace(".", " ").title(),
        password_hash=_HASH["hash"],
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def build_world(make) -> World:
    councils = make.structure()

    def clerk(slug: str, email: str):
        user = fast_user(email)
        make.member(user, councils[slug], "employee", role="clerk")
        return user

    w = World(
        councils=councils,
        manchester_clerk=clerk("health-manchester", "clerk.mcr@example.org"),
        salford_clerk=clerk("health-salford", "clerk.sal@example.org"),
        regional_clerk=clerk("health-north-west", "clerk.nw@example.org"),
        national_clerk=clerk("health-england", "clerk.eng@example.org"),
        minister=fast_user("minister@example.org", "Helen Ward MP"),
        forum_clerk=clerk("forum-manchester", "clerk.forum@example.org"),
        schools_clerk=clerk("schools-manchester", "clerk.schools@example.org"),
        members={},
        outsider=fast_user("outsider@example.org"),
    )
    make.member(w.minister, councils["health-england"], "elected", role="minister")
    n = 0
    for slug in ("health-manchester", "health-salford", "health-north-west"):
        w.members[slug] = []
        for constituency, k in (("citizen", 3), ("employee", 2), ("leader", 1)):
            for _ in range(k):
                n += 1
                user = fast_user(f"member{n}.{slug}@example.org", f"Member {n}")
                make.member(user, councils[slug], constituency)
                w.members[slug].append(user)
    return w


def adopt(clerk, council, title: str, body: str, themes=(), supporters=(), motion_votes=None):
    """An adopted proposal of ``council`` written by its clerk, supported by ``supporters``;
    with ``motion_votes`` ({user: "yes"|"no"}) a standalone motion decides it first."""
    from participate.extensions import db
    from participate.proposals import discussion
    from participate.proposals import services as proposals
    from participate.votes import services as votes

    proposal = proposals.create_proposal(
        clerk, council, title=title, body=body, themes=list(themes)
    )
    for user in supporters:
        discussion.support(user, proposal)
    if motion_votes is not None:
        motion = votes.create_motion(
            clerk,
            council,
            title=f"Adopt: {title}"[:200],
            method="binary",
            origin=f"proposal:{proposal.id}",
        )
        votes.open_voting(clerk, motion, None)
        for user, choice in motion_votes.items():
            cast_ballot(user, motion, choice=choice)
        close_voting(clerk, motion)
    proposals.set_status(clerk, proposal, "on_agenda")
    proposals.set_status(clerk, proposal, "adopted", reason="Adopted by the council.")
    db.session.refresh(proposal)
    return proposal


STATEMENT = "Waiting times are set by national contracts; no local council can change them alone."


def forward(clerk, proposal, targets, statement: str = STATEMENT, **kwargs):
    from participate.upward.services import forward_proposal

    return forward_proposal(
        clerk, proposal, targets=list(targets), subsidiarity=statement, **kwargs
    )


def count(model) -> int:
    from participate.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def close_consultation(consultation, days: int = 1) -> None:
    """Move a consultation's dates into the past, as if its closing date had passed."""
    from participate.extensions import db
    from participate.upward.models import Consultation
    from participate.util import utcnow

    now = utcnow()
    db.session.execute(
        sa.update(Consultation)
        .where(Consultation.id == consultation.id)
        .values(published_at=now - timedelta(days=days + 10), closes_at=now - timedelta(days=days))
    )
    db.session.commit()
    db.session.refresh(consultation)
