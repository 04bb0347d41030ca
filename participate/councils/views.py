"""Public pages: services, places, councils, constitutions, memberships, the forum map."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from participate.audit.services import events_query
from participate.councils import forum_map as map_data
from participate.councils import memberships, search, services
from participate.councils.forms import ConstitutionForm, DecisionForm, JoinForm
from participate.councils.models import Council, Place, Service
from participate.errors import DomainError
from participate.extensions import db
from participate.forms_util import apply_error
from participate.params import int_arg, whole_number
from participate.web import is_htmx

bp = Blueprint("councils", __name__)


@bp.route("/")
def home():
    counts = {
        "services": db.session.scalar(sa.select(sa.func.count()).select_from(Service)),
        "places": db.session.scalar(sa.select(sa.func.count()).select_from(Place)),
        "councils": db.session.scalar(sa.select(sa.func.count()).select_from(Council)),
    }
    national = services.list_councils(level="nation")
    return render_template(
        "councils/home.html", counts=counts, services=services.list_services(), national=national
    )


@bp.route("/services")
def service_list():
    return render_template("councils/services.html", services=services.list_services())


@bp.route("/services/<slug>")
def service_detail(slug: str):
    service = services.service_by_slug(slug)
    councils = services.list_councils(service=slug)
    return render_template(
        "councils/service.html",
        service=service,
        councils=councils,
        members=services.counts_by_council([c.id for c in councils]),
    )


@bp.route("/places")
def place_list():
    return render_template("councils/places.html", places=services.list_places())


@bp.route("/places/<slug>")
def place_detail(slug: str):
    place = services.place_by_slug(slug)
    councils = services.list_councils(place=slug)
    return render_template(
        "councils/place.html",
        place=place,
        councils=councils,
        children=sorted(place.children, key=lambda p: p.name),
    )


@bp.route("/councils")
def council_list():
    args = request.args
    asked = {
        "q": args.get("q", ""),
        "service": args.get("service") or None,
        "level": args.get("level") or None,
    }
    problem = None
    try:
        page = int_arg(args, "page", 1, code="bad_page") or 1
        found = search.search_councils(**asked, page=page, per_page=search.PER_PAGE)
    except DomainError as error:  # an unknown filter or an over-long query: say so, list all
        problem = f"{error.message} Showing every council."
        found = search.search_councils(per_page=search.PER_PAGE)
    template = "councils/list_results.html" if is_htmx() else "councils/list.html"
    return render_template(
        template,
        found=found,
        problem=problem,
        councils=found.items,
        services=services.list_services(),
        members=services.counts_by_council([c.id for c in found.items]),
    )


@bp.route("/councils/<slug>")
def council_detail(slug: str):
    council = services.council_by_slug(slug)
    membership = services.membership_of(current_user, council)
    return render_template(
        "councils/council.html",
        council=council,
        constitution=services.current_constitution(council),
        members=services.members_by_constituency(council.id),
        links_up=services.links_up(council),
        links_down=services.links_down(council),
        membership=membership,
        is_clerk=services.is_clerk(current_user, council),
        join_form=JoinForm(),
        recent_events=db.session.scalars(events_query(council.id).limit(5)).all(),
    )


@bp.route("/councils/<slug>/join", methods=["GET", "POST"])
@login_required
def join(slug: str):
    council = services.council_by_slug(slug)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            memberships.request_membership(
                current_user, council, form.constituency.data, form.statement.data or ""
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                f"Your request to join {council.name} was sent to its clerk. You will be told the outcome.",
                "success",
            )
            return redirect(url_for("councils.council_detail", slug=slug))
    return render_template(
        "councils/join.html",
        council=council,
        form=form,
        membership=services.membership_of(current_user, council),
    ), 400 if form.is_submitted() else 200


@bp.route("/councils/<slug>/members", methods=["GET"])
def members(slug: str):
    council = services.council_by_slug(slug)
    is_clerk = services.is_clerk(current_user, council)
    return render_template(
        "councils/members.html",
        council=council,
        counts=services.members_by_constituency(council.id),
        is_clerk=is_clerk,
        pending=memberships.pending_requests(council) if is_clerk else [],
        roster=memberships.active_members(council),
        form=DecisionForm(),
    )


@bp.route("/councils/<slug>/members/decide", methods=["POST"])
@login_required
def decide(slug: str):
    council = services.council_by_slug(slug)
    form = DecisionForm()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in {"admit", "decline", "suspend", "reinstate"}:
        abort(400)
    membership_id = whole_number(form.membership_id.data, "membership_id")
    reason = form.reason.data or ""
    try:
        if action in ("admit", "decline"):
            membership = memberships.decide_membership(
                current_user, membership_id, admit=action == "admit", reason=reason, council=council
            )
        else:
            membership = memberships.set_suspended(
                current_user,
                membership_id,
                suspended=action == "suspend",
                reason=reason,
                council=council,
            )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("councils.members", slug=slug)), 303
    verb = {
        "admit": "admitted",
        "decline": "declined",
        "suspend": "suspended",
        "reinstate": "reinstated",
    }[action]
    flash(f"{membership.user.name} {verb}.", "success")
    return redirect(url_for("councils.members", slug=slug)), 303


@bp.route("/councils/<slug>/constitution")
def constitution(slug: str):
    council = services.council_by_slug(slug)
    return render_template(
        "councils/constitution.html",
        council=council,
        history=services.constitution_history(council),
        is_clerk=services.is_clerk(current_user, council),
    )


@bp.route("/councils/<slug>/constitution/<int:number>")
def constitution_version(slug: str, number: int):
    council = services.council_by_slug(slug)
    version = services.constitution_version(council, number)
    return render_template("councils/constitution_version.html", council=council, version=version)


@bp.route("/councils/<slug>/constitution/revise", methods=["GET", "POST"])
@login_required
def revise_constitution(slug: str):
    council = services.council_by_slug(slug)
    services.require_clerk(current_user, council)
    current = services.current_constitution(council)
    form = ConstitutionForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        form.reason.data = ""
    if form.validate_on_submit():
        try:
            version = services.revise_constitution_text(
                current_user,
                council,
                purpose=form.purpose.data,
                values_text=form.values_text.data,
                promises=form.promises.data,
                reason=form.reason.data,
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(f"Version {version.number} of the constitution is published.", "success")
            return redirect(url_for("councils.constitution", slug=slug))
    return render_template(
        "councils/revise.html", council=council, form=form
    ), 400 if form.errors else 200


@bp.route("/forums/map")
def forum_map():
    """One service's network (the first by default) as a picture and as rows of links;
    ``?service=all``: every council as a list, by level (``&level=``)."""
    service = map_data.choose_service(request.args.get("service") or None)
    level = request.args.get("level") or None
    return render_template(
        "councils/map.html",
        services=services.list_services(),
        service=service,
        drawn=map_data.service_map(service) if service is not None else None,
        listed=map_data.all_councils(level) if service is None else None,
        levels=map_data.level_names(),
        level=level,
    )
