"""The admin's structure pages: services, places, councils, links, appointments, import."""

from __future__ import annotations

import json
import re

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
from participate.councils.structure_plan import StructureError
from participate.errors import DomainError
from participate.forms_util import apply_error
from participate.wording import LINK_KINDS

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


def _handle(form_name: str, form, action, success):
    """Run ``action``; ``success`` is the message, or a function of the form and what the action
    returned (to name what was made by its name, not its slug)."""
    if form.validate_on_submit():
        try:
            done = action(form)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(success(form, done) if callable(success) else success, "success")
            return redirect(url_for("admin.index"))
    return _page(400, **{form_name: form})


# How the forum-graph rules (shared with structure files, which speak in slugs) name things,
# put in words for the admin's one-link form: councils by name, the link kinds in words.
_LINK_PREFIX = re.compile(r"^link \S+ -> \S+(?: \(\w+\))?:? ?")
_CHAIN = re.compile(r"\S+(?: -> \S+)+")


def _council_names() -> dict[str, str]:
    groups = services.council_choice_groups()
    return {slug: name for options in groups.values() for slug, name in options}


def _in_words(problem: str, names: dict[str, str]) -> str:
    """One refusal of the graph rules as a sentence: 'link a -> b (reports_to): a cycle: a -> b
    -> a' becomes 'It would close a loop: A, B, then back to A.'"""
    text = _LINK_PREFIX.sub("", problem)

    def chain(match: re.Match) -> str:
        slugs = match.group(0).split(" -> ")
        if len(slugs) > 2 and slugs[0] == slugs[-1]:  # a loop, starting with the new link
            rest = "".join(f", which is linked to {slug}" for slug in slugs[2:])
            return f"{slugs[0]} would be linked to {slugs[1]}{rest}"
        if len(slugs) == 2:
            return f"the link from {slugs[0]} to {slugs[1]}"
        return " then ".join(slugs)

    text = _CHAIN.sub(chain, text)
    text = text.replace("would close a cycle", "it would close a loop")
    text = text.replace("is already linked", "already exists")
    if text.startswith("already exists"):
        text = "these councils are already linked" + text.removeprefix("already exists")
    for slug in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", names[slug], text)
    for level, words in (("nation", "national"), ("region", "regional"), ("local", "local")):
        text = text.replace(f"({level})", f"({words})")
    for kind, words in LINK_KINDS.items():
        text = re.sub(rf"; {kind} must", f"; a “{words}” link must", text)
        text = re.sub(rf"\b{kind}\b", f"“{words}”", text)
    text = text.strip() or problem
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _add_link(form):
    try:
        return structure.create_link(current_user, form.src.data, form.dst.data, form.kind.data)
    except StructureError as error:
        names = _council_names()
        raise DomainError(
            "This link cannot be added. "
            + " ".join(_in_words(problem, names) for problem in error.problems),
            code=error.code,
            field="dst",
        ) from error


def _link_added(form, link) -> str:
    names = _council_names()
    source, target = names.get(form.src.data, form.src.data), names.get(form.dst.data, "")
    if form.kind.data == "ringmaster":
        return f"{source} now meets in {target}."
    return f"{source} now reports to {target}."


@bp.route("/services", methods=["POST"])
def create_service():
    return _handle(
        "service_form",
        _forms()["service_form"],
        lambda f: structure.create_service(
            current_user, f.slug.data.strip(), f.name.data, f.description.data or ""
        ),
        lambda form, _: f"Service {form.name.data} created.",
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
        lambda form, _: f"Place {form.name.data} created.",
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
        lambda form, council: f"{council.name} created with its first constitution.",
    )


@bp.route("/links", methods=["POST"])
def create_link():
    return _handle(
        "link_form",
        _forms()["link_form"],
        _add_link,
        _link_added,
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
    return memberships.appoint(
        current_user,
        user,
        services.council_by_slug(form.council.data),
        form.role.data,
        form.constituency.data,
    )


def _appointed(form, membership) -> str:
    return (
        f"{membership.user.name} ({form.email.data}) is now {form.role.data} "
        f"of {membership.council.name}."
    )


def _end_appointment(form):
    council = services.council_by_slug(form.council.data)
    memberships.end_appointment(current_user, _account(form.email.data), council)
    return council


@bp.route("/appointments", methods=["POST"])
def appoint():
    return _handle(
        "appoint_form",
        _forms()["appoint_form"],
        _appoint,
        _appointed,
    )


@bp.route("/appointments/end", methods=["POST"])
def end_appointment():
    return _handle(
        "end_form",
        _forms()["end_form"],
        _end_appointment,
        lambda form, council: (
            f"{form.email.data} is no longer a clerk or minister of "
            f"{council.name}; they remain a member."
        ),
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
        flash(f"Updated the {_change_in_words(line)} (recorded in the audit log).", "success")


def _change_in_words(line: str) -> str:
    """'population of place 'manchester': 1 -> 2' as 'population of Manchester from 1 to 2'."""
    found = re.fullmatch(r"population of place '(.+)': (\S+) -> (\S+)", line)
    if found is None:
        return line.replace(" -> ", " to ")
    slug, old, new = found.groups()
    place = next(
        (
            name
            for options in services.place_choice_groups().values()
            for s, name in options
            if s == slug
        ),
        slug,
    )

    def number(text: str) -> str:
        return f"{int(text):,}" if text.isdigit() else text

    return f"population of {place} from {number(old)} to {number(new)}"


@bp.route("/import", methods=["POST"])
def import_file():
    return _handle(
        "import_form", _forms()["import_form"], _import, "The structure file was applied."
    )
