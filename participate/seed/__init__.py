"""The demo data set: ``participate seed [--scale N]``.

One module here per feature seeds that feature's demo data through its own services, in the
order below (each later step reads what the earlier ones made): the council structure with
the demo accounts and memberships (``councils``), then ``proposals``, ``votes``,
``petitions``, ``rounds`` and ``upward``. ``context`` holds what the steps share.

At ``scale > 1`` (benchmarks, like ``pgbench -i -s``) the modules in ``scale/`` bulk-load the
large workloads as well; the demo story itself is the same at every scale.
"""

from __future__ import annotations

import random

from participate.extensions import db
from participate.notifications.demo import settle_read
from participate.seed import councils, petitions, proposals, rounds, upward, votes
from participate.seed.context import SeedContext
from participate.seed.scale import proposals as proposals_at_scale
from participate.seed.scale import upward as upward_at_scale


def seed(scale: int = 1, password: str = "participate-demo") -> dict[str, int]:
    """Fill an empty database with the demo data set; returns the counts of what it made."""
    ctx = SeedContext(scale=scale, password=password, rng=random.Random(2026))
    steps = [councils.seed, proposals.seed]
    if scale > 1:
        steps.append(proposals_at_scale.seed_benchmark)
    steps += [votes.seed, petitions.seed, rounds.seed]
    if scale > 1:
        steps.append(upward_at_scale.seed_benchmark)
    steps.append(upward.seed)
    for step in steps:
        step(ctx)
        db.session.commit()
    settle_read()  # people have read all but their newest few notifications
    db.session.commit()
    return ctx.summary
