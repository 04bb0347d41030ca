"""The demo data set: ``participate seed [--scale N]``.

One module here per feature seeds that feature's demo data through its own services, in the
order below (each later step reads what the earlier ones made): the council structure with
the demo accounts and memberships (``councils``), then ``proposals``, ``votes``,
``petitions``, ``rounds`` and ``upward``. ``context`` holds what the steps share, among it
the story clock (``SeedContext.at``): each step tells its part of the story in the months
before today, every row, notification and audit event stamped when the story says it
happened.

At ``scale > 1`` (benchmarks, like ``pgbench -i -s``) the modules in ``scale/`` bulk-load the
large workloads as well; the demo story itself is the same at every scale.
"""

from __future__ import annotations

import json
import random

import sqlalchemy as sa

from participate.audit.models import AuditEvent, AuditHead
from participate.audit.services import record_event
from participate.extensions import db
from participate.notifications.demo import settle_read
from participate.seed import councils, petitions, proposals, rounds, upward, votes
from participate.seed.context import SeedContext
from participate.seed.scale import proposals as proposals_at_scale
from participate.seed.scale import upward as upward_at_scale
from participate.util import clock_at


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
    chain_in_story_order()
    db.session.commit()
    settle_read()  # people have read all but their newest few notifications
    db.session.commit()
    return ctx.summary


def chain_in_story_order() -> int:
    """Append the seeded audit events again, oldest first; returns how many.

    Each step tells its part of the story on the story clock (``SeedContext.at``), one feature
    after another, so the chain they appended runs in step order while their times run in
    story order: entry 500 could be months older than entry 400. The database is new and
    nobody has read its log yet, so the events are appended anew in the order they happened,
    through ``record_event`` at their own times: the chain is built as every chain is, and
    the log reads in order.
    """
    events = db.session.execute(
        sa.select(
            AuditEvent.created_at,
            AuditEvent.action,
            AuditEvent.actor_id,
            AuditEvent.council_id,
            AuditEvent.subject_type,
            AuditEvent.subject_id,
            AuditEvent.data,
        ).order_by(AuditEvent.created_at, AuditEvent.seq)
    ).all()
    db.session.execute(sa.delete(AuditEvent))
    db.session.execute(sa.delete(AuditHead))
    models = {m.class_.__name__.lower(): m.class_ for m in db.Model.registry.mappers}
    last = None  # when the one before was stamped: the next is never stamped earlier
    for event in events:
        subject = None
        if event.subject_type:
            subject = db.session.get(models[event.subject_type], event.subject_id)
            assert subject is not None, event  # the seed deletes nothing
        with clock_at(max(event.created_at, last or event.created_at)):
            last = record_event(
                event.action,
                actor=event.actor_id,
                council=event.council_id,
                subject=subject,
                data=json.loads(event.data),
            ).created_at
    return len(events)
