"""The admin's structure pages: services, places, councils, links, appointments, import."""

from __future__ import annotations

import json

import yaml
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from participate.accounts.services import user_by_email
from participate.admin.forms import (
    AppointForm,
    CouncilForm,
    EndAppointmentForm,
    ImportForm,
    LinkForm,
    PlaceForm,
    ServiceForm,
)
from participate.councils import memberships, services, structure
from participate.errors import DomainError
from participate.forms_util import apply_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    services.require_admin(current_user)


def _forms():
    place_form, council_form, link_form = (
        PlaceForm(prefix="place"),
        CouncilForm(prefix="council"),
        LinkForm(prefix="link"),
    )
    place_form.parent.choices = services.place_choice_groups("— none (a nation) —")
    council_form.service.choices = [("", "Place forum (no service)")] + [
        (s.slug, s.name) for s in services.list_services()
    ]
    # A required select starts on an empty choice (valid HTML; nothing is picked by accident).
    council_form.place.choices = services.place_choice_groups("Choose a place")
    council_choices = services.council_choice_groups("Choose a council")
    link_form.src.choices = council_choices
    link_form.dst.choices = council_choices
    appoint_form = AppointForm(prefix="appoint")
    appoint_form.council.choices = council_choices
    end_form = EndAppointmentForm(prefix="end")
    end_form.council.choices = council_choices
    return {
        "service_form": ServiceForm(prefix="service"),
        "place_form": place_form,
        "council_form": council_form,
        "link_form": link_form,
        "appoint_form": appoint_form,
        "end_form": end_form,
        "import_form": ImportForm(prefix="import"),
    }


def _page(status: int = 200, **overrides):
    forms = _forms()
    forms.update(overrides)
    return render_template("admin/index.html", services=services.list_services(), **forms), status


@bp.route("/")
def index():
    return _page()


def _handle(form_name: str, form, action, success: str):
    if form.validate_on_submit():
        try:
            action(form)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(success.format(form=form), "success")
            return redirect(url_for("admin.index"))
    return _page(400, **{form_name: form})


@bp.route("/services", methods=["POST"])
def create_service():
    return _handle(
        "service_form",
        _forms()["service_form"],
        lambda f: structure.create_service(
            current_user, f.slug.data.strip(), f.name.data, f.description.data or ""
        ),
        "Service {form.name.data} created.",
    )


@bp.route("/places", methods=["POST"])
def create_place():
    return _handle(
        "place_form",
        _forms()["place_form"],
        lambda f: structure.create_place(
            current_user,
            f.slug.data.strip(),
            f.name.data,
            f.level.data,
            f.parent.data or None,
            f.population.data,
        ),
        "Place {form.name.data} created.",
    )


@bp.route("/councils", methods=["POST"])
def create_council():
    return _handle(
        "council_form",
        _forms()["council_form"],
        lambda f: structure.create_council(
            current_user,
            f.slug.data.strip(),
            f.service.data or None,
            f.place.data,
            f.name.data or "",
            f.remit.data or "",
        ),
        "Council {form.slug.data} created with its first constitution.",
    )


@bp.route("/links", methods=["POST"])
def create_link():
    return _handle(
        "link_form",
        _forms()["link_form"],
        lambda f: structure.create_link(current_user, f.src.data, f.dst.data, f.kind.data),
        "Link {form.src.data} → {form.dst.data} added.",
    )


def _account(email: str):
    user = user_by_email(email)
    if user is None:
        raise DomainError(
            "No account uses that e-mail. Ask the person to sign up, or create it with the CLI.",
            code="unknown_user",
            field="email",
        )
    return user


def _appoint(form):
    user = _account(form.email.data)
    memberships.appoint(
        current_user,
        user,
        services.council_by_slug(form.council.data),
        form.role.data,
        form.constituency.data,
    )


@bp.route("/appointments", methods=["POST"])
def appoint():
    return _handle(
        "appoint_form",
        _forms()["appoint_form"],
        _appoint,
        "{form.email.data} appointed {form.role.data} of {form.council.data}.",
    )


@bp.route("/appointments/end", methods=["POST"])
def end_appointment():
    return _handle(
        "end_form",
        _forms()["end_form"],
        lambda f: memberships.end_appointment(
            current_user, _account(f.email.data), services.council_by_slug(f.council.data)
        ),
        "{form.email.data} is no longer a clerk or minister of {form.council.data}; "
        "they remain a member.",
    )


def _import(form):
    raw = form.file.data.read()
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise DomainError(
            f"The file is not valid YAML or JSON: {exc}", code="bad_file", field="file"
        ) from exc
    counts = structure.import_structure(data, actor=current_user)
    changed = counts.pop("changed")
    flash("Imported: " + ", ".join(f"{n} {k}" for k, n in counts.items()), "success")
    for line in changed:
        flash(f"Updated the {line} (recorded in the audit log).", "success")


@bp.route("/import", methods=["POST"])
def import_file():
    return _handle(
        "import_form", _forms()["import_form"], _import, "The structure file was applied."
    )
