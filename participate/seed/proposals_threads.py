"""What the demo's proposal threads share: the statuses a demo council's proposals go
through, a council's place in their text, and supports."""

from __future__ import annotations

from participate.accounts.models import User
from participate.councils.models import Council
from participate.proposals import discussion
from participate.proposals.models import Proposal

# The first two open proposals of a council are the ones the rounds feature's demo puts on its
# rounds' agendas (it takes the oldest open ones); the last stays open whatever the rounds do.
PLAN = ["open", "open", "on_agenda", "adopted", "rejected", "withdrawn", "open"]


def fill(text: str, council: Council) -> str:
    return text.replace("{place}", council.place.name)


def support(ctx, proposal: Proposal, members: list[User], k: int) -> None:
    for user in ctx.rng.sample(members, min(k, len(members))):
        discussion.support(user, proposal)
