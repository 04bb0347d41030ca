"""Pages of the votes feature: the council's Votes tab, the motion page, casting, the clerk's
open and close actions, the receipt lookup. Each action also works as a plain form POST;
with htmx the ballot panel, turnout and receipt lookup update in place (same partials)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from participate.confirming import ask_to_confirm, confirmed
from participate.councils import services as councils
from participate.errors import DomainError
from participate.extensions import db, htmx
from participate.forms_util import apply_error
from participate.ratelimit import Limit, account_key, limited
from participate.votes import closing, results, services
from participate.votes.ballots import VoteStatus, cast_ballot, my_vote_status
from participate.votes.forms import MotionForm, OpenVotingForm, ReceiptForm, ballot_from_form
from participate.votes.models import METHOD_LABELS, Ballot, Motion, MotionParticipation

bp = Blueprint("votes", __name__)
COUNCIL_TABS = [{"label": "Votes", "endpoint": "votes.council_votes"}]


def vote_limit() -> str:
    return current_app.config.get("VOTE_RATE_LIMIT", "60 per minute")


# One budget for the page and the API, per account (an API token counts as its account).
limit_casting = limited(Limit(vote_limit, account_key, "vote-cast"))


@bp.app_context_processor
def _labels():
    return {"METHOD_LABELS": METHOD_LABELS}


# ---------------------------------------------------------------- council tab


@bp.route("/councils/<slug>/votes")
def council_votes(slug: str):
    council = councils.council_by_slug(slug)
    is_clerk = councils.is_clerk(current_user, council)
    motions = services.motions_of(council, include_drafts=is_clerk)
    ids = [m.id for m in motions if m.status != "draft"]
    voted = _voted_ids(ids)
    ballots = (
        dict(
            db.session.execute(
                sa.select(Ballot.motion_id, sa.func.count())
                .where(Ballot.motion_id.in_(ids))
                .group_by(Ballot.motion_id)
            ).all()
        )
        if ids
        else {}
    )
    return render_template(
        "votes/council.html",
        council=council,
        is_clerk=is_clerk,
        open_motions=[m for m in motions if m.status == "open"],
        closed_motions=[m for m in motions if m.status == "closed"],
        drafts=[m for m in motions if m.status == "draft"],
        voted=voted,
        ballots=ballots,
    )


def _voted_ids(ids: list[int]) -> set[int]:
    if not ids or not current_user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            sa.select(MotionParticipation.motion_id).where(
                MotionParticipation.user_id == current_user.id,
                MotionParticipation.motion_id.in_(ids),
            )
        )
    )


@bp.route("/councils/<slug>/votes/new", methods=["GET", "POST"])
@login_required
def new_motion(slug: str):
    council = councils.council_by_slug(slug)
    councils.require_clerk(current_user, council)
    form = MotionForm()
    if form.validate_on_submit():
        draft = request.form.get("action") == "draft"
        try:
            if draft:
                motion = services.create_motion(
                    current_user,
                    council,
                    title=form.title.data,
                    method=form.method.data,
                    options=form.option_list(),
                    kind=form.kind.data,
                    description=form.description.data or "",
                )
            else:
                if form.closes_at.data is None:
                    raise DomainError(
                        "Choose when voting closes (date and time, UTC), or save a draft.",
                        field="closes_at",
                    )
                motion = services.open_motion(
                    current_user,
                    council,
                    title=form.title.data,
                    method=form.method.data,
                    options=form.option_list(),
                    kind=form.kind.data,
                    description=form.description.data or "",
                    closes_at=form.closes_at.data,
                )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                f"Draft saved: '{motion.title}'. Open voting from its page when ready."
                if draft
                else f"Voting is open on '{motion.title}'. Members have been told.",
                "success",
            )
            return redirect(url_for("votes.motion_detail", motion_id=motion.id), 303)
    return render_template("votes/new.html", council=council, form=form), (
        400 if form.is_submitted() else 200
    )


# ---------------------------------------------------------------- the motion page


def _page_context(motion: Motion, **extra) -> dict:
    council = motion.council
    is_clerk = councils.is_clerk(current_user, council)
    status = my_vote_status(current_user, motion)
    context = {
        "motion": motion,
        "council": council,
        "is_clerk": is_clerk,
        "status": status,
        "disclosure": services.disclosure_warning(motion, status.constituency)
        if status.can_vote
        else None,
        "turnout": results.turnout_by_constituency(motion),
        "result": motion.result if motion.status == "closed" else None,
        "objections": results.objections(motion),
        "open_form": OpenVotingForm() if is_clerk and motion.status == "draft" else None,
        "receipt_form": ReceiptForm(formdata=None),
        "lookup": None,
        "ballot_error": None,
        "ballot_field": None,
        "message": None,
    }
    context.update(extra)
    return context


@bp.route("/motions/<int:motion_id>")
def motion_detail(motion_id: int):
    motion = services.motion_for(current_user, motion_id)
    return render_template("votes/motion.html", **_page_context(motion))


@bp.route("/motions/<int:motion_id>/turnout")
def turnout(motion_id: int):
    motion = services.motion_for(current_user, motion_id)
    if not htmx:
        return redirect(url_for("votes.motion_detail", motion_id=motion_id) + "#turnout-h")
    return render_template(
        "votes/_turnout.html", motion=motion, turnout=results.turnout_by_constituency(motion)
    )


@bp.route("/motions/<int:motion_id>/ballot", methods=["POST"])
@limit_casting
def cast(motion_id: int):
    """Cast or change a ballot: the same service as the API. With htmx the answer is the
    ballot panel with the receipt."""
    if not current_user.is_authenticated:  # no session, or a stale one (password changed)
        return _sign_in_to_vote(motion_id)
    try:
        outcome = cast_ballot(current_user, motion_id, **ballot_from_form(request.form))
    except DomainError as error:
        if error.status == 404:
            raise
        if error.code == "sign_in_required":  # the session ended since it was loaded
            return _sign_in_to_vote(motion_id)
        motion = services.get_motion(motion_id)
        context = _page_context(motion, ballot_error=error.message, ballot_field=error.field)
        if htmx:
            return render_template("votes/_ballot.html", **context), error.status
        return render_template("votes/motion.html", **context), error.status
    message = _cast_message(outcome)
    if not htmx:
        flash(message, "success")
        return redirect(url_for("votes.motion_detail", motion_id=motion_id) + "#your-vote", 303)
    status = VoteStatus(
        can_vote=True,
        voted=True,
        receipt=outcome.receipt,
        constituency=None,
        reason=None,
        code=None,
    )
    return render_template(
        "votes/_ballot.html",
        motion=services.get_motion(motion_id),
        status=status,
        signed_in=True,
        message=message,
        ballot_error=None,
        ballot_field=None,
    )


def _sign_in_to_vote(motion_id: int):
    page = url_for("votes.motion_detail", motion_id=motion_id)
    if htmx:
        return (
            '<p class="error flash-error" role="alert">Sign in to vote: your session has '
            "ended.</p>",
            401,
        )
    flash("Please sign in to vote.", "info")
    return redirect(url_for("accounts.login", next=page))


def _cast_message(outcome) -> str:
    return (
        f"Your ballot was recorded. Your receipt is {outcome.receipt}: keep it to check your "
        "ballot in the ballot file published when voting closes."
        if outcome.first
        else "Your ballot was changed; only this one counts. Your receipt is still "
        f"{outcome.receipt}."
    )


@bp.route("/motions/<int:motion_id>/open", methods=["POST"])
@login_required
def open_voting(motion_id: int):
    motion = services.get_motion(motion_id)
    form = OpenVotingForm()
    if form.validate_on_submit():
        try:
            services.open_voting(current_user, motion, form.closes_at.data)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            apply_error(form, error)
        else:
            flash(f"Voting is open on '{motion.title}'. Members have been told.", "success")
            return redirect(url_for("votes.motion_detail", motion_id=motion_id), 303)
    else:
        councils.require_clerk(current_user, motion.council)
    return render_template("votes/motion.html", **_page_context(motion, open_form=form)), 400


@bp.route("/motions/<int:motion_id>/close", methods=["POST"])
@login_required
def close_voting(motion_id: int):
    motion = services.get_motion(motion_id)
    if not confirmed() and motion.status == "open":  # ask first, once allowed
        councils.require_clerk(current_user, motion.council)
        return ask_to_confirm(
            title="Close voting now?",
            points=[
                f"Voting on “{motion.title}” ends now, before its planned close.",
                "The result is counted and published with the ballot file; "
                "nobody can vote after this.",
            ],
            button="Close voting and publish the result",
            cancel_url=url_for("votes.motion_detail", motion_id=motion.id),
        )
    try:
        result = closing.close_voting(current_user, motion)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
        return redirect(url_for("votes.motion_detail", motion_id=motion_id), 303)
    flash(
        f"Voting closed and the result is published: {results.outcome_sentence(result)}",
        "success",
    )
    return redirect(url_for("votes.motion_detail", motion_id=motion_id) + "#result-h", 303)


@bp.route("/motions/<int:motion_id>/receipt")
def receipt_lookup(motion_id: int):
    motion = services.motion_for(current_user, motion_id)
    form = ReceiptForm(request.args)
    lookup = {"searched": False}
    status = 200
    if form.validate():
        try:
            entry = results.lookup_receipt(motion, form.code.data)
        except DomainError as error:
            form.code.errors = [*form.code.errors, error.message]
            status = error.status
        else:
            lookup = {"searched": True, "entry": entry, "code": form.code.data}
    else:
        status = 400
    context = _page_context(motion, receipt_form=form, lookup=lookup)
    if htmx:
        return render_template("votes/_receipt.html", **context), status
    return render_template("votes/motion.html", **context), status
