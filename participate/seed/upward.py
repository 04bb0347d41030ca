"""Demo data of the upward and downward flows (``participate seed``; runs last).

Local health councils in every region adopt proposals on eight topics (each decided by a
vote whose tally travels with it) and forward them through the real services to their
regional council (some to their place forum too). Each regional council takes up one
proposal per cluster of its inbox, adopts it in its own vote and forwards it to
health-england: the minister's inbox then holds several clusters from different regions,
each a chain local -> regional -> national. The minister answers some clusters (accept,
decline, refer to housing) and leaves others waiting. Three national consultations: one
open with positions from some councils, one closed awaiting adoption, one adopted.

At ``scale > 1`` (benchmarks) `participate.seed.scale.upward` first bulk-loads up to 100,000
forwarded proposals into health-england's inbox; the demo then runs on top of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import Council, Membership
from participate.councils.services import clerks_of
from participate.extensions import db
from participate.proposals import discussion
from participate.proposals import services as proposals
from participate.seed.geography import LOCALS
from participate.seed.upward_text import (
    AMENDMENTS,
    CONSULTATIONS,
    LOCAL_NOTES,
    OPPOSE,
    REGIONAL_NOTES,
    SUBSIDIARITY,
    TOPICS,
)
from participate.upward import answers, clusters, consultations, services
from participate.upward.models import Cluster, Consultation, Forward
from participate.votes import services as votes
from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from participate.votes.models import Motion

# topic -> how many local councils adopt it (spread over the regions)
SPREAD = {
    "gp-booking": 9,
    "youth-mental-health": 6,
    "hospital-parking": 5,
    "nhs-dentistry": 7,
    "ambulance-handover": 5,
    "care-workers-pay": 5,
    "discharge-housing": 3,
    "interpreters": 3,
}
MIN_MEMBERS = 12
JOINED_DAYS_AGO = 200  # the members (and clerks) this step adds joined long before its story


@dataclass(frozen=True)
class Adoption:
    """How a council adopts a proposal before forwarding it (days count back from then)."""

    supported: int  # when members support it
    supporters: tuple[int, int]  # how many of them, at least and at most
    motion: str  # the motion's title, before the proposal's
    turnout: float
    yes: float  # a voter's chance of voting yes
    against: tuple[str, ...]  # what the others vote
    notes: tuple[str, str]  # the clerk's reasons as it goes on the agenda and is adopted


LOCAL = Adoption(30, (3, 8), "Adopt", 0.75, 0.8, ("no", "abstain"), LOCAL_NOTES)
REGIONAL = Adoption(18, (4, 10), "Adopt and forward", 0.7, 0.75, ("no",), REGIONAL_NOTES)


def seed(ctx) -> None:
    Demo(ctx).run()


class Demo:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.password_hash = ctx.people["clerk"].password_hash
        self.councils = ctx.councils

    # ------------------------------------------------------------ people

    def clerk(self, council: Council) -> User:
        rows = [m for m in clerks_of(council) if m.role == "clerk"]
        if rows:
            return db.session.get(User, rows[0].user_id)
        appointed = self.ctx.when(days_ago=JOINED_DAYS_AGO)  # when the councils were set up
        user = User(
            email=f"clerk.{council.slug}@example.org",
            name=f"Clerk of {council.place.name}",
            password_hash=self.password_hash,
            email_confirmed_at=appointed,
            created_at=appointed,
        )
        db.session.add(user)
        db.session.flush()
        db.session.add(
            Membership(
                user_id=user.id,
                council_id=council.id,
                constituency="employee",
                status="active",
                role="clerk",
                requested_at=appointed,
                decided_at=appointed,
            )
        )
        db.session.commit()
        return user

    def members(self, council: Council) -> list[User]:
        """Active members of the council (residents of its place are added to reach
        MIN_MEMBERS, as many as live there)."""
        present = set(
            db.session.scalars(
                sa.select(Membership.user_id).where(
                    Membership.council_id == council.id, Membership.status == "active"
                )
            )
        )
        chosen: list[int] = []
        if len(present) < MIN_MEMBERS:
            pool = [uid for uid in self.ctx.residents_in(council) if uid not in present]
            start = (council.id * 7) % max(1, len(pool))
            chosen = (pool[start:] + pool[:start])[: MIN_MEMBERS - len(present)]
        if chosen:
            db.session.execute(
                sa.insert(Membership),
                [
                    {
                        "user_id": uid,
                        "council_id": council.id,
                        "constituency": self.ctx.constituencies[uid],
                        "status": "active",
                        "role": "member",
                        "requested_at": self.ctx.when(days_ago=JOINED_DAYS_AGO),
                        "decided_at": self.ctx.when(days_ago=JOINED_DAYS_AGO),
                    }
                    for uid in chosen
                ],
            )
            db.session.commit()
            present |= set(chosen)
        users = db.session.scalars(sa.select(User).where(User.id.in_(present))).all()
        return sorted(users, key=lambda u: u.id)

    def voters(self, members: list[User]) -> list[User]:
        """The members who vote in the demo (all of a small council; 40 of a large one, as
        at the benchmark scales a council has thousands of members)."""
        return members if len(members) <= 40 else self.rng.sample(members, 40)

    # ------------------------------------------------------------ decisions

    def before(self, moment: datetime, days: float):
        """The story clock ``days`` before ``moment``."""
        return self.ctx.at(moment - timedelta(days=days))

    def adopt(self, council: Council, title: str, body: str, themes, forwarded: datetime):
        """An adopted proposal of ``council``, written some 40 days before it is ``forwarded``,
        supported by some members and decided by a vote in the week before."""
        clerk = self.clerk(council)
        members = self.members(council)
        with self.before(forwarded, 40):
            proposal = proposals.create_proposal(
                clerk, council, title=title, body=body, themes=themes
            )
        return self.decide(LOCAL, council, proposal, clerk, members, forwarded)

    def decide(
        self, how: Adoption, council: Council, proposal, clerk, members, forwarded: datetime
    ):
        """``proposal`` supported by some members, voted on ``how`` the council adopts and
        adopted in the ten days before it is ``forwarded``."""
        with self.before(forwarded, how.supported):
            low, high = how.supporters
            for user in self.rng.sample(members, min(len(members), self.rng.randint(low, high))):
                if user.id != clerk.id:
                    discussion.support(user, proposal)
        with self.before(forwarded, 10):
            motion = self.motion(
                clerk, council, f"{how.motion}: {proposal.title}", f"proposal:{proposal.id}"
            )
        with self.before(forwarded, 9):
            self.vote(motion, members, how.turnout, how.yes, how.against)
        with self.before(forwarded, 4):
            close_voting(clerk, motion)
        with self.before(forwarded, 3):
            proposals.set_status(clerk, proposal, "on_agenda", reason=how.notes[0])
        with self.before(forwarded, 2):
            proposals.set_status(clerk, proposal, "adopted", reason=how.notes[1])
        db.session.refresh(proposal)
        return proposal

    def motion(self, clerk: User, council: Council, title: str, origin: str) -> Motion:
        """A yes/no motion of ``council``, open for voting."""
        motion = votes.create_motion(
            clerk, council, title=title[:200], method="binary", origin=origin
        )
        votes.open_voting(clerk, motion, None)
        return motion

    def vote(
        self, motion: Motion, members: list[User], turnout: float, yes: float, against=("no",)
    ) -> None:
        """The voters among ``members`` who turn out vote yes with the chance ``yes``, or else
        one of ``against`` (drawn only when there are several)."""
        for user in self.voters(members):
            if self.rng.random() < turnout:
                choice = "yes"
                if self.rng.random() >= yes:
                    choice = against[0] if len(against) == 1 else self.rng.choice(against)
                cast_ballot(user, motion, choice=choice)

    def forward(self, proposal, targets: list[str], topic: str, when: datetime) -> None:
        with self.ctx.at(when):
            services.forward_proposal(
                self.clerk(proposal.council),
                proposal,
                targets=targets,
                subsidiarity=SUBSIDIARITY[topic],
            )

    # ------------------------------------------------------------ the story

    def run(self) -> None:
        self.local_round()
        self.regional_round()
        self.answers()
        self.consult()
        self.ctx.summary["forwarded proposals"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Forward)
        )
        self.ctx.summary["inbox clusters"] = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Cluster)
            .where(Cluster.merged_into_id.is_(None), Cluster.size > 0)
        )
        self.ctx.summary["consultations"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Consultation)
        )

    def local_round(self) -> None:
        """Local health councils adopt and forward, spread over the regions."""
        locals_ = [(slug, region) for slug, _name, region, _pop in LOCALS]
        for t, (topic, count) in enumerate(SPREAD.items()):
            themes, variants = TOPICS[topic]
            chosen = [locals_[(t * 5 + i * 3) % len(locals_)] for i in range(count)]
            if topic == "gp-booking" and ("manchester", "north-west") not in chosen:
                chosen[0] = ("manchester", "north-west")
            for i, (place, region) in enumerate(dict.fromkeys(chosen)):
                council = self.councils[f"health-{place}"]
                title, body = variants[i % len(variants)]
                # forwarded two to four months ago (before any regional council took one up)
                when = self.ctx.when(
                    days_ago=self.rng.randint(75, 130), hours_ago=self.rng.randint(0, 23)
                )
                proposal = self.adopt(
                    council, title, body.replace("{place}", council.place.name), list(themes), when
                )
                targets = [f"health-{region}"]
                if i % 3 == 0 or place == "manchester":
                    targets.append(f"forum-{place}")
                self.forward(proposal, targets, topic, when)

    def regional_round(self) -> None:
        """Each regional council takes up one proposal per cluster, adopts it, forwards it."""
        national = self.councils["health-england"]
        regions = sorted(
            {s for s in self.councils if s.startswith("health-")}
            & {f"health-{r}" for _s, _n, r, _p in LOCALS}
        )
        for slug in regions:
            regional = self.councils[slug]
            clerk = self.clerk(regional)
            page = clusters.list_clusters(regional, per_page=50)
            for card in page.cards:
                first = db.session.get(Forward, card.sample[-1].id) if card.sample else None
                if first is None or first.taken_up_proposal_id:
                    continue
                topic = next(
                    (k for k, (themes, _v) in TOPICS.items() if set(themes) == set(first.themes)),
                    None,
                )
                # forwarded to the national council one to seven weeks ago, taken up 20 days
                # before that (after every local forward)
                when = self.ctx.when(
                    days_ago=self.rng.randint(8, 50), hours_ago=self.rng.randint(0, 23)
                )
                with self.before(when, 20):
                    taken = services.take_up(clerk, first)
                adopted = self.decide(
                    REGIONAL, regional, taken, clerk, self.members(regional), when
                )
                if topic is not None:
                    self.forward(adopted, [national.slug], topic, when)

    def answers(self) -> None:
        """The minister answers three clusters of the national inbox; the others wait."""
        national = self.councils["health-england"]
        minister = self.ctx.people["minister"]
        plans = {
            "gp-access": (
                "accept",
                "Accepted into national work. The GP contract for next year will require "
                "practices to offer advance booking; we are consulting on a same-day access "
                "standard now (see Consultations).",
                None,
            ),
            "parking": (
                "decline",
                "Declined for now. Hospital parking for disabled people, frequent outpatients "
                "and carers of long-stay patients is already free under national guidance; we "
                "will write to every trust that does not follow it rather than change the rule.",
                None,
            ),
            "hospital-discharge": (
                "refer",
                "Referred to the housing council: step-down and adapted housing is housing "
                "money, and the delays start there. Health will join its working group.",
                "housing-england",
            ),
        }
        page = clusters.list_clusters(national, per_page=100, status="unanswered", sort="newest")
        for card in page.cards:
            themes = {t for t, _n in card.themes}
            for theme, (kind, reasons, referred) in plans.items():
                if theme in themes:
                    with self.ctx.at(days_ago=self.rng.randint(2, 6)):
                        answers.answer_cluster(
                            minister,
                            national,
                            card.cluster.id,
                            kind=kind,
                            reasons=reasons,
                            referred_to=referred if referred in self.councils else None,
                        )
                    plans.pop(theme)
                    break

    def consult(self) -> None:
        """Three consultations: open with some positions, closed awaiting adoption, adopted."""
        national = self.councils["health-england"]
        minister = self.ctx.people["minister"]
        answering = [
            s
            for s in (
                "health-manchester",
                "health-north-west",
                "health-salford",
                "health-leeds",
                "health-yorkshire",
                "health-liverpool",
                "health-bristol",
                "health-camden",
            )
            if s in self.councils
        ]
        now = self.ctx.now.replace(second=0, microsecond=0)
        for n, plan in enumerate(CONSULTATIONS):
            # Open for 35 days (the open one since ten days ago); positions in its first weeks;
            # a requirement adopted three days after its consultation closed.
            closes = now + timedelta(days=plan["days"])
            published = (
                closes - timedelta(days=35) if plan["days"] < 0 else now - timedelta(days=10)
            )
            with self.ctx.at(published):
                consultation = consultations.publish_consultation(
                    minister, national, title=plan["title"], body=plan["body"], closes_at=closes
                )
            take = answering[: 5 + n] if n == 0 else answering[n : n + 5]
            for i, slug in enumerate(take):
                with self.ctx.at(published + timedelta(days=2 + i)):
                    self.position(consultation, self.councils[slug], i)
            if plan.get("adopt"):
                with self.ctx.at(closes + timedelta(days=3)):
                    consultations.adopt_requirement(minister, consultation, note=plan["adopt"])

    def position(self, consultation, council: Council, i: int) -> None:
        clerk = self.clerk(council)
        stance = ("amend", "support", "amend", "oppose", "support", "amend")[i % 6]
        text = ""
        if stance == "amend":
            text = AMENDMENTS[(i + council.id) % len(AMENDMENTS)]
        elif stance == "oppose":
            text = OPPOSE[0]
        motion = None
        if i % 2 == 0:
            members = self.members(council)
            motion = self.motion(
                clerk,
                council,
                f"Position on: {consultation.title}",
                f"consultation:{consultation.id}",
            )
            self.vote(motion, members, turnout=0.6, yes=0.7)
            close_voting(clerk, motion)
        consultations.submit_position(
            clerk,
            consultation,
            council,
            stance=stance,
            text=text,
            motion_id=motion.id if motion else None,
        )
