"""Demo votes in health-manchester, made with the feature's own services.

Open: one motion of each method, with ballots from residents; the demo citizen has not
voted on the yes/no and ranked motions (so they can try) and has consented to the
consent motion (so "you have voted" and a receipt show). Closed: one of each method
with published results and ballot files; the yes/no motion passes against the
employees' majority and the ranked one is won against the employees' own winner, so
both carry a minority flag; the consent motion is stopped by reasoned objections.
"""

from __future__ import annotations

from datetime import timedelta

from participate.accounts.models import User
from participate.extensions import db
from participate.votes import services
from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting

COUNCIL = "health-manchester"

PRIORITIES = [
    "Community mental health drop-ins",
    "Evening GP appointments",
    "Physiotherapy self-referral",
    "Children's dental access",
]
WINTER = [
    "Discharge-to-assess beds",
    "Extra district nurses",
    "Urgent community response team",
]

# Share of each constituency voting yes in the closed yes/no motion: the employees'
# majority is against and loses (a minority flag).
CLOSED_BINARY_YES = {
    "citizen": 0.8,
    "employee": 0.25,
    "leader": 1.0,
    "elected": 1.0,
    "partner": 0.6,
}
OPEN_BINARY_YES = {"citizen": 0.7, "employee": 0.55, "leader": 0.5, "elected": 1.0, "partner": 0.5}

# Ranked preferences by constituency (best first). Employees put evening appointments
# first; the others carry mental health drop-ins, so the employees are the minority.
CLOSED_RANKINGS = {
    "citizen": [PRIORITIES[0], PRIORITIES[3], PRIORITIES[1], PRIORITIES[2]],
    "employee": [PRIORITIES[1], PRIORITIES[2], PRIORITIES[0]],
    "leader": [PRIORITIES[0], PRIORITIES[2], PRIORITIES[1], PRIORITIES[3]],
    "elected": [PRIORITIES[0], PRIORITIES[1]],
    "partner": [PRIORITIES[3], PRIORITIES[0]],
}

OBJECTIONS = [
    "Weekly figures swing with staff rotas; publish a four-week rolling average instead.",
    "The dashboard must include community services, not only hospital waiting lists.",
]


def seed(ctx) -> None:
    clerk = ctx.people["clerk"]
    rng = ctx.rng
    voters = _voters(ctx)
    citizen = ctx.people["citizen"]
    now = ctx.now.replace(second=0, microsecond=0)
    ballots = 0

    # ---------------------------------------------------------------- closed, with results
    # Each opened a month or so ago, voted on the next day, closed at the end of its week.
    def closed(days_ago: int, cast, **motion) -> int:
        """A motion opened ``days_ago``, its ballots cast by ``cast(motion)`` the next day (it
        returns how many), closed at the end of its week."""
        opened = (now - timedelta(days=days_ago)).replace(hour=9, minute=0)
        closes = opened + timedelta(days=7)
        made = _open(ctx, opened, closes, **motion)
        with ctx.at(opened + timedelta(days=1)), ctx.casting(made.id):
            n = cast(made)
        with ctx.at(closes):
            close_voting(clerk, made)
        return n

    ballots += closed(
        35,
        lambda motion: _cast_binary(motion, voters, CLOSED_BINARY_YES, rng, turnout=0.75),
        title="Move the minor injuries unit to the new Hulme health campus",
        method="binary",
        description=_CAMPUS,
    )
    ballots += closed(
        33,
        lambda motion: _cast_rankings(motion, voters, rng),
        title="Which service should the 2027 budget extend first?",
        method="schulze",
        options=PRIORITIES,
        description=_PRIORITIES,
    )
    ballots += closed(
        31,
        lambda motion: _cast_objections(motion, voters, rng),
        title="Publish the waiting-times dashboard every week",
        method="consent",
        description=_DASHBOARD,
    )

    # ---------------------------------------------------------------- open now
    motion = _open(
        ctx,
        ctx.when(days_ago=4),
        now + timedelta(days=10),
        title="Open the walk-in centre on Saturdays from April",
        method="binary",
        description=_SATURDAYS,
    )
    with ctx.at(days_ago=3):
        ballots += _cast_binary(motion, voters, OPEN_BINARY_YES, rng, turnout=0.45, skip=[citizen])

    motion = _open(
        ctx,
        ctx.when(days_ago=3, hours_ago=2),
        now + timedelta(days=6),
        title="Where should the winter pressures fund go first?",
        method="schulze",
        options=WINTER,
        description=_WINTER,
    )
    with ctx.at(days_ago=2):
        for people in voters.values():
            for user in people:
                if user.id != citizen.id and rng.random() < 0.4:
                    cast_ballot(user, motion, ranking=rng.sample(WINTER, k=rng.randint(1, 3)))
                    ballots += 1

    motion = _open(
        ctx,
        ctx.when(days_ago=2, hours_ago=5),
        now + timedelta(days=5),
        title="Adopt the plain-English appointment letters",
        method="consent",
        description=_LETTERS,
    )
    with ctx.at(days_ago=1, hours_ago=8):
        cast_ballot(citizen, motion, choice="consent")
    with ctx.at(days_ago=1):
        ballots += 1 + _cast_consents(motion, voters, rng, skip=[citizen], share=0.35)

    db.session.commit()
    ctx.summary["motions"] = ctx.summary.get("motions", 0) + 6
    ctx.summary["ballots"] = ctx.summary.get("ballots", 0) + ballots


def _voters(ctx) -> dict[str, list[User]]:
    """The council's active members by constituency, the clerk left out (they run the vote)."""
    clerk_id = ctx.people["clerk"].id
    grouped: dict[str, list[User]] = {}
    for membership in ctx.members_of(COUNCIL):
        if membership.user_id == clerk_id:
            continue
        grouped.setdefault(membership.constituency, []).append(
            db.session.get(User, membership.user_id)
        )
    return grouped


def _open(ctx, opened, closes, **motion):
    """The clerk opens a motion of the council at ``opened``, to close at ``closes``."""
    with ctx.at(opened):
        return services.open_motion(
            ctx.people["clerk"], ctx.councils[COUNCIL], closes_at=closes, **motion
        )


def _cast_binary(motion, voters, yes_share, rng, *, turnout, skip=()) -> int:
    skipped = {user.id for user in skip}
    cast = 0
    for constituency, people in voters.items():
        for user in people:
            if user.id in skipped or rng.random() > turnout:
                continue
            roll = rng.random()
            choice = (
                "abstain"
                if roll > 0.95
                else "yes"
                if roll < yes_share[constituency] * 0.95
                else "no"
            )
            cast_ballot(user, motion, choice=choice)
            cast += 1
            if rng.random() < 0.05:  # a few change their mind before the close
                cast_ballot(user, motion, choice="no" if choice == "yes" else "yes")
    return cast


def _cast_rankings(motion, voters, rng) -> int:
    """Most rank as their constituency does; some swap its second and third."""
    cast = 0
    for constituency, people in voters.items():
        for user in people:
            if rng.random() < 0.7:
                ranking = list(CLOSED_RANKINGS[constituency])
                if rng.random() < 0.25 and len(ranking) > 2:  # some disagree on the order
                    ranking[1], ranking[2] = ranking[2], ranking[1]
                cast_ballot(user, motion, ranking=ranking)
                cast += 1
    return cast


def _cast_objections(motion, voters, rng) -> int:
    """An employee and a partner object with a reason; some others consent."""
    objectors = [voters["employee"][0], voters["partner"][0]]
    for user, reason in zip(objectors, OBJECTIONS, strict=True):
        cast_ballot(user, motion, objection=reason)
    return len(objectors) + _cast_consents(motion, voters, rng, skip=objectors, share=0.6)


def _cast_consents(motion, voters, rng, *, skip, share) -> int:
    skipped = {user.id for user in skip}
    cast = 0
    for people in voters.values():
        for user in people:
            if user.id not in skipped and rng.random() < share:
                cast_ballot(user, motion, choice="consent")
                cast += 1
    return cast


_CAMPUS = """The minor injuries unit at Moss Side shares a building that fails its fire
inspection in 2027. The **new Hulme health campus** has space, parking and a tram stop.

- Staff would move with the unit; travel times rise for some.
- Opening hours stay the same (8am to 8pm).
"""

_PRIORITIES = """The council can extend **one** service first next year. Rank the options:
the Schulze method finds the option that beats every other head to head, with each
constituency's say weighted by the constitution."""

_DASHBOARD = """Publish waiting times for every service on the council's site each Monday,
with the figures broken down by neighbourhood. Object if you think it should not
proceed as written, and say what would have to change."""

_SATURDAYS = """Open the walk-in centre from 9am to 5pm on Saturdays, from April, funded by
reducing weekday late opening from 10pm to 9pm."""

_WINTER = """The winter pressures fund (£1.2m) will be spent on one of these first. Rank
them; options you leave out count as tied last."""

_LETTERS = """Replace the current appointment letters with the plain-English versions
tested with patients in Wythenshawe (reading age 9, translation on request). The
motion proceeds unless someone objects with a reason."""
