"""Pages of the upward flow: forwarding, the inbox and its clusters, answers, taking up.

Views are thin: parse the form, call one service, map a DomainError onto the form or a
flash, render. The inbox list and a cluster's answer panel are htmx partials that the
full pages include. Consultation pages are in `participate.upward.consultation_views`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from participate.confirming import ask_to_confirm, confirmed
from participate.core import cascade
from participate.councils import services as councils
from participate.councils.models import Council, ForumLink, Membership
from participate.errors import DomainError
from participate.extensions import db
from participate.forms_util import apply_error
from participate.params import int_arg, whole_number
from participate.proposals import services as proposals
from participate.upward import (
    answers,
    clusters,
    consultation_views,  # noqa: F401  (its routes on bp)
    services,
)
from participate.upward.blueprint import bp
from participate.upward.forms import AnswerForm, ForwardForm, MergeForm, SplitForm, TakeUpForm
from participate.upward.models import Cluster, Forward
from participate.web import acting_user, is_htmx

COUNCIL_TABS = [
    {"label": "Inbox", "endpoint": "upward.inbox"},
    {"label": "Consultations", "endpoint": "upward.council_consultations"},
]
NAV_ITEMS = [{"label": "Consultations", "endpoint": "upward.consultations"}]


@bp.record_once
def _template_globals(state) -> None:
    # Globals (not a context processor), so the macros in templates/upward/_macros.html see them.
    state.app.jinja_env.globals.update(
        ANSWER_LABELS=cascade.ANSWER_LABELS,
        STANCE_LABELS=cascade.STANCE_LABELS,
        waiting_days=clusters.waiting_days,
    )


@bp.app_template_global()
def upward_for_proposal(proposal):
    """What the proposal page shows of the upward flow (templates/upward/_proposal_upward.html)."""
    forwards = services.forwards_of(proposal)
    origin = services.origin_of(proposal)
    ids = set()
    for f in [*forwards, *([origin] if origin else [])]:
        ids.update(f.path or [f.from_council_id, f.to_council_id])
    can_forward = (
        proposal.status == "adopted"
        and proposal.hidden_at is None
        and councils.is_clerk(current_user, proposal.council)
    )
    return {
        "forwards": forwards,
        "origin": origin,
        "answers": answers.answers_of_forwards(forwards),
        "names": services.council_names(ids),
        "can_forward": can_forward,
    }


# ---------------------------------------------------------------- forwarding


def _motion_choices(council):
    return [("", "None / found automatically")] + [
        (str(m.id), f"{m.title} (closed {m.closed_at:%-d %b %Y})")
        for m in services.closed_motions(council)
    ]


def _target_label(option) -> str:
    what = "place forum" if option.council.is_forum else "same service"
    if option.direct:
        return f"{option.council.name} ({what}, directly above yours)"
    skipped = " and ".join(c.name for c in option.skipped)
    return f"{option.council.name} ({what}; skips {skipped}, which will not see it unless you send it there too)"


@bp.route("/proposals/<int:proposal_id>/forward", methods=["GET", "POST"])
@login_required
def forward(proposal_id: int):
    proposal = proposals.get_proposal(proposal_id)
    council = proposal.council
    councils.require_clerk(acting_user(), council)
    options = services.forward_options(proposal)
    form = ForwardForm()
    form.targets.choices = [
        (o.council.slug, _target_label(o)) for o in options if o.existing is None
    ]
    form.motion.choices = _motion_choices(council)
    deciding = services.deciding_motion(proposal)
    status = 200
    if form.validate_on_submit():
        try:
            made = services.forward_proposal(
                acting_user(),
                proposal,
                targets=form.targets.data or [],
                subsidiarity=form.subsidiarity.data or "",
                motion_id=form.motion.data or None,
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status if error.status != 403 else 400
        else:
            names = ", ".join(f.to_council.name for f in made)
            flash(f"“{proposal.title}” was forwarded to {names}.", "success")
            return redirect(
                url_for("proposals.proposal_page", proposal_id=proposal.id) + "#upward", 303
            )
    elif form.is_submitted():
        status = 400
    return render_template(
        "upward/forward.html",
        proposal=proposal,
        council=council,
        form=form,
        options=options,
        deciding=deciding,
        supports=proposals.supports_by_constituency(proposal.id),
        members=councils.members_by_constituency(council.id),
    ), status


@bp.route("/forwards/<int:forward_id>")
def forward_page(forward_id: int):
    item = services.get_forward(forward_id)
    path = services.path_councils(item)
    is_target_clerk = councils.is_clerk(current_user, item.to_council)
    taken_up = (
        proposals.get_proposal(item.taken_up_proposal_id) if item.taken_up_proposal_id else None
    )
    further = list(
        db.session.scalars(
            sa.select(Forward).where(Forward.origin_id == item.id).order_by(Forward.forwarded_at)
        )
    )
    return render_template(
        "upward/forward_page.html",
        item=item,
        path=path,
        answer=item.answer,
        is_target_clerk=is_target_clerk,
        taken_up=taken_up,
        further=further,
        names=services.council_names([f.to_council_id for f in further]),
        region=services.region_names([item.region_id]).get(item.region_id),
        form=TakeUpForm(),
    )


@bp.route("/forwards/<int:forward_id>/take-up", methods=["POST"])
@login_required
def take_up(forward_id: int):
    item = services.get_forward(forward_id)
    form = TakeUpForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        proposal = services.take_up(acting_user(), item)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("upward.forward_page", forward_id=forward_id), 303)
    flash(
        f"{item.to_council.name} took the proposal up: it is now proposal {proposal.id} here, "
        "open for discussion and a round. Once adopted, it can be forwarded further up.",
        "success",
    )
    return redirect(url_for("proposals.proposal_page", proposal_id=proposal.id), 303)


# ---------------------------------------------------------------- the inbox


def _has_children(council: Council) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.literal(1)).where(ForumLink.to_council_id == council.id).limit(1)
        )
        is not None
    )


def _sent(council: Council, limit: int = 20) -> list[Forward]:
    return list(
        db.session.scalars(
            sa.select(Forward)
            .where(Forward.from_council_id == council.id)
            .order_by(Forward.forwarded_at.desc(), Forward.id.desc())
            .limit(limit)
        )
    )


def _inbox_page(council: Council):
    try:
        return clusters.list_clusters(council, **clusters.query_from(request.args))
    except DomainError as error:  # an unknown sort or filter: say so and show the default
        flash(f"{error.message} Showing the default view.", "error")
        return clusters.list_clusters(council)


@bp.route("/councils/<slug>/inbox")
def inbox(slug: str):
    council = councils.council_by_slug(slug)
    page = _inbox_page(council)
    if is_htmx() and request.headers.get("HX-Target") == "clusters":
        return render_template("upward/_clusters.html", council=council, inbox=page)
    sent = _sent(council)
    has_parents = bool(sent) or (
        db.session.scalar(
            sa.select(sa.literal(1)).where(ForumLink.from_council_id == council.id).limit(1)
        )
        is not None
    )
    return render_template(
        "upward/inbox.html",
        council=council,
        inbox=page,
        has_children=_has_children(council) or page.forwards > 0,
        sent=sent,
        has_parents=has_parents,
        answers=answers.answers_of_forwards(sent),
        can_answer=_can_answer(council),
    )


def _can_answer(council: Council) -> bool:
    membership = councils.membership_of(current_user, council)
    return membership is not None and membership.is_clerk


@bp.route("/councils/<slug>/inbox/clusters/<int:cluster_id>")
def cluster_page(slug: str, cluster_id: int):
    council = councils.council_by_slug(slug)
    cluster = clusters.get_cluster(council, cluster_id)
    if cluster.merged_into_id is not None:
        return redirect(
            url_for("upward.cluster_page", slug=slug, cluster_id=cluster.merged_into_id), 301
        )
    return _render_cluster(council, cluster)


def _render_cluster(council, cluster, *, answer_form=None, merge_form=None, status=200):
    page = int_arg(request.args, "page")
    members, total = clusters.cluster_members(cluster, page)
    card = clusters.cards_for([cluster])[0]
    can_answer = _can_answer(council)
    answer_form = answer_form or AnswerForm(formdata=None)
    answer_form.referred_to.choices = [("", "Choose a council")] + [
        (c.slug, c.name) for c in services.service_councils(council)
    ]
    merge_form = merge_form or MergeForm(formdata=None)
    merge_form.other.choices = [("", "Choose a cluster")] + [
        (str(c.id), f"{c.title} ({c.size} proposals, {c.councils} councils)")
        for c in (clusters.merge_candidates(council, cluster) if can_answer else [])
    ]
    context = {
        "council": council,
        "cluster": cluster,
        "card": card,
        "members": members,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // 50)),
        "names": services.council_names(
            [m.from_council_id for m in members] + [m.origin_council_id for m in members]
        ),
        "can_answer": can_answer,
        "answer_form": answer_form,
        "merge_form": merge_form,
        "split_form": SplitForm(formdata=None),
        "member_answers": answers.answers_of_forwards(members),
    }
    if is_htmx() and request.method == "POST":
        return render_template("upward/_answer.html", **context), status
    return render_template("upward/cluster.html", **context), status


@bp.route("/councils/<slug>/inbox/clusters/<int:cluster_id>/answer", methods=["POST"])
@login_required
def answer(slug: str, cluster_id: int):
    council = councils.council_by_slug(slug)
    cluster = clusters.get_cluster(council, cluster_id)
    form = AnswerForm()
    form.referred_to.choices = [(c.slug, c.name) for c in services.service_councils(council)]
    if not form.validate_on_submit():
        return _render_cluster(council, cluster, answer_form=form, status=400)
    try:
        if not confirmed():  # an answer cannot be taken back: ask first, once it would pass
            _cluster, referred = answers.check_answer(
                acting_user(),
                council,
                cluster_id,
                kind=form.kind.data or "",
                reasons=form.reasons.data or "",
                referred_to=form.referred_to.data or None,
            )
            return _confirm_answer(council, cluster, form, referred)
        given = answers.answer_cluster(
            acting_user(),
            council,
            cluster_id,
            kind=form.kind.data or "",
            reasons=form.reasons.data or "",
            referred_to=form.referred_to.data or None,
        )
    except DomainError as error:
        db.session.rollback()
        apply_error(form, error)
        cluster = clusters.get_cluster(council, cluster_id)
        return _render_cluster(council, cluster, answer_form=form, status=error.status)
    if is_htmx():
        return _render_cluster(council, clusters.get_cluster(council, cluster_id))
    flash(
        f"Answer sent to the {given.forwards} proposal(s) of this cluster; their councils' "
        "members are told.",
        "success",
    )
    return redirect(url_for("upward.cluster_page", slug=slug, cluster_id=cluster_id), 303)


def _confirm_answer(council, cluster, form, referred):
    waiting = cluster.unanswered
    proposals_words = f"{waiting} proposal{'' if waiting == 1 else 's'}"
    answer = cascade.ANSWER_LABELS[form.kind.data]
    if referred is not None:
        answer += f" to {referred.name}"
    return ask_to_confirm(
        title="Send this answer?",
        points=[
            f"“{cluster.title}”: {answer}.",
            f"Reasons: {form.reasons.data.strip()}",
            f"It answers the {proposals_words} of this cluster still waiting. The members of "
            "every council they passed through are told; their clerks, and the proposals' "
            "authors and supporters, by e-mail.",
        ],
        button="Send the answer now",
        cancel_url=url_for("upward.cluster_page", slug=council.slug, cluster_id=cluster.id),
        warning="An answer is final: once sent, it cannot be changed or taken back.",
        htmx_target="answer",
    )


@bp.route("/councils/<slug>/inbox/clusters/<int:cluster_id>/split", methods=["POST"])
@login_required
def split(slug: str, cluster_id: int):
    council = councils.council_by_slug(slug)
    form = SplitForm()
    try:
        forward_id = whole_number(form.forward.data, "forward", 0, low=0)
        new = clusters.split_forward(acting_user(), council, cluster_id, forward_id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        if error.status == 403:
            abort(403)
        return redirect(url_for("upward.cluster_page", slug=slug, cluster_id=cluster_id), 303)
    flash(
        "The proposal now has a cluster of its own; new proposals will not put it back.",
        "success",
    )
    return redirect(url_for("upward.cluster_page", slug=slug, cluster_id=new.id), 303)


@bp.route("/councils/<slug>/inbox/clusters/<int:cluster_id>/merge", methods=["POST"])
@login_required
def merge(slug: str, cluster_id: int):
    council = councils.council_by_slug(slug)
    form = MergeForm()
    try:
        other = whole_number(form.other.data, "other", 0, low=0)
        if not other:
            raise DomainError("Choose the cluster to merge with this one.", field="other")
        clusters.merge_clusters(acting_user(), council, cluster_id, other)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        if error.status == 403:
            abort(403)
        return redirect(url_for("upward.cluster_page", slug=slug, cluster_id=cluster_id), 303)
    flash("The two clusters are one now, and stay together when new proposals arrive.", "success")
    return redirect(url_for("upward.cluster_page", slug=slug, cluster_id=cluster_id), 303)


# ---------------------------------------------------------------- the map


@bp.route("/upward/map")
def flow_map():
    from participate.upward.flow_map import flow_map_context

    return render_template("upward/map.html", **flow_map_context(request.args))


def ministers_of(council: Council) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(
                Membership.council_id == council.id,
                Membership.role == "minister",
                Membership.status == "active",
            )
        )
    )


__all__ = ["bp", "COUNCIL_TABS", "NAV_ITEMS", "Cluster"]
