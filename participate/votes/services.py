"""Motion use cases: create, open voting, close and tally, read (DESIGN §3).

Every service takes the acting user as an argument. ``None`` as the actor means the
system itself (a round advancing by its schedule, or a motion whose closing time has
passed being closed the next time it is read or written): no permission check, and the
audit log records no actor. Views and the API always pass the signed-in user.

Casting lives in ``participate.votes.ballots``, closing in ``participate.votes.closing``,
publishing (tally, turnout, ballot file, receipts) in ``participate.votes.results`` and the
checks on input in ``participate.votes.checks``; import each service from its module.

A motion's life: ``draft`` (created, question editable by nobody but the services) ->
``open`` (rules and eligible voters snapshotted, ballots accepted) -> ``closed``
(tallied once, result published, ballots frozen). The database refuses any other
transition and any ballot write outside ``open`` (migration 0003_votes).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import secrecy
from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS, Council, Membership
from participate.councils.services import is_clerk, require_clerk
from participate.errors import Conflict, DomainError, NotFound
from participate.extensions import db
from participate.notifications.services import notify
from participate.util import utcnow
from participate.votes import checks
from participate.votes.closing import close_if_due
from participate.votes.models import (
    Motion,
    MotionEligibility,
)

MIN_VOTING_PERIOD = checks.MIN_VOTING_PERIOD


# ---------------------------------------------------------------- reading


def get_motion(motion_id: int) -> Motion:
    """The motion, closed first if its closing time has passed (no scheduler needed)."""
    motion = db.session.get(Motion, motion_id)
    if motion is None:
        raise NotFound(f"There is no motion {motion_id}. See the council's Votes tab.")
    close_if_due(motion)
    return motion


def motion_for(user, motion_id: int) -> Motion:
    """The motion as ``user`` may read it: a draft is its council's clerks' only, so anyone
    else gets the NotFound an unknown id gets (the Votes tab and the API's list leave drafts
    out too)."""
    motion = get_motion(motion_id)
    if motion.status == "draft" and not is_clerk(user, motion.council):
        raise NotFound(f"There is no motion {motion_id}. See the council's Votes tab.")
    return motion


def motions_of(council: Council, *, include_drafts: bool = False) -> list[Motion]:
    """The council's motions, newest first; due motions are closed on the way."""
    query = sa.select(Motion).where(Motion.council_id == council.id)
    if not include_drafts:
        query = query.where(Motion.status != "draft")
    motions = list(db.session.scalars(query.order_by(Motion.created_at.desc(), Motion.id.desc())))
    for motion in motions:
        close_if_due(motion)
    return motions


# ---------------------------------------------------------------- creating and opening


def create_motion(
    clerk,
    council: Council,
    *,
    title: str,
    method: str,
    options: list[str] | None = None,
    kind: str = "ordinary",
    description: str = "",
    origin: str = "",
    commit: bool = True,
) -> Motion:
    """A clerk drafts a motion in a council (a round creates one per agenda item).

    ``options`` (Schulze only): 2 to 20 distinct, non-empty options, in the order that
    breaks exact ties. ``origin`` names what the motion belongs to, e.g. "round:12".
    Nothing is written when a value is refused.
    """
    if clerk is not None:
        require_clerk(clerk, council)
    values = checks.check_motion(title, method, options, kind, description)
    motion = Motion(
        council_id=council.id,
        origin=(origin or "")[:80],
        created_by_id=getattr(clerk, "id", None),
        created_at=utcnow(),
        status="draft",
        **values,
    )
    db.session.add(motion)
    db.session.flush()
    record_event(
        "motion.created",
        actor=clerk,
        council=council,
        subject=motion,
        data={"title": motion.title, "method": motion.method, "kind": motion.kind},
    )
    if commit:
        db.session.commit()
    return motion


def open_voting(
    clerk, motion: Motion, closes_at: datetime | None, *, commit: bool = True
) -> Motion:
    """Open voting: snapshot the rules and the eligible voters, then accept ballots.

    The rules (weights, quorum, threshold, min_constituencies, concurrent_majority) are
    copied from the council's current constitution; a governance motion takes the
    governance threshold. The eligible voters are the council's active members now,
    with their constituencies. ``closes_at`` (naive UTC) must be at least five minutes
    ahead; ``None`` leaves the motion open until a clerk (or the caller) closes it.
    """
    council = motion.council
    if clerk is not None:
        require_clerk(clerk, council)
    if motion.status != "draft":
        raise Conflict(
            f"Voting on this motion already {'opened' if motion.is_open else 'closed'}; "
            "a motion is opened once.",
            code="already_opened",
        )
    now = utcnow()
    if closes_at is not None and closes_at < now + checks.MIN_VOTING_PERIOD:
        raise DomainError(
            "Choose a closing time at least five minutes from now (times are UTC).",
            code="closes_too_soon",
            field="closes_at",
        )
    rules, version = checks.rules_snapshot(council, motion.kind)
    eligible = checks.eligible_counts(council.id)
    if not sum(eligible.values()):
        raise DomainError(
            f"{council.name} has no active members, so nobody could vote. "
            "Admit members first, then open voting.",
            code="no_members",
        )
    # Claim the draft (row lock on PostgreSQL, write lock on SQLite) before the snapshot,
    # so two clerks opening at once cannot both succeed.
    claimed = db.session.execute(
        sa.update(Motion)
        .where(Motion.id == motion.id, Motion.status == "draft", Motion.opens_at.is_(None))
        .values(opens_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise Conflict("Voting on this motion was opened by someone else.", code="already_opened")
    db.session.execute(
        sa.insert(MotionEligibility).from_select(
            ["motion_id", "user_id", "constituency"],
            sa.select(sa.literal(motion.id), Membership.user_id, Membership.constituency).where(
                Membership.council_id == council.id, Membership.status == "active"
            ),
        )
    )
    # Count what was actually snapshotted (a membership may have changed since above).
    eligible = dict.fromkeys(CONSTITUENCIES, 0) | dict(
        db.session.execute(
            sa.select(MotionEligibility.constituency, sa.func.count())
            .where(MotionEligibility.motion_id == motion.id)
            .group_by(MotionEligibility.constituency)
        ).all()
    )
    db.session.execute(
        sa.update(Motion)
        .where(Motion.id == motion.id)
        .values(
            status="open",
            rules=rules,
            eligible=eligible,
            constitution_version=version,
            closes_at=closes_at,
        )
    )
    db.session.expire(motion)
    record_event(
        "motion.opened",
        actor=clerk,
        council=council,
        subject=motion,
        data={
            "title": motion.title,
            "method": motion.method,
            "rules": rules,
            "constitution_version": version,
            "eligible": eligible,
            "closes_at": closes_at.isoformat() if closes_at else None,
        },
    )
    voters = db.session.scalars(
        sa.select(MotionEligibility.user_id).where(MotionEligibility.motion_id == motion.id)
    ).all()
    notify(
        (uid for uid in voters if uid != getattr(clerk, "id", None)),
        "vote_open",
        f"Voting is open in {council.name}: {motion.title}",
        f"/motions/{motion.id}",
    )
    if commit:
        db.session.commit()
    return motion


def open_motion(
    clerk,
    council: Council,
    *,
    title: str,
    method: str,
    closes_at: datetime | None,
    options: list[str] | None = None,
    kind: str = "ordinary",
    description: str = "",
) -> Motion:
    """A standalone motion, created and opened in one transaction (all or nothing)."""
    try:
        motion = create_motion(
            clerk,
            council,
            title=title,
            method=method,
            options=options,
            kind=kind,
            description=description,
            commit=False,
        )
        open_voting(clerk, motion, closes_at, commit=False)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return motion


def small_constituencies(motion: Motion) -> dict[str, int]:
    """Constituencies so small that the published figures may show how their members voted
    (``core.secrecy``); known once voting opens (the eligibility snapshot)."""
    return secrecy.small_constituencies(motion.eligible or {})


def disclosure_warning(motion: Motion, constituency: str | None) -> str | None:
    """What the ballot page tells a member of a small constituency before they vote."""
    eligible = small_constituencies(motion).get(constituency or "")
    if eligible is None:
        return None
    return secrecy.disclosure_warning(CONSTITUENCY_LABELS[constituency], eligible)
