"""Pages of the downward flow: consultations, a council's must-answer list, positions, adoption."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

import participate.upward.integration  # noqa: F401  (registers consultations as round agenda items)
from participate.councils import services as councils
from participate.errors import DomainError
from participate.extensions import db, login
from participate.forms_util import apply_error
from participate.params import int_arg
from participate.upward import consultation_results, services
from participate.upward import consultations as service
from participate.upward.blueprint import bp
from participate.upward.forms import AdoptForm, ConsultationForm, PositionForm
from participate.util import utcnow
from participate.web import acting_user, is_htmx


@bp.route("/consultations")
def consultations():
    state = request.args.get("state", "")
    try:
        found = consultation_results.list_consultations(state=state)
    except DomainError as error:  # an unknown state: say so and list them all
        flash(f"{error.message} Showing every consultation.", "error")
        state, found = "", consultation_results.list_consultations()
    return render_template(
        "upward/consultations.html",
        consultations=found,
        state=state,
        now=utcnow(),
    )


@bp.route("/councils/<slug>/consultations")
def council_consultations(slug: str):
    council = councils.council_by_slug(slug)
    membership = councils.membership_of(current_user, council)
    is_clerk = membership is not None and membership.is_clerk
    return render_template(
        "upward/council_consultations.html",
        council=council,
        lists=consultation_results.for_council(council),
        is_clerk=is_clerk,
        can_publish=is_clerk and council.level == "nation" and not council.is_forum,
        now=utcnow(),
    )


@bp.route("/councils/<slug>/consultations/new", methods=["GET", "POST"])
@login_required
def new_consultation(slug: str):
    council = councils.council_by_slug(slug)
    service._publisher_membership(acting_user(), council, "publish a consultation")
    form = ConsultationForm()
    status = 200
    if form.validate_on_submit():
        try:
            consultation = service.publish_consultation(
                acting_user(),
                council,
                title=form.title.data or "",
                body=form.body.data or "",
                closes_at=form.closes_at.data,
            )
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
            status = 400 if error.status == 403 else error.status
        else:
            flash(
                f"The consultation is published to {consultation.cascade_count} councils; it "
                "is on each one's must-answer list.",
                "success",
            )
            return redirect(
                url_for("upward.consultation_page", consultation_id=consultation.id), 303
            )
    elif form.is_submitted():
        status = 400
    return render_template("upward/consultation_new.html", council=council, form=form), status


def _results_context(consultation, **extra):
    results = consultation_results.results(consultation)
    stance = request.args.get("stance", "")
    page = int_arg(request.args, "page")
    try:
        positions, total = consultation_results.positions_page(consultation, page, stance=stance)
    except DomainError as error:  # an unknown stance: say so and list every position
        flash(f"{error.message} Showing every position.", "error")
        stance = ""
        positions, total = consultation_results.positions_page(consultation, page)
    answering = _answering_councils(consultation)
    return {
        "consultation": consultation,
        "council": consultation.council,
        "results": results,
        "agg": results.aggregate,
        "region_names": {p.slug: p.name for p in results.regions.values()},
        "positions": positions,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // 50)),
        "stance": stance,
        "names": services.council_names([p.council_id for p in positions]),
        "state": consultation.state(utcnow()),
        "answering": answering,
        "is_minister": _is_minister(consultation.council),
        **extra,
    }


def _answering_councils(consultation):
    """Councils the signed-in clerk may submit this consultation's position for."""
    if not current_user.is_authenticated:
        return []
    import sqlalchemy as sa

    from participate.councils.models import Council, Membership
    from participate.upward.models import ConsultationCouncil, Position

    rows = db.session.scalars(
        sa.select(Council)
        .join(Membership, Membership.council_id == Council.id)
        .join(
            ConsultationCouncil,
            sa.and_(
                ConsultationCouncil.council_id == Council.id,
                ConsultationCouncil.consultation_id == consultation.id,
            ),
        )
        .where(
            Membership.user_id == current_user.id,
            Membership.status == "active",
            Membership.role.in_(("clerk", "minister")),
            ~sa.exists().where(
                Position.consultation_id == consultation.id, Position.council_id == Council.id
            ),
        )
        .order_by(Council.name)
    )
    return list(rows)


def _is_minister(council) -> bool:
    membership = councils.membership_of(current_user, council)
    return (
        membership is not None and membership.status == "active" and membership.role == "minister"
    )


@bp.route("/consultations/<int:consultation_id>")
def consultation_page(consultation_id: int):
    consultation = service.get_consultation(consultation_id)
    context = _results_context(consultation)
    if is_htmx() and request.headers.get("HX-Target") == "positions":
        return render_template("upward/_positions.html", **context)
    return render_template("upward/consultation.html", **context)


@bp.route("/councils/<slug>/consultations/<int:consultation_id>/position", methods=["GET", "POST"])
@login_required
def position(slug: str, consultation_id: int):
    council = councils.council_by_slug(slug)
    consultation = service.get_consultation(consultation_id)
    councils.require_clerk(acting_user(), council)
    form = PositionForm()
    form.motion.choices = [("", "No motion (the clerk records the council's position)")] + [
        (str(m.id), f"{m.title} (closed {m.closed_at:%-d %b %Y})")
        for m in services.closed_motions(council)
    ]
    status = 200
    if form.validate_on_submit():
        try:
            service.submit_position(
                acting_user(),
                consultation,
                council,
                stance=form.stance.data or "",
                text=form.text.data or "",
                motion_id=form.motion.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            apply_error(form, error)
            status = error.status if error.status != 403 else 403
        else:
            flash(f"{council.name}'s position is submitted.", "success")
            return redirect(
                url_for("upward.consultation_page", consultation_id=consultation.id), 303
            )
    elif form.is_submitted():
        status = 400
    return render_template(
        "upward/position.html",
        council=council,
        consultation=consultation,
        form=form,
        in_cascade=service.cascade_row(consultation, council) is not None,
        existing=service.position_of(consultation, council),
        state=consultation.state(utcnow()),
    ), status


@bp.route("/consultations/<int:consultation_id>/adoption", methods=["GET", "POST"])
def adoption(consultation_id: int):
    consultation = service.get_consultation(consultation_id)
    form = AdoptForm()
    status = 200
    if request.method == "POST":
        if not current_user.is_authenticated:
            return login.unauthorized()
        if form.validate_on_submit():
            try:
                service.adopt_requirement(acting_user(), consultation, note=form.note.data or "")
            except DomainError as error:
                db.session.rollback()
                apply_error(form, error)
                status = error.status
            else:
                flash(
                    "The national requirement is adopted; the councils consulted are told.",
                    "success",
                )
                return redirect(url_for("upward.adoption", consultation_id=consultation.id), 303)
        else:
            status = 400
    return render_template(
        "upward/adoption.html", **_results_context(consultation, form=form)
    ), status
