"""The world of the authorisation matrix (test_authorisation_matrix.py): one person per role
and one object of each kind the URL map's converters name. No tests here.

Roles, all about health-manchester (the local council most objects belong to) unless said:

- ``visitor``        not signed in;
- ``account``        signed in, a member of nothing;
- ``other_member``   an active member of health-salford only;
- ``member``         an active member of health-manchester; the author of the proposal, its
                     comment and the hidden comment;
- ``other_clerk``    the clerk of health-salford;
- ``clerk``          the clerk of health-manchester (it runs the round, the motion, the petition);
- ``minister``       the minister of health-england (the national council): its inbox holds
                     the clusters, it publishes the consultation;
- ``admin``          a platform operator with no membership.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.factories.upward import STATEMENT, adopt, fast_user

ROLES = (
    "visitor",
    "account",
    "other_member",
    "member",
    "other_clerk",
    "clerk",
    "minister",
    "admin",
)


@dataclass
class World:
    councils: dict[str, int]  # slug -> id
    emails: dict[str, str]  # role -> e-mail (none for the visitor)
    ids: dict[str, Any] = field(default_factory=dict)  # URL parameter -> value
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token


def _schedule():
    from participate.util import utcnow

    now = utcnow().replace(microsecond=0)
    phases = ("briefing", "discussion", "refinement", "voting", "outcome")
    return {p: now + timedelta(days=1 + i) for i, p in enumerate(phases)}


def build(make) -> World:
    """The committed world; ``make`` is the conftest Factory."""
    from participate.accounts.services import create_token, tokens_of
    from participate.councils.services import new_constitution_version
    from participate.extensions import db
    from participate.petitions import drafting, moderating
    from participate.petitions.models import Signature
    from participate.petitions.signing import sign_petition
    from participate.petitions.sponsoring import invite_sponsors, sponsor_petition
    from participate.proposals import amendments, discussion, moderation
    from participate.proposals import services as proposals
    from participate.rounds import briefing
    from participate.rounds import services as rounds
    from participate.upward.consultations import publish_consultation, submit_position
    from participate.upward.services import forward_proposal
    from participate.util import utcnow
    from participate.votes import services as votes

    councils = make.structure()
    mcr, sal, eng = (
        councils["health-manchester"],
        councils["health-salford"],
        councils["health-england"],
    )
    people = {role: fast_user(f"{role.replace('_', '.')}@example.org") for role in ROLES[1:]}
    people["visitor"] = None
    people["admin"].is_admin = True
    db.session.commit()
    salford_membership = make.member(people["other_member"], sal, "citizen")
    make.member(people["member"], mcr, "citizen")
    make.member(people["other_clerk"], sal, "employee", role="clerk")
    make.member(people["clerk"], mcr, "employee", role="clerk")
    make.member(people["minister"], eng, "elected", role="minister")
    # Enough voters in three constituencies for motions and rounds; not among the roles.
    crowd = make.members(mcr, {"citizen": 2, "employee": 2, "leader": 1})
    make.members(eng, {"citizen": 1})
    pending = make.member(fast_user("applicant@example.org"), mcr, "citizen", status="pending")
    w = World(
        councils={slug: c.id for slug, c in councils.items()},
        emails={role: u.email for role, u in people.items() if u is not None},
    )
    member, clerk, minister = people["member"], people["clerk"], people["minister"]

    # Proposals and their discussion (health-manchester).
    proposal = proposals.create_proposal(
        member, mcr, title="Open the walk-in centre on Saturdays", body="The case, with figures."
    )
    comment = discussion.add_comment(member, proposal, body="Saturdays matter.", stance="for")
    hidden = discussion.add_comment(member, proposal, body="A rude remark.", stance="against")
    hiding = moderation.hide(clerk, proposal, comment=hidden, reason="Breaks the standards.")
    amendment = amendments.propose_amendment(
        crowd[0], proposal, body="Open on Saturdays and Sundays.", reason="Weekends both."
    )

    # A round in briefing with one agenda item, a question, a link and a file.
    on_agenda = proposals.create_proposal(
        crowd[1], mcr, title="Text reminders for appointments", body="Fewer missed visits."
    )
    round_ = rounds.create_round(
        clerk,
        mcr,
        title="Winter pressures",
        purpose="Decide how the council answers this winter.",
        agenda=[("proposal", on_agenda.id)],
        schedule=_schedule(),
    )
    question = briefing.ask_question(member, round_, body="What is the evidence?")
    link = briefing.add_link(clerk, round_, title="Report", url="https://example.org/report")
    attachment = briefing.add_attachment(
        clerk,
        round_,
        filename="notes.pdf",
        data=b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
    )

    # A standalone motion, open for voting.
    motion = votes.create_motion(clerk, mcr, title="Adopt the winter plan", method="binary")
    votes.open_voting(clerk, motion, None)
    draft_motion = votes.create_motion(clerk, mcr, title="A draft motion", method="binary")
    drafted = drafting.start_petition(
        people["account"],
        mcr,
        kind="early_scrutiny",
        title="Inspect the patient transport service",
        change_text="Ask for an early inspection of the patient transport service.",
        reason_text="Patients miss appointments when the transport is late.",
    )

    # Petitions by a separate author, under small rules (one sponsor, one signature):
    # one open, one waiting for moderation, one at its threshold (signed once), one
    # collecting sponsors (its private link).
    new_constitution_version(
        None,
        mcr,
        settings={"petition_minimum": 1, "petition_rate": 0, "petition_sponsors": 1},
        reason="small rules for the matrix",
    )
    author = fast_user("petition.author@example.org")
    sponsor = fast_user("petition.sponsor@example.org")
    signer = fast_user("petition.signer@example.org")

    def petition(title: str, until: str):
        started = drafting.start_petition(
            author,
            mcr,
            kind="early_scrutiny",
            title=title,
            change_text=f"Ask for an early inspection: {title.lower()}.",
            reason_text="People waited over four hours on many Saturdays this year.",
        )
        invite_sponsors(author, started)
        if until != "collecting_sponsors":
            sponsor_petition(sponsor, started)
        if until in ("open", "threshold_reached"):
            moderating.publish(clerk, started)
        if until == "threshold_reached":
            sign_petition(signer, started.id, declaration="live", place="manchester")
        db.session.refresh(started)
        assert started.status == until, started.status
        return started

    opened = petition("Inspect the out-of-hours GP service", "open")
    waiting = petition("Inspect the discharge lounge", "in_moderation")
    reached = petition("Inspect the ambulance handovers", "threshold_reached")
    sponsoring = petition("Inspect the hospital kitchens", "collecting_sponsors")
    signature = db.session.scalar(sa.select(Signature).where(Signature.petition_id == reached.id))

    # Upward: two adopted proposals forwarded to the national council, two clusters there.
    gp = adopt(clerk, mcr, "Book GP appointments ahead", "End the 8am queue.", themes=["gp"])
    parking = adopt(clerk, mcr, "Free parking for carers", "Carers pay.", themes=["parking"])
    forward = forward_proposal(clerk, gp, targets=[eng.slug], subsidiarity=STATEMENT)[0]
    other = forward_proposal(clerk, parking, targets=[eng.slug], subsidiarity=STATEMENT)[0]

    # A consultation from the minister, cascaded to every health council below.
    consultation = publish_consultation(
        minister,
        eng,
        title="A national standard for GP booking",
        body="Every practice offers booking days ahead.",
        closes_at=utcnow().replace(tzinfo=None) + timedelta(days=30),
    )
    submit_position(people["other_clerk"], consultation, sal, stance="support", text="Yes.")

    for role, user in people.items():
        if user is not None:
            w.tokens[role] = create_token(user, name="matrix")
    w.ids = {
        "slug": mcr.slug,
        "national": eng.slug,
        "proposal_id": proposal.id,
        "comment_id": comment.id,
        "hiding_id": hiding.id,
        "amendment_id": amendment.id,
        "round_id": round_.id,
        "item_id": round_.items[0].id,
        "question_id": question.id,
        "link_id": link.id,
        "attachment_id": attachment.id,
        "filename": attachment.filename,
        "motion_id": motion.id,
        "petition_id": opened.id,
        "waiting_petition_id": waiting.id,
        "draft_petition_id": drafted.id,
        "draft_motion_id": draft_motion.id,
        "reached_petition_id": reached.id,
        "signature_id": signature.id,
        "sponsor_token": sponsoring.sponsor_token,
        "forward_id": forward.id,
        "cluster_id": forward.cluster_id,
        "other_cluster_id": other.cluster_id,
        "consultation_id": consultation.id,
        "user_id": member.id,
        "number": 1,
        "membership_id": pending.id,
        "salford_membership_id": salford_membership.id,
        "member_token_id": tokens_of(member)[0].id,
        "user_ids": {role: u.id for role, u in people.items() if u is not None},
    }
    return w
