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

from datetime import timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.models import Council, Membership
from participate.councils.services import clerks_of
from participate.extensions import db
from participate.proposals import discussion
from participate.proposals import services as proposals
from participate.proposals.models import Proposal
from participate.seed.geography import LOCALS
from participate.seed.upward_text import (
    AMENDMENTS,
    CONSULTATIONS,
    OPPOSE,
    REGIONAL_NOTE,
    SUBSIDIARITY,
    TOPICS,
)
from participate.upward import answers, clusters, consultations, services
from participate.upward.aggregates import _refresh_dates
from participate.upward.models import Answer, Cluster, Consultation, Forward
from participate.util import utcnow
from participate.votes import services as votes
from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting

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


def seed(ctx) -> None:
    Demo(ctx).run()


class Demo:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.password_hash = ctx.people["clerk"].password_hash
        self.councils = ctx.councils
        self.constituency = dict(
            db.session.execute(
                sa.select(Membership.user_id, Membership.constituency).where(
                    Membership.council_id == self.councils["health-england"].id
                )
            ).all()
        )
        self.made_forwards: list[int] = []

    # ------------------------------------------------------------ people

    def clerk(self, council: Council) -> User:
        rows = [m for m in clerks_of(council) if m.role == "clerk"]
        if rows:
            return db.session.get(User, rows[0].user_id)
        user = User(
            email=f"clerk.{council.slug}@example.org",
            name=f"Clerk of {council.place.name}",
            password_hash=self.password_hash,
            email_confirmed_at=utcnow(),
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
                decided_at=utcnow(),
            )
        )
        db.session.commit()
        return user

    def members(self, council: Council) -> list[User]:
        """Active members of the council (residents are added to reach MIN_MEMBERS)."""
        present = set(
            db.session.scalars(
                sa.select(Membership.user_id).where(
                    Membership.council_id == council.id, Membership.status == "active"
                )
            )
        )
        if len(present) < MIN_MEMBERS:
            pool = [u for u in self.ctx.residents if u.id not in present]
            start = (council.id * 7) % max(1, len(pool))
            chosen = (pool[start:] + pool[:start])[: MIN_MEMBERS - len(present)]
            db.session.execute(
                sa.insert(Membership),
                [
                    {
                        "user_id": u.id,
                        "council_id": council.id,
                        "constituency": self.constituency.get(u.id, "citizen"),
                        "status": "active",
                        "role": "member",
                        "requested_at": utcnow(),
                        "decided_at": utcnow(),
                    }
                    for u in chosen
                ],
            )
            db.session.commit()
            present |= {u.id for u in chosen}
        users = db.session.scalars(sa.select(User).where(User.id.in_(present))).all()
        return sorted(users, key=lambda u: u.id)

    def voters(self, members: list[User]) -> list[User]:
        """The members who vote in the demo (all of a small council; 40 of a large one, as
        at the benchmark scales a council has thousands of members)."""
        return members if len(members) <= 40 else self.rng.sample(members, 40)

    # ------------------------------------------------------------ decisions

    def adopt(self, council: Council, title: str, body: str, themes, reason: str = "") -> object:
        """An adopted proposal of ``council``, supported by some members and decided by a vote."""
        clerk = self.clerk(council)
        members = self.members(council)
        proposal = proposals.create_proposal(clerk, council, title=title, body=body, themes=themes)
        for user in self.rng.sample(members, min(len(members), self.rng.randint(3, 8))):
            if user.id != clerk.id:
                discussion.support(user, proposal)
        motion = votes.create_motion(
            clerk,
            council,
            title=f"Adopt: {title}"[:200],
            method="binary",
            origin=f"proposal:{proposal.id}",
        )
        votes.open_voting(clerk, motion, None)
        for user in self.voters(members):
            if self.rng.random() < 0.75:
                choice = "yes" if self.rng.random() < 0.8 else self.rng.choice(["no", "abstain"])
                cast_ballot(user, motion, choice=choice)
        close_voting(clerk, motion)
        proposals.set_status(clerk, proposal, "on_agenda", reason="On the agenda of the round.")
        proposals.set_status(
            clerk, proposal, "adopted", reason=reason or "Adopted at the council's round."
        )
        db.session.refresh(proposal)
        return proposal

    def forward(self, proposal, targets: list[str], topic: str) -> list[Forward]:
        made = services.forward_proposal(
            self.clerk(proposal.council),
            proposal,
            targets=targets,
            subsidiarity=SUBSIDIARITY[topic],
        )
        self.made_forwards += [f.id for f in made]
        return made

    # ------------------------------------------------------------ the story

    def run(self) -> None:
        local_forwards = self.local_round()
        national = self.regional_round()
        self.answers()
        self.backdate(local_forwards, national)
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

    def local_round(self) -> list[int]:
        """Local health councils adopt and forward, spread over the regions."""
        locals_ = [(slug, region) for slug, _name, region, _pop in LOCALS]
        made = []
        for t, (topic, count) in enumerate(SPREAD.items()):
            themes, variants = TOPICS[topic]
            chosen = [locals_[(t * 5 + i * 3) % len(locals_)] for i in range(count)]
            if topic == "gp-booking" and ("manchester", "north-west") not in chosen:
                chosen[0] = ("manchester", "north-west")
            for i, (place, region) in enumerate(dict.fromkeys(chosen)):
                council = self.councils[f"health-{place}"]
                title, body = variants[i % len(variants)]
                proposal = self.adopt(
                    council, title, body.replace("{place}", council.place.name), list(themes)
                )
                targets = [f"health-{region}"]
                if i % 3 == 0 or place == "manchester":
                    targets.append(f"forum-{place}")
                made += [f.id for f in self.forward(proposal, targets, topic)]
        return made

    def regional_round(self) -> list[int]:
        """Each regional council takes up one proposal per cluster, adopts it, forwards it."""
        national = self.councils["health-england"]
        made = []
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
                taken = services.take_up(clerk, first)
                self.members(regional)
                adopted = self._adopt_existing(regional, taken, clerk)
                if topic is not None and adopted is not None:
                    made += [f.id for f in self.forward(adopted, [national.slug], topic)]
        return made

    def _adopt_existing(self, council: Council, proposal, clerk):
        members = self.members(council)
        for user in self.rng.sample(members, min(len(members), self.rng.randint(4, 10))):
            if user.id != clerk.id:
                discussion.support(user, proposal)
        motion = votes.create_motion(
            clerk,
            council,
            title=f"Adopt and forward: {proposal.title}"[:200],
            method="binary",
            origin=f"proposal:{proposal.id}",
        )
        votes.open_voting(clerk, motion, None)
        for user in self.voters(members):
            if self.rng.random() < 0.7:
                cast_ballot(user, motion, choice="yes" if self.rng.random() < 0.75 else "no")
        close_voting(clerk, motion)
        proposals.set_status(clerk, proposal, "on_agenda", reason="On the regional round's agenda.")
        proposals.set_status(clerk, proposal, "adopted", reason=REGIONAL_NOTE)
        db.session.refresh(proposal)
        return proposal

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

    def backdate(self, local_ids: list[int], national_ids: list[int]) -> None:
        """Spread the demo's forwards over the last months (the services stamped them now), so
        the inbox shows how long each cluster has waited."""
        now = utcnow()
        for ids, days in ((local_ids, (60, 120)), (national_ids, (8, 55))):
            for fid in ids:
                when = now - timedelta(days=self.rng.randint(*days), hours=self.rng.randint(0, 23))
                db.session.execute(
                    sa.update(Forward).where(Forward.id == fid).values(forwarded_at=when)
                )
                # ...and the proposal it carries was written and adopted before that.
                pid = db.session.scalar(sa.select(Forward.proposal_id).where(Forward.id == fid))
                db.session.execute(
                    sa.update(Proposal)
                    .where(Proposal.id == pid, Proposal.status_changed_at > when)
                    .values(
                        created_at=when - timedelta(days=40),
                        updated_at=when - timedelta(days=40),
                        status_changed_at=when - timedelta(days=2),
                    )
                )
        db.session.execute(
            sa.update(Answer).values(answered_at=now - timedelta(days=self.rng.randint(2, 6)))
        )
        touched = set(
            db.session.scalars(
                sa.select(Forward.cluster_id).where(Forward.id.in_(local_ids + national_ids))
            )
        )
        for cluster in db.session.scalars(sa.select(Cluster).where(Cluster.id.in_(touched))):
            _refresh_dates(cluster)
        db.session.commit()

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
        now = utcnow()
        for n, plan in enumerate(CONSULTATIONS):
            consultation = consultations.publish_consultation(
                minister,
                national,
                title=plan["title"],
                body=plan["body"],
                closes_at=now + timedelta(days=max(plan["days"], 2)),
            )
            take = answering[: 5 + n] if n == 0 else answering[n : n + 5]
            for i, slug in enumerate(take):
                self.position(consultation, self.councils[slug], i)
            if plan["days"] < 0:
                db.session.execute(
                    sa.update(Consultation)
                    .where(Consultation.id == consultation.id)
                    .values(
                        published_at=now + timedelta(days=plan["days"] - 35),
                        closes_at=now + timedelta(days=plan["days"]),
                    )
                )
                db.session.commit()
                db.session.refresh(consultation)
            if plan.get("adopt"):
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
            motion = votes.create_motion(
                clerk,
                council,
                title=f"Position on: {consultation.title}"[:200],
                method="binary",
                origin=f"consultation:{consultation.id}",
            )
            votes.open_voting(clerk, motion, None)
            for user in self.voters(members):
                if self.rng.random() < 0.6:
                    cast_ballot(user, motion, choice="yes" if self.rng.random() < 0.7 else "no")
            close_voting(clerk, motion)
        consultations.submit_position(
            clerk,
            consultation,
            council,
            stance=stance,
            text=text,
            motion_id=motion.id if motion else None,
        )
