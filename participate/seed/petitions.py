"""Demo petitions at every stage (``participate seed``).

Manchester's health council has one petition collecting sponsors, one in moderation, one
open and close to its threshold, one past its threshold awaiting an answer; the North
West council rejected one; the Manchester place forum answered one and changed its
constitution through another (a passed governance motion); Salford's closed short of its
threshold. Thousands of signatures are bulk-inserted in time order, spread over weeks,
then counted once by the same recount the ``reconcile`` command uses.
"""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.memberships import appoint
from participate.extensions import db
from participate.petitions import (
    answering,
    closing,
    drafting,
    moderating,
    recount,
    signing,
    sponsoring,
)
from participate.petitions.models import Petition, Signature
from participate.votes import services as votes
from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting

POOL = 6_000  # signers who are not members of the demo councils


def _pool(ctx) -> list[int]:
    """Bulk-insert the signer accounts (one shared password hash, confirmed e-mail)."""
    password_hash = ctx.people["citizen"].password_hash
    now = ctx.when(days_ago=230)  # they signed up when the platform opened
    first = ["Alex", "Sam", "Jordan", "Casey", "Morgan", "Riley", "Jamie", "Robin", "Kim", "Lee"]
    last = ["Ashworth", "Barlow", "Crompton", "Dawson", "Entwistle", "Fletcher", "Gregson"]
    rows = [
        {
            "email": f"signer{i}@example.net",
            "name": f"{first[i % len(first)]} {last[(i * 3) % len(last)]}",
            "password_hash": password_hash,
            "email_confirmed_at": now,
            "created_at": now,
            "is_admin": False,
            "bio": "",
            "email_notifications": False,
            "session_version": 1,
        }
        for i in range(1, POOL + 1)
    ]
    db.session.execute(sa.insert(User.__table__), rows)
    return list(
        db.session.scalars(
            sa.select(User.id).where(User.email.like("signer%@example.net")).order_by(User.id)
        )
    )


def _start(
    ctx, author_key, slug, kind, title, change, reason, settings=None, *, days_ago: float
) -> Petition:
    with ctx.at(days_ago=days_ago):
        return drafting.start_petition(
            ctx.people[author_key] if isinstance(author_key, str) else author_key,
            ctx.councils[slug],
            kind=kind,
            title=title,
            change_text=change,
            reason_text=reason,
            proposed_settings=settings,
        )


def _resident_of(ctx, slug: str) -> User:
    """A resident who is a citizen member of the council: the author of a petition about a
    place none of the demo people lives in."""
    demo = {user.id for user in ctx.people.values()}
    return next(
        db.session.get(User, m.user_id)
        for m in ctx.members_of(slug, "citizen")
        if m.user_id not in demo
    )


def _sponsor(ctx, petition: Petition, n: int, *, days_ago: float) -> None:
    with ctx.at(days_ago=days_ago):
        sponsoring.invite_sponsors(petition.author, petition)
        # residents of the council's area (anyone may sponsor; those it concerns do)
        area = ctx.residents_in(petition.council)
        candidates = [uid for uid in area if uid != petition.author_id][: n + 3]
        for user_id in ctx.rng.sample(candidates, n):
            if petition.status != "collecting_sponsors":
                break
            sponsoring.sponsor_petition(db.session.get(User, user_id), petition)


def _by_clerk(ctx, clerk_key: str, act, petition: Petition, *, days_ago: float, **fields) -> None:
    """The clerk acts on the petition ``days_ago``: ``act`` is the service (publish, reject,
    answer), ``fields`` what the clerk says with it."""
    with ctx.at(days_ago=days_ago):
        act(ctx.people[clerk_key], petition, **fields)


def _publish(ctx, clerk_key: str, petition: Petition, days_ago: float) -> Petition:
    """Sponsored two days before ``days_ago``, published by the clerk then."""
    _sponsor(ctx, petition, petition.sponsors_needed, days_ago=days_ago + 2)
    _by_clerk(ctx, clerk_key, moderating.publish, petition, days_ago=days_ago)
    db.session.refresh(petition)
    return petition


def _sign(ctx, petition: Petition, pool: list[int], n: int, *, days: float, shape: float = 0.6):
    """Bulk-insert n signatures in time order over ``days`` from the opening.

    ``shape`` < 1 front-loads them (a petition's early surge); members of the council sign
    in their constituency (for the council's place), the others declare the local place of
    the council's area they live in, or the service they work for and the place where.
    """
    council = petition.council
    places = [p.id for p in signing.signing_places(petition)]
    services = [s.id for s in signing.signing_services(petition)]
    members = ctx.members_of(council.slug)
    member_ids = {m.user_id: m.constituency for m in members}
    signers: list[tuple[int, str, str]] = [
        (uid, "member", c) for uid, c in list(member_ids.items())[: n // 10]
    ]
    for uid in pool:
        if len(signers) >= n:
            break
        if uid in member_ids:
            continue
        work = ctx.rng.random() < 0.22
        signers.append((uid, "work" if work else "live", "employee" if work else "citizen"))
    ctx.rng.shuffle(signers)
    start = petition.opened_at
    span = timedelta(days=days).total_seconds()
    offsets = sorted(span * math.pow(ctx.rng.random(), 1 / shape) for _ in signers)
    rows = [
        {
            "petition_id": petition.id,
            "user_id": uid,
            "constituency": constituency,
            "declaration": declaration,
            "place_id": council.place_id if declaration == "member" else ctx.rng.choice(places),
            "service_id": ctx.rng.choice(services) if declaration == "work" else None,
            "created_at": start + timedelta(seconds=offset),
            "invalidation_reason": "",
        }
        for (uid, declaration, constituency), offset in zip(signers, offsets, strict=True)
    ]
    for i in range(0, len(rows), 5_000):
        db.session.execute(sa.insert(Signature.__table__), rows[i : i + 5_000])
    db.session.commit()
    # Counted as the last of them came in (a threshold is reached, and told, then).
    last = max(row["created_at"] for row in rows) + timedelta(minutes=1)
    with ctx.at(min(last, ctx.when(hours_ago=0.5))):
        recount.recount(petition.id)
    db.session.commit()
    db.session.refresh(petition)
    return len(rows)


def seed(ctx) -> None:
    pool = _pool(ctx)
    db.session.commit()
    total = 0

    # Collecting sponsors: 2 of 5.
    collecting = _start(
        ctx,
        "citizen",
        "health-manchester",
        "early_scrutiny",
        "Inspect the out-of-hours GP service before the winter",
        "Ask the regulator for an early inspection of the out-of-hours GP service, and publish "
        "a local scrutiny report by the end of January.",
        "Calls to the out-of-hours service waited over four hours on 19 Saturdays this year. "
        "Patients in Wythenshawe and Gorton report being sent to A&E instead.",
        days_ago=6,
    )
    _sponsor(ctx, collecting, 2, days_ago=5)

    # In moderation: sponsors complete.
    moderation = _start(
        ctx,
        "employee",
        "health-manchester",
        "cooperative_governance",
        "Let patients and staff elect the community health board",
        "Turn the community health services board into a co-operative board: half its seats "
        "elected by registered patients, a third by staff, the rest by partners.",
        "People who use and run community nursing know what works. A co-operative board, as "
        "in several NHS foundation trusts, gives them a real say over priorities.",
        days_ago=9,
    )
    _sponsor(ctx, moderation, moderation.sponsors_needed, days_ago=8)

    # Rejected, with a public reason, by the North West clerk.
    rejected = _start(
        ctx,
        "citizen",
        "health-north-west",
        "early_scrutiny",
        "Sack the chief executive of the ambulance trust",
        "Dismiss the chief executive of the regional ambulance trust at once.",
        "Response times are the worst in the country and someone has to take responsibility.",
        days_ago=26,
    )
    _sponsor(ctx, rejected, rejected.sponsors_needed, days_ago=25)
    _by_clerk(
        ctx,
        "regional_clerk",
        moderating.reject,
        rejected,
        days_ago=22,
        standard="S4",
        reason="A petition cannot name or target an individual member of staff. You could "
        "petition for an early scrutiny of ambulance response times in the region instead.",
    )

    # Open, close to its threshold (5,690 for Manchester: max(100, ceil(1% × 568,996))).
    near = _start(
        ctx,
        "leader",
        "health-manchester",
        "early_scrutiny",
        "Scrutinise mental health waiting times for young people",
        "Hold a local scrutiny review of waiting times for children's and young people's mental "
        "health services, with families and staff giving evidence.",
        "Young people wait a median of 18 weeks for a first appointment, and schools report "
        "more crises every term. Families want to be heard before the next budget.",
        days_ago=45,
    )
    _publish(ctx, "clerk", near, days_ago=42)
    total += _sign(ctx, near, pool, near.threshold - 78, days=42, shape=0.7)

    # Past its threshold, awaiting the council's answer.
    reached = _start(
        ctx,
        "citizen",
        "health-manchester",
        "cooperative_governance",
        "Give patients a co-operative stake in community pharmacy",
        "Create a patients' co-operative with seats on the board that commissions community "
        "pharmacy, with members voting on opening hours and services.",
        "Seven pharmacies closed in north Manchester in two years; the people who rely on "
        "them were never asked.",
        days_ago=38,
    )
    _publish(ctx, "clerk", reached, days_ago=35)
    total += _sign(ctx, reached, pool, reached.threshold + 105, days=26, shape=0.45)

    # Answered at a meeting, closed.
    answered = _start(
        ctx,
        "employee",
        "forum-manchester",
        "early_scrutiny",
        "Review how Manchester's services share information about carers",
        "Review how health, social care and schools share information about unpaid carers, "
        "so that carers tell their story once.",
        "Carers fill in the same forms for every service; young carers are missed by schools.",
        days_ago=73,
    )
    _publish(ctx, "clerk", answered, days_ago=70)
    total += _sign(ctx, answered, pool, answered.threshold + 40, days=30, shape=0.5)
    _by_clerk(
        ctx,
        "clerk",
        answering.publish_response,
        answered,
        days_ago=36,
        decision="partly_adopted",
        response_text="The forum agreed to a review led by the carers' partnership, "
        "reporting in six months. A single carers' record across services needs national "
        "agreement, so the forum has forwarded that part to the national council.",
    )

    # A constitution change that passed a governance vote and changed the constitution.
    change = _start(
        ctx,
        "elected",
        "forum-manchester",
        "constitution_change",
        "Give citizens and employees a stronger say in the place forum",
        "Weight citizens 2 and employees 1.5 in the forum's votes, and make decisions count "
        "only when a quarter of a constituency takes part.",
        "The forum decides on services that residents and staff live with; their voice should "
        "carry more weight than it does, and decisions should not be taken by a handful.",
        settings={"weights": {"citizen": 2, "employee": 1.5}, "quorum": 0.25},
        days_ago=93,
    )
    _publish(ctx, "clerk", change, days_ago=90)
    total += _sign(ctx, change, pool, change.threshold + 12, days=40, shape=0.55)
    motion_id = _governance_vote(ctx, change, days_ago=49)
    with ctx.at(days_ago=41):
        answering.publish_response(
            ctx.people["clerk"],
            change,
            decision="adopted",
            response_text="The forum put the petition to a governance vote, which passed with "
            "the two-thirds weighted support the constitution requires. The new weights and "
            "quorum apply from the next round.",
            motion_id=motion_id,
        )
        answering.apply_governance_change(ctx.people["clerk"], change, motion_id=motion_id)

    # Closed without reaching the threshold (its deadline passed).
    missed = _start(
        ctx,
        _resident_of(ctx, "health-salford"),
        "health-salford",
        "early_scrutiny",
        "Scrutinise the closure of Salford's walk-in centre",
        "Hold a scrutiny review of the decision to close the walk-in centre.",
        "The closure was decided without asking the people who use it.",
        days_ago=204,
    )
    _sponsor(ctx, missed, missed.sponsors_needed, days_ago=202)
    _publish_as_admin_clerk(ctx, missed, days_ago=200)
    total += _sign(ctx, missed, pool, 312, days=150, shape=0.4)
    with ctx.at(missed.signing_deadline + timedelta(hours=1)):  # closed by the hourly sweep
        closing.close_if_due(missed.id)

    # A few more open ones, for the list's filters and sorts.
    leeds = _start(
        ctx,
        _resident_of(ctx, "health-leeds"),
        "health-leeds",
        "early_scrutiny",
        "Scrutinise discharge delays at Leeds hospitals",
        "Review why patients fit to leave hospital wait for care at home, with a public report.",
        "Hundreds of people a week are stuck in hospital beds waiting for a care package.",
        days_ago=15,
    )
    _publish(ctx, "leeds_clerk", leeds, days_ago=12)
    total += _sign(ctx, leeds, pool, 840, days=12, shape=0.5)
    ctx.summary["petitions"] = db.session.scalar(sa.select(sa.func.count()).select_from(Petition))
    ctx.summary["signatures"] = total


def _publish_as_admin_clerk(ctx, petition: Petition, days_ago: float) -> None:
    """Salford has no demo clerk: the admin appoints the North West clerk there first."""
    with ctx.at(days_ago=days_ago + 1):
        appoint(
            ctx.people["admin"], ctx.people["regional_clerk"], petition.council, "clerk", "employee"
        )
    _by_clerk(ctx, "regional_clerk", moderating.publish, petition, days_ago=days_ago)
    db.session.refresh(petition)


def _governance_vote(ctx, petition: Petition, *, days_ago: float) -> int:
    """A governance motion on the petition, opened ``days_ago``, voted by the council's members
    over the next days and closed a week later (votes feature)."""
    clerk = ctx.people["clerk"]
    council = petition.council
    with ctx.at(days_ago=days_ago):
        motion = votes.open_motion(
            clerk,
            council,
            title=f"Petition {petition.id}: {petition.title}",
            method="binary",
            closes_at=None,
            kind="governance",
            description="The petition reached its threshold; the forum votes on its settings.",
        )
    users = {u.id: u for u in [*ctx.people.values(), *ctx.residents]}
    with ctx.at(days_ago=days_ago - 2):
        for membership in ctx.members_of(council.slug):
            user = users.get(membership.user_id)
            if user is None:
                continue
            choice = "no" if ctx.rng.random() < 0.15 else "yes"
            cast_ballot(user, motion, choice=choice)
    with ctx.at(days_ago=days_ago - 7):
        close_voting(clerk, motion)
    return motion.id
