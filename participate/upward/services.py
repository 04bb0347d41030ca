"""Forwarding adopted proposals to parent councils, and taking a forwarded proposal up.

A forwarded proposal is a snapshot (text, themes, the sending council, the deciding
motion's tally by constituency, supports and members by constituency, a link back)
sent to one council above it that the forum graph names (a direct parent or further
up); it is unique per (proposal, target) in the database. A council that takes a forwarded proposal up gets a linked
proposal of its own, which goes through its own round; once adopted it can be
forwarded further up, and the chain of councils it passed through travels with it.

Answers live in `participate.upward.answers`, consultations in
`participate.upward.consultations`, the inbox in `participate.upward.clusters`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import cascade, forum_graph
from participate.core.forum_graph import ForumGraphError
from participate.councils.models import Council, ForumLink, Membership, Place, Service
from participate.councils.services import members_by_constituency, require_clerk
from participate.errors import Conflict, DomainError, Forbidden, NotFound
from participate.extensions import db
from participate.notifications.services import notify
from participate.proposals import services as proposals
from participate.proposals import versions
from participate.proposals.models import Proposal
from participate.rounds.models import AgendaItem
from participate.upward import clusters
from participate.upward.models import Forward
from participate.util import utcnow
from participate.votes.models import Motion

# ---------------------------------------------------------------- the graph around a council


def _node(council: Council) -> tuple[str, str, str | None]:
    return (council.slug, council.level, council.service.slug if council.service else None)


def _graph_above(council: Council):
    """The councils above ``council`` by slug, and the forum graph of it and them (one
    recursive query walks up the links, so a large network is never loaded whole)."""
    up = (
        sa.select(ForumLink.to_council_id.label("id"))
        .where(ForumLink.from_council_id == council.id)
        .cte("up", recursive=True)
    )
    up = up.union(sa.select(ForumLink.to_council_id).join(up, ForumLink.from_council_id == up.c.id))
    above = {
        c.slug: c
        for c in db.session.scalars(sa.select(Council).where(Council.id.in_(sa.select(up.c.id))))
    }
    ids = [council.id, *(c.id for c in above.values())]
    by_id = {c.id: c for c in [council, *above.values()]}
    links = db.session.execute(
        sa.select(ForumLink.from_council_id, ForumLink.to_council_id, ForumLink.kind).where(
            ForumLink.from_council_id.in_(ids), ForumLink.to_council_id.in_(ids)
        )
    ).all()
    try:
        graph = forum_graph.build_graph(
            [_node(c) for c in by_id.values()],
            [(by_id[a].slug, by_id[b].slug, kind) for a, b, kind in links],
        )
    except ForumGraphError as error:  # the stored network breaks a rule: say so, write nothing
        raise DomainError(str(error), code="bad_network") from error
    return above, graph


# ---------------------------------------------------------------- reading


def get_forward(forward_id: int) -> Forward:
    forward = db.session.get(Forward, forward_id) if isinstance(forward_id, int) else None
    if forward is None:
        raise NotFound(f"There is no forwarded proposal {forward_id}.")
    return forward


def forwards_of(proposal: Proposal) -> list[Forward]:
    """Where this proposal went: its own forwards and those of proposals taken up from it,
    further up the chain, in order."""
    return list(
        db.session.scalars(
            sa.select(Forward)
            .where(
                sa.or_(Forward.proposal_id == proposal.id, Forward.root_proposal_id == proposal.id)
            )
            .order_by(Forward.forwarded_at, Forward.id)
        )
    )


def origin_of(proposal: Proposal) -> Forward | None:
    """The forwarded proposal this proposal was taken up from, if any."""
    return db.session.scalar(sa.select(Forward).where(Forward.taken_up_proposal_id == proposal.id))


def path_councils(forward: Forward) -> list[Council]:
    """The councils the proposal passed through, from the first sending council to here."""
    ids = list(forward.path or [forward.from_council_id, forward.to_council_id])
    loaded = {c.id: c for c in db.session.scalars(sa.select(Council).where(Council.id.in_(ids)))}
    return [loaded[i] for i in ids if i in loaded]


def _round_motion(proposal: Proposal) -> Motion | None:
    """The closed motion of the round agenda item that adopted ``proposal``, if any (an item
    merged into another was decided by that one's motion)."""
    item = db.session.scalar(
        sa.select(AgendaItem)
        .where(AgendaItem.proposal_id == proposal.id, AgendaItem.decision == "adopted")
        .order_by(AgendaItem.decided_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )
    seen = set()
    while (
        item is not None and item.motion_id is None and item.merged_into_id and item.id not in seen
    ):
        seen.add(item.id)
        item = db.session.get(AgendaItem, item.merged_into_id)
    if item is None or item.motion_id is None:
        return None
    motion = db.session.get(Motion, item.motion_id)
    if motion is None or motion.status != "closed":
        return None
    return motion


def deciding_motion(proposal: Proposal) -> Motion | None:
    """The closed motion that decided the proposal: the rounds feature's agenda item motion
    when there is one, else a standalone motion of its council whose origin names it."""
    motion = _round_motion(proposal)
    if motion is not None:
        return motion
    return db.session.scalar(
        sa.select(Motion)
        .where(
            Motion.council_id == proposal.council_id,
            Motion.status == "closed",
            Motion.origin == f"proposal:{proposal.id}",
        )
        .order_by(Motion.closed_at.desc())
        .limit(1)
    )


def closed_motions(council: Council, limit: int = 50) -> list[Motion]:
    """The council's closed motions, newest first (a clerk may name the deciding one)."""
    return list(
        db.session.scalars(
            sa.select(Motion)
            .where(Motion.council_id == council.id, Motion.status == "closed")
            .order_by(Motion.closed_at.desc(), Motion.id.desc())
            .limit(limit)
        )
    )


def motion_of_council(council: Council, motion_id) -> Motion | None:
    """A closed motion of ``council`` named by a clerk, or None when none is named."""
    if motion_id in (None, "", 0, "0"):
        return None
    try:
        motion_id = int(motion_id)
    except (TypeError, ValueError):
        raise DomainError("Choose the deciding motion from the list.", field="motion") from None
    motion = db.session.get(Motion, motion_id)
    if motion is None or motion.council_id != council.id:
        raise DomainError(
            f"Motion {motion_id} is not a motion of {council.name}: choose one of its own "
            "closed motions.",
            code="bad_motion",
            field="motion",
        )
    if motion.status != "closed" or motion.result is None:
        raise DomainError(
            f"Motion {motion_id} has not closed yet: its tally is published when voting closes.",
            code="motion_open",
            field="motion",
        )
    return motion


@dataclass
class ForwardOption:
    council: Council
    kind: str
    existing: Forward | None
    skipped: list[Council]

    @property
    def direct(self) -> bool:
        return not self.skipped


def forward_options(proposal: Proposal) -> list[ForwardOption]:
    """The councils above this proposal's council it may go to (direct parents first, then
    further up, with the councils each one skips), and where it already went."""
    done = {
        f.to_council_id: f
        for f in db.session.scalars(sa.select(Forward).where(Forward.proposal_id == proposal.id))
    }
    above, graph = _graph_above(proposal.council)
    return [
        ForwardOption(
            above[t.slug], t.kind, done.get(above[t.slug].id), [above[s] for s in t.skipped]
        )
        for t in cascade.forward_choices(graph, proposal.council.slug)
    ]


# ---------------------------------------------------------------- forwarding


def _region_id(council: Council) -> int | None:
    place = council.place
    if place.level == "region":
        return place.id
    if place.level == "local":
        return place.parent_id
    return None


def forward_proposal(
    actor,
    proposal: Proposal,
    *,
    targets: list[str],
    subsidiarity: str,
    motion_id=None,
    commit: bool = True,
) -> list[Forward]:
    """A clerk forwards an adopted proposal to some of the councils above its council
    (direct parents or further up: DESIGN §5 names the regional and national council of
    the service and the place forum).

    One snapshot per target, each placed in that inbox's clusters at once; the target
    councils' clerks are told. Refused, with nothing written: a proposal not adopted,
    a target that is not above the council, a target it already went to, no subsidiarity
    statement. ``motion_id`` names the deciding motion when it cannot be found.
    """
    council = proposal.council
    require_clerk(actor, council)
    if proposal.hidden_at is not None:
        raise DomainError(
            "This proposal is hidden by the clerk: it cannot be forwarded while hidden.",
            code="hidden",
        )
    if proposal.status != "adopted":
        raise DomainError(
            f"Only an adopted proposal can be forwarded; this one is {proposal.status.replace('_', ' ')}. "
            "Put it on a round's agenda and record the council's decision first.",
            code="not_adopted",
        )
    try:
        statement = cascade.check_subsidiarity(subsidiarity)
    except cascade.FlowError as error:
        raise DomainError(error.message, code=error.code, field=error.field) from None
    above, graph = _graph_above(council)
    options = {
        t.slug: (above[t.slug], t.kind) for t in cascade.forward_choices(graph, council.slug)
    }
    try:
        chosen = cascade.check_targets(
            graph,
            council.slug,
            [t.strip() for t in targets if t],
            names={council.slug: council.name, **{s: c.name for s, c in above.items()}},
        )
    except cascade.FlowError as error:
        raise DomainError(error.message, code=error.code, field=error.field) from None
    already = {
        c.slug
        for c in db.session.scalars(
            sa.select(Council)
            .join(Forward, Forward.to_council_id == Council.id)
            .where(Forward.proposal_id == proposal.id, Council.slug.in_(chosen))
        )
    }
    if already:
        raise Conflict(
            f"This proposal was already forwarded to {', '.join(sorted(already))}: a proposal "
            "goes to each parent once. See it in that council's inbox.",
            code="already_forwarded",
        )
    motion = motion_of_council(council, motion_id) if motion_id else deciding_motion(proposal)
    origin = origin_of(proposal)
    supports = proposals.supports_by_constituency(proposal.id)
    members = members_by_constituency(council.id)
    themes = versions.themes_of([proposal.id]).get(proposal.id, [])
    tally = cascade.tally_summary(motion.result) if motion is not None else None
    now = utcnow()
    made: list[Forward] = []
    try:
        # Inbox locks in council-id order, so two forwards to the same parents never deadlock.
        for target, kind in sorted((options[s] for s in chosen), key=lambda ck: ck[0].id):
            clusters.lock_inbox(target.id)
            forward = Forward(
                proposal_id=proposal.id,
                root_proposal_id=origin.root_proposal_id if origin else proposal.id,
                origin_id=origin.id if origin else None,
                path=[*(origin.path if origin else [council.id]), target.id],
                from_council_id=council.id,
                to_council_id=target.id,
                link_kind=kind,
                origin_council_id=origin.origin_council_id if origin else council.id,
                origin_place_id=origin.origin_place_id if origin else council.place_id,
                region_id=origin.region_id if origin else _region_id(council),
                title=proposal.title,
                body=proposal.body,
                body_html=proposal.body_html,
                themes=themes,
                subsidiarity=statement,
                motion_id=motion.id if motion is not None else None,
                tally=tally,
                supports=supports,
                supporters=sum(supports.values()),
                members=members,
                vector={},
                forwarded_by_id=actor.id,
                forwarded_at=now,
            )
            db.session.add(forward)
            db.session.flush()
            placement = clusters.place(forward)
            record_event(
                "upward.forwarded",
                actor=actor,
                council=council,
                subject=forward,
                data={
                    "proposal": proposal.id,
                    "title": proposal.title,
                    "to": target.slug,
                    "link": kind,
                    "cluster": placement.cluster,
                    "merged_clusters": placement.absorbed,
                    "motion": forward.motion_id,
                    "subsidiarity": statement,
                },
            )
            notify(
                [m.user_id for m in _clerks(target.id)],
                "upward_forwarded",
                f"{council.name} forwarded “{proposal.title}” to your inbox.",
                f"/councils/{target.slug}/inbox/clusters/{placement.cluster}",
            )
            made.append(forward)
        if commit:
            db.session.commit()
    except sa.exc.IntegrityError as exc:  # at a flush or at the commit: the same race
        db.session.rollback()
        raise Conflict(
            "This proposal was forwarded to the same council at the same moment by someone "
            "else; nothing was sent twice. Reload the page.",
            code="already_forwarded",
        ) from exc
    return made


def _clerks(council_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(
                Membership.council_id == council_id,
                Membership.status == "active",
                Membership.role.in_(("clerk", "minister")),
            )
        )
    )


# ---------------------------------------------------------------- taking up


def take_up(actor, forward: Forward) -> Proposal:
    """A clerk of the receiving council takes a forwarded proposal up: a linked proposal
    of its own council, which goes through its own round and may be forwarded further."""
    council = forward.to_council
    require_clerk(actor, council)
    if forward.taken_up_proposal_id is not None:
        raise Conflict(
            f"{council.name} already took this proposal up as proposal "
            f"{forward.taken_up_proposal_id}.",
            code="already_taken_up",
        )
    proposal = proposals.create_proposal(
        actor, council, title=forward.title, body=forward.body, themes=forward.themes or []
    )
    # create_proposal commits; the link is a second, conditional write.
    linked = db.session.execute(
        sa.update(Forward)
        .where(Forward.id == forward.id, Forward.taken_up_proposal_id.is_(None))
        .values(taken_up_proposal_id=proposal.id, taken_up_at=utcnow())
    ).rowcount
    if linked != 1:
        db.session.rollback()
        proposals.withdraw_proposal(
            actor,
            proposal,
            reason=f"Duplicate: forwarded proposal {forward.id} was taken up at the same moment.",
        )
        raise Conflict("Someone took this proposal up at the same moment.", code="already_taken_up")
    db.session.refresh(forward)
    record_event(
        "upward.taken_up",
        actor=actor,
        council=council,
        subject=forward,
        data={"forward": forward.id, "proposal": proposal.id, "title": forward.title},
    )
    notify(
        [m.user_id for m in _clerks(forward.from_council_id)],
        "upward_taken_up",
        f"{council.name} took up “{forward.title}” as its own proposal.",
        f"/proposals/{proposal.id}",
    )
    db.session.commit()
    return proposal


def require_inbox_answerer(actor, council: Council) -> Membership:
    """The minister or a clerk of the council whose inbox it is."""
    membership = (
        db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == getattr(actor, "id", None),
                Membership.council_id == council.id,
            )
        )
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if membership is None or not membership.is_clerk:
        who = "the minister or a clerk" if council.level == "nation" else "a clerk"
        raise Forbidden(f"Only {who} of {council.name} may answer its inbox.", code="answerer_only")
    return membership


def council_names(ids) -> dict[int, Council]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Council).where(Council.id.in_(ids)))}


def region_names(ids) -> dict[int, Place]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Place).where(Place.id.in_(ids)))}


def service_councils(exclude: Council) -> list[Council]:
    """Councils of other services in the same place (where an answer may refer a cluster)."""
    return [
        c
        for c in db.session.scalars(
            sa.select(Council)
            .join(Place, Place.id == Council.place_id)
            .join(Service, Service.id == Council.service_id)
            .where(
                Council.place_id == exclude.place_id,
                Council.id != exclude.id,
                Council.service_id.is_not(None),
                Council.service_id != (exclude.service_id or -1),
            )
            .order_by(Service.name, Place.name)
        )
    ]
