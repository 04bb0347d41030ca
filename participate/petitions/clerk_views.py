"""Council and clerk pages: the council's petitions, "must answer", moderation, answers,
and the signature list with invalidation."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from participate.confirming import ask_to_confirm, confirmed
from participate.councils import services as councils
from participate.councils.access import role_in
from participate.errors import DomainError
from participate.extensions import htmx
from participate.forms_util import apply_error
from participate.params import int_arg, whole_number
from participate.petitions import answering, invalidating, moderating, reading, signing
from participate.petitions.blueprint import bp
from participate.petitions.conflicts import conflict_note
from participate.petitions.forms import (
    ActionForm,
    ApplyChangeForm,
    InvalidateOneForm,
    InvalidateRuleForm,
    RejectForm,
    ResponseForm,
)
from participate.petitions.standards import STANDARDS
from participate.util import utcnow


def _council_context(slug: str) -> dict:
    council = councils.council_by_slug(slug)
    return {
        "council": council,
        "is_clerk": role_in(current_user, council) == "clerk",
        "now": utcnow(),
    }


@bp.route("/councils/<slug>/petitions")
def council_petitions(slug: str):
    context = _council_context(slug)
    council = context["council"]
    listing = reading.list_petitions(council=council, sort="newest", per_page=50)
    return render_template(
        "petitions/council.html",
        **context,
        must_answer=reading.must_answer(council),
        queue=reading.moderation_queue(council) if context["is_clerk"] else [],
        listing=listing,
    )


@bp.route("/councils/<slug>/petitions/must-answer")
def must_answer(slug: str):
    context = _council_context(slug)
    return render_template(
        "petitions/must_answer.html",
        **context,
        petitions=reading.must_answer(context["council"]),
    )


@bp.route("/councils/<slug>/petitions/moderation")
@login_required
def moderation(slug: str):
    context = _council_context(slug)
    councils.require_clerk(current_user, context["council"])
    queue = reading.moderation_queue(context["council"])
    return render_template(
        "petitions/moderation.html",
        **context,
        queue=queue,
        conflicts={p.id: note for p in queue if (note := conflict_note(current_user, p))},
        action_form=ActionForm(),
        reject_form=RejectForm(),
        standards=STANDARDS,
    )


def _back(petition_id: int, anchor: str = ""):
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for("petitions.detail", petition_id=petition_id) + anchor, 303)


@bp.route("/petitions/<int:petition_id>/publish", methods=["POST"])
@login_required
def publish(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moderating.publish(current_user, petition)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            f"Published: open for signatures until {petition.signing_deadline:%-d %B %Y}; "
            f"threshold {petition.threshold:,}.",
            "success",
        )
    return _back(petition_id)


@bp.route("/petitions/<int:petition_id>/reject", methods=["POST"])
@login_required
def reject(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            moderating.reject(
                current_user, petition, standard=form.standard.data, reason=form.reason.data
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("The petition was rejected; the reason is published with it.", "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return _back(petition_id)


@bp.route("/petitions/<int:petition_id>/respond", methods=["GET", "POST"])
@login_required
def respond(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    if role_in(current_user, petition.council) != "clerk":
        abort(403)
    form = ResponseForm()
    if form.validate_on_submit():
        try:
            if not confirmed():  # the answer closes the petition for good: ask first
                answering.check_response(
                    current_user,
                    petition,
                    decision=form.decision.data,
                    response_text=form.response_text.data,
                )
                return _confirm_response(petition, form)
            answering.publish_response(
                current_user,
                petition,
                decision=form.decision.data,
                response_text=form.response_text.data,
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("The response is published and every signer is told.", "success")
            return redirect(url_for("petitions.detail", petition_id=petition_id) + "#response", 303)
    return render_template(
        "petitions/respond.html",
        petition=petition,
        form=form,
        conflict_note=conflict_note(current_user, petition),
    ), 400 if form.is_submitted() else 200


def _confirm_response(petition, form):
    decision = dict(form.decision.choices).get(form.decision.data, form.decision.data)
    return ask_to_confirm(
        title="Publish the council's response?",
        points=[
            f"“{petition.title}”: the council's decision is “{decision}”.",
            f"The response: {form.response_text.data.strip()}",
            "It is published on the petition, the petition closes, and its author and "
            "every signer are told.",
        ],
        button="Publish and close the petition",
        cancel_url=url_for("petitions.detail", petition_id=petition.id),
        warning="The response is final: once published, it cannot be changed.",
    )


@bp.route("/petitions/<int:petition_id>/apply", methods=["POST"])
@login_required
def apply_change(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    form = ApplyChangeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _back(petition_id)
    try:
        answering.apply_governance_change(current_user, petition, motion_id=form.motion_id.data)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("The change is applied as a new constitution version.", "success")
    return _back(petition_id)


# ---------------------------------------------------------------- signatures (clerks)


def _places(petition) -> list[tuple[str, str]]:
    home = petition.council.place  # members who name no place sign for it
    places = {home.slug: home.name, **dict(signing.place_choices(petition))}
    return [("", "Any place"), *places.items()]


def _services(petition) -> list[tuple[str, str]]:
    return [("", "Any service"), *signing.service_choices(petition)]


def _rule_from(form: InvalidateRuleForm) -> invalidating.InvalidationRule:
    return invalidating.InvalidationRule(
        email_domain=form.email_domain.data or "",
        date_from=datetime.combine(form.date_from.data, time.min) if form.date_from.data else None,
        date_to=(
            datetime.combine(form.date_to.data + timedelta(days=1), time.min)
            - timedelta(microseconds=1)
            if form.date_to.data
            else None
        ),
        place=form.place.data or "",
        service=form.service.data or "",
        declaration=form.declaration.data or "",
    )


@bp.route("/petitions/<int:petition_id>/signatures", methods=["GET", "POST"])
@login_required
def signatures(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    if role_in(current_user, petition.council) != "clerk":
        abort(403)
    rule_form = InvalidateRuleForm()
    rule_form.place.choices = _places(petition)
    rule_form.service.choices = _services(petition)
    preview = None
    status = 200
    if request.method == "POST" and rule_form.validate_on_submit():
        try:
            rule = _rule_from(rule_form)
            if request.form.get("action") == "preview":
                preview = invalidating.matching_count(current_user, petition, rule)
            else:
                n = invalidating.invalidate_by_rule(
                    current_user, petition, rule, reason=rule_form.reason.data or ""
                )
                flash(f"{n:,} signature{'s' if n != 1 else ''} invalidated.", "success")
                return redirect(url_for("petitions.signatures", petition_id=petition_id), 303)
        except DomainError as error:
            apply_error(rule_form, error)
            status = error.status if error.status != 403 else 400
    elif request.method == "POST":
        status = 400
    search = request.args.get("q", "")
    page = int_arg(request.args, "page")
    rows = invalidating.recent_signatures(petition, search=search, limit=50, offset=(page - 1) * 50)
    context = {
        "petition": petition,
        "rows": rows,
        "search": search,
        "page": page,
        "rule_form": rule_form,
        "one_form": InvalidateOneForm(),
        "preview": preview,
        "conflict_note": conflict_note(current_user, petition),
        "declared": invalidating.declared_counts(petition),
    }
    if htmx and request.method == "GET":
        return render_template("petitions/_signature_rows.html", **context)
    return render_template("petitions/signatures.html", **context), status


@bp.route("/petitions/<int:petition_id>/signatures/invalidate", methods=["POST"])
@login_required
def invalidate_one(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    form = InvalidateOneForm()
    if not form.validate_on_submit() or not form.signature_id.data.isdigit():
        abort(400)
    try:
        invalidating.invalidate_signature(
            current_user,
            petition,
            whole_number(form.signature_id.data, "signature_id"),
            reason=form.reason.data or "",
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("The signature is invalidated and the counts are updated.", "success")
    return redirect(url_for("petitions.signatures", petition_id=petition_id), 303)
