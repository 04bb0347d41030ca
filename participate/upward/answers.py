"""Answering a cluster of the inbox, and the answer travelling back down.

The minister (or a clerk) of the inbox's council answers a cluster: accept into the
council's work, decline with reasons, or refer to another service's council. The
answer covers every proposal of the cluster that was still unanswered; answering a
cluster with nothing unanswered is refused (a later answer covers only proposals that
arrived since). Each covered proposal shows the answer, and the members of every
council the proposal passed through are told in the app; those councils' clerks and the
proposals' authors and supporters who keep e-mail on get it by e-mail too.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app

from participate.audit.services import record_event
from participate.core import cascade, clustering
from participate.councils.models import Council, Membership
from participate.councils.services import council_by_slug
from participate.errors import Conflict, DomainError
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import email_people, notify
from participate.proposals.models import Proposal, Support
from participate.upward import clusters
from participate.upward.models import Answer, Cluster, Forward
from participate.upward.services import require_inbox_answerer
from participate.upward.store import SqlStore, snapshot
from participate.util import utcnow

REASONS_MIN = 10


def check_answer(
    actor,
    council: Council,
    cluster_id: int,
    *,
    kind: str,
    reasons: str,
    referred_to: str | None = None,
) -> tuple[Cluster, Council | None]:
    """Everything `answer_cluster` refuses, without answering; the cluster and the council
    referred to. The pages ask the person to confirm an answer (it cannot be taken back)
    only once it would be accepted."""
    _membership, _reasons, referred = _checked(actor, council, kind, reasons, referred_to)
    cluster = clusters._live_cluster(council, cluster_id)
    _require_unanswered(cluster)
    return cluster, referred


def _checked(actor, council: Council, kind: str, reasons: str, referred_to: str | None):
    membership = require_inbox_answerer(actor, council)
    if kind not in cascade.ANSWER_KINDS:
        raise DomainError(
            "Choose an answer: accept into national work, decline, or refer to another "
            "service's council.",
            code="bad_kind",
            field="kind",
        )
    reasons = (reasons or "").strip()
    if len(reasons) < REASONS_MIN:
        what = {
            "accept": "what the council will do with it",
            "decline": "why the council declines it",
            "refer": "why it belongs to the other council",
        }[kind]
        raise DomainError(
            f"Write the answer's reasons: {what} (at least {REASONS_MIN} characters). "
            "Every council that sent it will read them.",
            code="reasons_required",
            field="reasons",
        )
    referred = _referral_target(council, referred_to) if kind == "refer" else None
    return membership, reasons, referred


def _require_unanswered(cluster: Cluster) -> None:
    if cluster.unanswered == 0:
        raise Conflict(
            "This cluster is already answered: every proposal in it has its answer. A new "
            "answer is possible only when new proposals join it.",
            code="already_answered",
        )


def answer_cluster(
    actor,
    council: Council,
    cluster_id: int,
    *,
    kind: str,
    reasons: str,
    referred_to: str | None = None,
) -> Answer:
    """Answer a cluster of ``council``'s inbox; see the module docstring."""
    membership, reasons, referred = _checked(actor, council, kind, reasons, referred_to)
    clusters.lock_inbox(council.id)
    cluster = clusters._live_cluster(council, cluster_id)
    _require_unanswered(cluster)
    now = utcnow()
    answer = Answer(
        council_id=council.id,
        cluster_id=cluster.id,
        number=cluster.answers + 1,
        kind=kind,
        reasons=reasons,
        reasons_html=render_markdown(reasons),
        referred_council_id=referred.id if referred else None,
        title=cluster.title,
        forwards=cluster.unanswered,
        answered_by_id=actor.id,
        answered_by_role=membership.role,
        answered_at=now,
    )
    db.session.add(answer)
    db.session.flush()
    covered = list(
        db.session.scalars(
            sa.select(Forward).where(Forward.cluster_id == cluster.id, Forward.answer_id.is_(None))
        )
    )
    db.session.execute(
        sa.update(Forward)
        .where(Forward.cluster_id == cluster.id, Forward.answer_id.is_(None))
        .values(answer_id=answer.id)
    )
    answer.forwards = len(covered)
    db.session.execute(clusters._ONE_MORE_UNANSWERED, {"c": council.id, "n": -len(covered)})
    cluster.unanswered = 0
    cluster.unanswered_since = None
    cluster.answers += 1
    record_event(
        "upward.answered",
        actor=actor,
        council=council,
        subject=answer,
        data={
            "cluster": cluster.id,
            "title": cluster.title,
            "kind": kind,
            "reasons": reasons,
            "proposals": len(covered),
            "referred_to": referred.slug if referred else None,
        },
    )
    if referred is not None:
        _refer(actor, council, answer, referred, covered, cluster.title)
    links = _tell_the_councils(council, answer, covered)
    mail = _who_gets_the_answer_by_email(council, covered, links)
    # Queued in the same transaction (participate.mail): a refused or raced answer sends no
    # e-mail, and the mail goes once the answer is stored.
    _email_the_answer(council, answer, mail)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            "Someone answered this cluster at the same moment; reload it to read their answer.",
            code="already_answered",
        ) from exc
    return answer


def _referral_target(council: Council, slug: str | None) -> Council:
    slug = (slug or "").strip()
    if not slug:
        raise DomainError(
            "Choose the council to refer this cluster to.",
            code="referral_required",
            field="referred_to",
        )
    try:
        target = council_by_slug(slug)
    except DomainError:
        raise DomainError(
            f"There is no council '{slug}' to refer to.", code="bad_referral", field="referred_to"
        ) from None
    if target.id == council.id or target.is_forum or target.service_id == council.service_id:
        raise DomainError(
            f"Refer to another service's council ({target.name} is not one). To keep the "
            "cluster in this council's work, accept it.",
            code="bad_referral",
            field="referred_to",
        )
    return target


def _refer(actor, council: Council, answer: Answer, target: Council, covered, title: str) -> None:
    """The referred council receives the covered proposals in its inbox, as one cluster
    (the answering council grouped them); proposals it already holds are not sent twice."""
    already = set(
        db.session.scalars(
            sa.select(Forward.proposal_id).where(
                Forward.to_council_id == target.id,
                Forward.proposal_id.in_([f.proposal_id for f in covered] or [-1]),
            )
        )
    )
    clusters.lock_inbox(target.id)
    store = SqlStore(target.id)
    key = None
    sent = 0
    for original in covered:
        if original.proposal_id in already:
            continue
        already.add(original.proposal_id)
        copy = Forward(
            proposal_id=original.proposal_id,
            root_proposal_id=original.root_proposal_id,
            origin_id=original.origin_id,
            path=[*(original.path or []), target.id],
            from_council_id=original.from_council_id,
            to_council_id=target.id,
            link_kind="referral",
            origin_council_id=original.origin_council_id,
            origin_place_id=original.origin_place_id,
            region_id=original.region_id,
            title=original.title,
            body=original.body,
            body_html=original.body_html,
            themes=list(original.themes or []),
            subsidiarity=original.subsidiarity,
            motion_id=original.motion_id,
            tally=original.tally,
            supports=dict(original.supports or {}),
            supporters=original.supporters,
            members=dict(original.members or {}),
            vector={},
            referred_by_answer_id=answer.id,
            forwarded_by_id=actor.id,
            forwarded_at=utcnow(),
        )
        db.session.add(copy)
        db.session.flush()
        store.rows[copy.id] = snapshot(copy)
        counts = clusters.features_of(copy)
        df, n = store.count_document(counts.keys())
        vector = clustering.weigh(counts, df, n)
        copy.vector = {f: round(w, 6) for f, w in vector.items()}
        if key is None:
            key = store.create(copy.id, vector)
        else:
            store.attach(key, copy.id, vector, store.dots([key], vector)[key])
        copy.cluster_id = key
        sent += 1
    if sent:
        db.session.execute(clusters._ONE_MORE_UNANSWERED, {"c": target.id, "n": sent})
    if key is not None:
        clusters.retitle(key, force=True)
        cluster = db.session.get(Cluster, key)
        if cluster is not None and title:
            cluster.title = title[:200]
        notify(
            [
                m.user_id
                for m in db.session.scalars(
                    sa.select(Membership).where(
                        Membership.council_id == target.id,
                        Membership.status == "active",
                        Membership.role.in_(("clerk", "minister")),
                    )
                )
            ],
            "upward_referred",
            f"{council.name} referred “{title}” ({sent} proposals) to your inbox.",
            f"/councils/{target.slug}/inbox/clusters/{key}",
        )
    record_event(
        "upward.referred",
        actor=actor,
        council=council,
        subject=answer,
        data={"to": target.slug, "proposals": sent, "cluster": key},
    )


def _tell_the_councils(council: Council, answer: Answer, covered: list[Forward]) -> dict[int, str]:
    """Notify the members of every council each answered proposal passed through, with a
    link to that council's own proposal; returns those links by council id."""
    label = cascade.ANSWER_LABELS[answer.kind].lower()
    link_for: dict[int, str] = {}
    for forward in covered:
        for council_id in forward.path or [forward.from_council_id]:
            if council_id != council.id:
                link_for.setdefault(council_id, f"/proposals/{forward.root_proposal_id}")
        link_for[forward.from_council_id] = f"/proposals/{forward.proposal_id}"
    if not link_for:
        return link_for
    members: dict[int, list[int]] = defaultdict(list)
    ids = sorted(link_for)
    for start in range(0, len(ids), 500):
        for user_id, council_id in db.session.execute(
            sa.select(Membership.user_id, Membership.council_id).where(
                Membership.council_id.in_(ids[start : start + 500]), Membership.status == "active"
            )
        ):
            members[council_id].append(user_id)
    told: set[int] = set()
    for council_id in ids:
        users = [u for u in members.get(council_id, []) if u not in told]
        told.update(users)
        notify(
            users,
            "upward_answered",
            f"{council.name} answered “{answer.title}”: {label}. Its reasons are on the "
            "proposal's page.",
            link_for[council_id] + "#upward",
        )
    return link_for


def _who_gets_the_answer_by_email(
    council: Council, covered: list[Forward], link_for: dict[int, str]
) -> dict[int, str]:
    """The people told by e-mail too (DESIGN §5: the answer goes back down), with the page
    each one reads: the clerks of every council the proposals passed through, and the
    authors and supporters of every proposal in each chain (the original, and each one a
    council took up on the way). Whether they keep e-mail on is checked when sending."""
    proposal_link: dict[int, str] = {}
    for forward in covered:
        proposal_link.setdefault(forward.proposal_id, f"/proposals/{forward.proposal_id}")
        proposal_link.setdefault(forward.root_proposal_id, f"/proposals/{forward.root_proposal_id}")
    origins = {f.origin_id for f in covered if f.origin_id}
    while origins:  # up the chain of take-ups: a few links at most
        earlier = db.session.execute(
            sa.select(Forward.proposal_id, Forward.origin_id).where(Forward.id.in_(origins))
        ).all()
        for proposal_id, _origin in earlier:
            proposal_link.setdefault(proposal_id, f"/proposals/{proposal_id}")
        origins = {origin for _p, origin in earlier if origin}
    people: dict[int, str] = {}
    clerk_councils = [c for c in link_for if c != council.id]
    for user_id, council_id in db.session.execute(
        sa.select(Membership.user_id, Membership.council_id)
        .where(
            Membership.council_id.in_(clerk_councils or [-1]),
            Membership.status == "active",
            Membership.role.in_(("clerk", "minister")),
        )
        .order_by(Membership.council_id)
    ):
        people.setdefault(user_id, link_for[council_id])
    ids = sorted(proposal_link)
    authors = sa.select(Proposal.author_id, Proposal.id).where(Proposal.id.in_(ids))
    supporters = sa.select(Support.user_id, Support.proposal_id).where(Support.proposal_id.in_(ids))
    for user_id, proposal_id in db.session.execute(authors.union_all(supporters)):
        if user_id is not None:
            people.setdefault(user_id, proposal_link[proposal_id])
    return people


def _email_the_answer(council: Council, answer: Answer, people: dict[int, str]) -> None:
    """Send the stored answer by e-mail; a mail server that fails is logged, not raised,
    since the answer itself is already given and shown in the app."""
    label = cascade.ANSWER_LABELS[answer.kind]
    subject = f"{label}: “{answer.title}”"[:120]
    body = (
        f"{council.name} answered “{answer.title}”, which your council sent up: {label}.\n\n"
        f"{answer.reasons}\n\nThe answer shows on the proposal:"
    )
    by_link: dict[str, list[int]] = defaultdict(list)
    for user_id, link in people.items():
        by_link[link].append(user_id)
    for link, users in sorted(by_link.items()):
        try:
            email_people(users, subject, body, link + "#upward")
        except (OSError, smtplib.SMTPException):
            current_app.logger.exception("answer %s: e-mail to %s not sent", answer.id, users)


def answers_of_forwards(forwards: list[Forward]) -> dict[int, Answer]:
    ids = {f.answer_id for f in forwards if f.answer_id}
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(sa.select(Answer).where(Answer.id.in_(ids)))}
