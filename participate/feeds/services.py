"""What each feed holds: plain entries read by one bounded query each, newest first.

An entry names its page by endpoint and arguments, not by URL, so this module needs no request;
the template makes the absolute links. Only public rows: proposals a moderator hid, and agenda
items about them, are left out; a petition's feed exists only while the petition is public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from participate.accounts.models import User
from participate.core.cascade import ANSWER_LABELS
from participate.councils.models import Council
from participate.errors import NotFound
from participate.extensions import db
from participate.petitions.models import PetitionMilestone
from participate.petitions.reading import DECISION_LABELS, PUBLIC_STATUSES, petition_by_id
from participate.proposals.models import Proposal
from participate.rounds.models import PHASE_LABELS, AgendaItem, Round
from participate.rounds.outcomes import DECISION_LABELS as ITEM_DECISION_LABELS
from participate.upward.models import Answer, Cluster

LIMIT = 50


@dataclass
class Entry:
    key: str  # unique within the feed; with the feed's id it makes the entry's id
    title: str
    endpoint: str
    args: dict
    updated: datetime
    published: datetime | None = None
    author: str | None = None
    summary: str = ""  # plain text
    content_html: str = ""  # sanitised HTML (stored from participate.markup)
    anchor: str = ""


@dataclass
class Feed:
    key: str  # stable part of the feed's id
    title: str
    subtitle: str
    endpoint: str  # the page the feed mirrors (rel="alternate")
    args: dict
    self_endpoint: str
    author: str
    since: datetime  # the feed's updated when it has no entries
    entries: list[Entry] = field(default_factory=list)

    @property
    def updated(self) -> datetime:
        return max((e.updated for e in self.entries), default=self.since)


def _council_feed(council: Council, what: str, title: str, subtitle: str, endpoint: str) -> Feed:
    return Feed(
        key=f"councils/{council.slug}/{what}",
        title=f"{council.name}: {title}",
        subtitle=subtitle,
        endpoint=endpoint,
        args={"slug": council.slug},
        self_endpoint=f"feeds.council_{what}",
        author=council.name,
        since=council.created_at,
    )


def proposals_feed(council: Council) -> Feed:
    """The council's newest proposals that are not hidden, with their text."""
    feed = _council_feed(
        council,
        "proposals",
        "proposals",
        "New proposals put to the council.",
        "proposals.council_proposals",
    )
    rows = db.session.execute(
        sa.select(
            Proposal.id,
            Proposal.title,
            Proposal.body_html,
            Proposal.created_at,
            Proposal.updated_at,
            User.name,
        )
        .join(User, User.id == Proposal.author_id)
        .where(Proposal.council_id == council.id, Proposal.hidden_at.is_(None))
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        .limit(LIMIT)
    )
    feed.entries = [
        Entry(
            key=f"proposal/{r.id}",
            title=r.title,
            endpoint="proposals.proposal_page",
            args={"proposal_id": r.id},
            updated=max(r.updated_at or r.created_at, r.created_at),
            published=r.created_at,
            author=r.name,
            content_html=r.body_html,
        )
        for r in rows
    ]
    return feed


def rounds_feed(council: Council) -> Feed:
    """The council's rounds, the most recently changed first (a phase change updates a round)."""
    feed = _council_feed(
        council,
        "rounds",
        "deliberation rounds",
        "Deliberation rounds of the council and the phase each is in.",
        "rounds.council_rounds",
    )
    rows = db.session.execute(
        sa.select(
            Round.id,
            Round.title,
            Round.phase,
            Round.purpose_html,
            Round.created_at,
            Round.updated_at,
            Round.phase_started_at,
        )
        .where(Round.council_id == council.id)
        .order_by(Round.updated_at.desc(), Round.id.desc())
        .limit(LIMIT)
    )
    feed.entries = [
        Entry(
            key=f"round/{r.id}",
            title=f"{r.title} ({PHASE_LABELS.get(r.phase, r.phase)})",
            endpoint="rounds.round_page",
            args={"round_id": r.id},
            updated=max(r.updated_at, r.phase_started_at, r.created_at),
            published=r.created_at,
            summary=f"Phase: {PHASE_LABELS.get(r.phase, r.phase)}.",
            content_html=r.purpose_html,
        )
        for r in rows
    ]
    return feed


def decisions_feed(council: Council) -> Feed:
    """The decisions the council recorded on its rounds' agenda items, newest first, with the
    reasons; items about a hidden proposal are left out."""
    feed = _council_feed(
        council,
        "decisions",
        "decisions",
        "What the council decided on each agenda item of its rounds, and why.",
        "rounds.council_rounds",
    )
    rows = db.session.execute(
        sa.select(
            AgendaItem.id,
            AgendaItem.round_id,
            AgendaItem.title,
            AgendaItem.decision,
            AgendaItem.reasons,
            AgendaItem.minority_report,
            AgendaItem.decided_at,
            Round.title.label("round_title"),
        )
        .join(Round, Round.id == AgendaItem.round_id)
        .outerjoin(Proposal, Proposal.id == AgendaItem.proposal_id)
        .where(
            Round.council_id == council.id,
            AgendaItem.decided_at.is_not(None),
            Proposal.hidden_at.is_(None),  # NULL too when the item is not a proposal
        )
        .order_by(AgendaItem.decided_at.desc(), AgendaItem.id.desc())
        .limit(LIMIT)
    )
    entries = []
    for r in rows:
        summary = f"{ITEM_DECISION_LABELS.get(r.decision, r.decision)} in {r.round_title}."
        if r.reasons:
            summary += f" Reasons: {r.reasons}"
        if r.minority_report:
            summary += f" Minority report: {r.minority_report}"
        entries.append(
            Entry(
                key=f"decision/{r.id}",
                title=f"{ITEM_DECISION_LABELS.get(r.decision, r.decision)}: {r.title}",
                endpoint="rounds.round_page",
                args={"round_id": r.round_id},
                anchor=f"item-{r.id}",
                updated=r.decided_at,
                published=r.decided_at,
                summary=summary,
            )
        )
    feed.entries = entries
    return feed


def petition_feed(petition_id: int) -> Feed:
    """A public petition's milestones: published, each number of signatures reached (the
    threshold among them), the council's answer, closed. Drafts and petitions in moderation
    have no feed (404), as they have no public page."""
    petition = petition_by_id(petition_id)
    if petition.status not in PUBLIC_STATUSES:
        raise NotFound("There is no such petition. See the list of petitions.")
    feed = Feed(
        key=f"petitions/{petition.id}",
        title=f"Petition: {petition.title}",
        subtitle=f"Milestones of a petition to {petition.council.name}.",
        endpoint="petitions.detail",
        args={"petition_id": petition.id},
        self_endpoint="feeds.petition_milestones",
        author=petition.council.name,
        since=petition.opened_at or petition.updated_at,
    )
    page = {"endpoint": "petitions.detail", "args": {"petition_id": petition.id}}
    entries = []
    if petition.status == "rejected" and petition.moderated_at:
        entries.append(
            Entry(
                key="rejected",
                title="Not published: it does not meet the petition standards",
                updated=petition.moderated_at,
                summary=petition.rejection_reason,
                **page,
            )
        )
    if petition.opened_at:
        entries.append(
            Entry(
                key="opened",
                title="Open for signatures",
                updated=petition.opened_at,
                published=petition.opened_at,
                content_html=petition.change_html,
                **page,
            )
        )
    milestones = db.session.execute(
        sa.select(
            PetitionMilestone.milestone,
            PetitionMilestone.is_threshold,
            PetitionMilestone.reached_at,
        )
        .where(PetitionMilestone.petition_id == petition.id)
        .order_by(PetitionMilestone.reached_at.desc(), PetitionMilestone.milestone.desc())
        .limit(LIMIT)
    )
    for m in milestones:
        title = f"{m.milestone:,} signatures"
        if m.is_threshold:
            title += ": the threshold is reached and the council must answer"
        entries.append(
            Entry(
                key=f"milestone/{m.milestone}",
                title=title,
                updated=m.reached_at,
                published=m.reached_at,
                **page,
            )
        )
    if petition.responded_at:
        decision = DECISION_LABELS.get(petition.response_decision or "", "Answered")
        entries.append(
            Entry(
                key="answered",
                title=f"The council answered: {decision}",
                updated=petition.responded_at,
                published=petition.responded_at,
                content_html=petition.response_html,
                **page,
            )
        )
    if petition.status == "closed_unsuccessful" and petition.closed_at:
        entries.append(
            Entry(
                key="closed",
                title="Closed without reaching the threshold",
                updated=petition.closed_at,
                published=petition.closed_at,
                **page,
            )
        )
    entries.sort(key=lambda e: e.updated, reverse=True)
    feed.entries = entries[:LIMIT]
    return feed


def answers_feed(council: Council) -> Feed:
    """The council's answers to clusters of proposals forwarded to it, newest first."""
    referred = aliased(Council)
    feed = _council_feed(
        council,
        "answers",
        "answers to forwarded proposals",
        "How the council answered the proposals forwarded to it from the councils below.",
        "upward.inbox",
    )
    rows = db.session.execute(
        sa.select(
            Answer.id,
            Answer.cluster_id,
            Answer.kind,
            Answer.title,
            Answer.reasons_html,
            Answer.reasons,
            Answer.forwards,
            Answer.answered_at,
            Cluster.title.label("cluster_title"),
            User.name.label("by"),
            referred.name.label("referred_to"),
        )
        .join(Cluster, Cluster.id == Answer.cluster_id)
        .join(User, User.id == Answer.answered_by_id)
        .outerjoin(referred, referred.id == Answer.referred_council_id)
        .where(Answer.council_id == council.id)
        .order_by(Answer.answered_at.desc(), Answer.id.desc())
        .limit(LIMIT)
    )
    entries = []
    for r in rows:
        label = ANSWER_LABELS.get(r.kind, r.kind)
        summary = f"{label}, for {r.forwards} forwarded proposal{'s' if r.forwards != 1 else ''}."
        if r.referred_to:
            summary += f" Referred to {r.referred_to}."
        entries.append(
            Entry(
                key=f"answer/{r.id}",
                title=f"{label}: {r.title or r.cluster_title or 'forwarded proposals'}",
                endpoint="upward.cluster_page",
                args={"slug": council.slug, "cluster_id": r.cluster_id},
                updated=r.answered_at,
                published=r.answered_at,
                author=r.by,
                summary=summary,
                content_html=r.reasons_html,
            )
        )
    feed.entries = entries
    return feed
