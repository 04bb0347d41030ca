"""Moderation pages: flagging (anyone signed in), hiding with a public reason and dismissing
flags (the clerk), the clerk's queue, one appeal by the author and the clerk's decision. Routes on
the proposals blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from participate.councils.services import council_by_slug
from participate.errors import DomainError
from participate.forms_util import apply_error
from participate.params import int_arg
from participate.proposals import discussion, services
from participate.proposals import moderation as moderating
from participate.proposals.blueprint import bp, to_proposal
from participate.proposals.forms import AppealForm, ReasonForm
from participate.proposals.moderation_queue import moderation_queue
from participate.web import acting_user, is_htmx


def _flag(proposal, comment):
    form = ReasonForm()
    anchor = f"#comment-{comment.id}" if comment is not None else ""
    status = 200
    if request.method == "POST":
        try:
            moderating.flag(acting_user(), proposal, comment=comment, reason=form.reason.data)
        except DomainError as error:
            if is_htmx():
                return render_template("proposals/_error.html", error=error), error.status
            apply_error(form, error)
            status = error.status
        else:
            if is_htmx():
                return render_template("proposals/_flag_done.html", comment=comment)
            flash("Thank you: the clerk will look at it.", "success")
            return to_proposal(proposal.id, anchor)
    elif is_htmx():
        return render_template(
            "proposals/_flag_form.html", proposal=proposal, comment=comment, form=form
        )
    return render_template(
        "proposals/flag.html",
        proposal=proposal,
        council=proposal.council,
        comment=comment,
        form=form,
    ), status


@bp.route("/proposals/<int:proposal_id>/flag", methods=["GET", "POST"])
@login_required
def flag_proposal(proposal_id: int):
    return _flag(services.get_proposal(proposal_id), None)


@bp.route("/comments/<int:comment_id>/flag", methods=["GET", "POST"])
@login_required
def flag_comment(comment_id: int):
    comment = discussion.get_comment(comment_id)
    return _flag(services.get_proposal(comment.proposal_id), comment)


def _back_after_moderation(proposal, comment):
    if request.form.get("next") == "queue":
        return redirect(url_for("proposals.moderation", slug=proposal.council.slug), 303)
    return to_proposal(proposal.id, f"#comment-{comment.id}" if comment is not None else "")


def _hide(proposal, comment):
    form = ReasonForm()
    status = 200
    if request.method == "POST":
        try:
            moderating.hide(acting_user(), proposal, comment=comment, reason=form.reason.data)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash(
                "Hidden. The reason is shown in its place; the author may appeal once.", "success"
            )
            return _back_after_moderation(proposal, comment)
    else:
        services.ensure_allowed(acting_user(), proposal, "hide", comment=comment)
    return render_template(
        "proposals/hide.html",
        proposal=proposal,
        council=proposal.council,
        comment=comment,
        form=form,
    ), status


@bp.route("/proposals/<int:proposal_id>/hide", methods=["GET", "POST"])
@login_required
def hide_proposal(proposal_id: int):
    return _hide(services.get_proposal(proposal_id), None)


@bp.route("/comments/<int:comment_id>/hide", methods=["GET", "POST"])
@login_required
def hide_comment(comment_id: int):
    comment = discussion.get_comment(comment_id)
    return _hide(services.get_proposal(comment.proposal_id), comment)


@bp.route("/councils/<slug>/moderation")
@login_required
def moderation(slug: str):
    council = council_by_slug(slug)
    queue = moderation_queue(acting_user(), council)
    return render_template("proposals/moderation.html", council=council, queue=queue)


@bp.route("/councils/<slug>/moderation/dismiss", methods=["POST"])
@login_required
def dismiss(slug: str):
    council = council_by_slug(slug)
    try:
        proposal = services.get_proposal(int_arg(request.form, "proposal_id", 0, low=0))
        comment_id = int_arg(request.form, "comment_id", None)
        comment = discussion.get_comment(comment_id) if comment_id else None
        if proposal.council_id != council.id:
            raise DomainError("That proposal is in another council.", code="wrong_council")
        closed = moderating.dismiss_flags(
            acting_user(), proposal, comment=comment, reason=request.form.get("reason", "")
        )
    except ValueError:
        flash("That is not a proposal or comment number.", "error")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{closed} flag{'s' if closed != 1 else ''} dismissed.", "success")
    return redirect(url_for("proposals.moderation", slug=slug), 303)


@bp.route("/hidings/<int:hiding_id>/appeal", methods=["GET", "POST"])
@login_required
def appeal(hiding_id: int):
    hiding = moderating.get_hiding(hiding_id)
    moderating.check_appellant(acting_user(), hiding)
    proposal = services.get_proposal(hiding.proposal_id)
    comment = discussion.get_comment(hiding.comment_id) if hiding.comment_id else None
    form = AppealForm()
    status = 200
    if request.method == "POST":
        try:
            moderating.appeal(acting_user(), hiding, text=form.appeal.data)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("Your appeal was sent to the clerk, who will decide and tell you.", "success")
            return to_proposal(proposal.id, f"#comment-{comment.id}" if comment else "")
    return render_template(
        "proposals/appeal.html",
        proposal=proposal,
        council=proposal.council,
        hiding=hiding,
        comment=comment,
        form=form,
    ), status


@bp.route("/hidings/<int:hiding_id>/decide", methods=["POST"])
@login_required
def decide(hiding_id: int):
    hiding = moderating.get_hiding(hiding_id)
    proposal = services.get_proposal(hiding.proposal_id)
    reinstate = request.form.get("decision") == "reinstate"
    try:
        moderating.decide_appeal(
            acting_user(), hiding, reinstate=reinstate, reason=request.form.get("reason", "")
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Content reinstated." if reinstate else "Hiding upheld.", "success")
    return redirect(url_for("proposals.moderation", slug=proposal.council.slug), 303)
