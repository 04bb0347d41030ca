"""What the demo's proposal threads share: the statuses a demo council's proposals go
through, a council's place in their text, when comments are written, comments and supports."""

from __future__ import annotations

from datetime import datetime, timedelta

from participate.accounts.models import User
from participate.councils.models import Council
from participate.proposals import discussion
from participate.proposals.models import Comment, Proposal

# The first two open proposals of a council are the ones the rounds feature's demo puts on its
# rounds' agendas (it takes the oldest open ones); the last stays open whatever the rounds do.
PLAN = ["open", "open", "on_agenda", "adopted", "rejected", "withdrawn", "open"]


def fill(text: str, council: Council) -> str:
    return text.replace("{place}", council.place.name)


def support(ctx, proposal: Proposal, members: list[User], k: int) -> None:
    for user in ctx.rng.sample(members, min(k, len(members))):
        discussion.support(user, proposal)


def said_at(begun: datetime, n: int) -> datetime:
    """When the ``n``-th comment of a thread begun at ``begun`` is written (from 0): five hours
    in, then every nine hours."""
    return begun + timedelta(hours=5 + n * 9)


def comment(
    ctx, proposal: Proposal, begun: datetime, n: int, user: User, stance: str, text: str, parent
) -> Comment:
    """The ``n``-th comment of the thread (a reply to ``parent`` if any), written then."""
    with ctx.at(said_at(begun, n)):
        return discussion.add_comment(
            user, proposal, body=text, stance=stance, parent_id=parent.id if parent else None
        )
