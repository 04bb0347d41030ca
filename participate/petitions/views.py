"""Petition pages: list, start, sponsor, read, sign. Clerk pages are in clerk_views.py.

Views parse the input, call one service, map a DomainError onto the form or a flash, and
render. Each htmx fragment is the same partial the full page includes.
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from participate.core import petitions as rules
from participate.councils import services as councils
from participate.councils.access import role_in
from participate.errors import DomainError
from participate.extensions import htmx
from participate.forms_util import apply_error
from participate.params import int_arg
from participate.petitions import (
    answering,
    clerk_views,  # noqa: F401  (the clerk's routes on bp)
    drafting,
    limits,
    reading,
    shown_counts,
    signing,
    sponsoring,
)
from participate.petitions.blueprint import bp
from participate.petitions.conflicts import conflict_note
from participate.petitions.forms import (
    WEIGHT_FIELDS,
    ActionForm,
    ApplyChangeForm,
    PetitionForm,
    RejectForm,
    ResponseForm,
    SignForm,
)
from participate.petitions.models import Petition
from participate.petitions.standards import STANDARDS
from participate.ratelimit import retry_after_headers
from participate.util import utcnow

NAV_ITEMS = [{"label": "Petitions", "endpoint": "petitions.petition_list"}]
COUNCIL_TABS = [{"label": "Petitions", "endpoint": "petitions.council_petitions"}]


@bp.app_template_global()
def petition_status_label(status: str) -> str:
    return {
        "draft": "Draft",
        "collecting_sponsors": "Collecting sponsors",
        "in_moderation": "Waiting for moderation",
        "rejected": "Rejected",
        "open": "Open",
        "threshold_reached": "Threshold reached — awaiting the council's answer",
        "closed": "Answered",
        "closed_unsuccessful": "Closed without reaching the threshold",
    }.get(status, status)


@bp.app_template_global()
def constituency_singular(constituency: str) -> str:
    return {
        "citizen": "a citizen",
        "employee": "an employee",
        "leader": "a service leader",
        "elected": "an elected member",
        "partner": "a partner organisation",
    }.get(constituency, constituency)


@bp.app_template_global()
def petition_kind_label(kind: str) -> str:
    return reading.KIND_LABELS.get(kind, kind)


# ---------------------------------------------------------------- list and standards


@bp.route("/petitions")
def petition_list():
    council_slug = request.args.get("council") or ""
    council = councils.council_by_slug(council_slug) if council_slug else None
    filters = {
        "council": council_slug,
        "kind": request.args.get("kind") or "",
        "status": request.args.get("status") or "",
        "sort": request.args.get("sort") or rules.DEFAULT_SORT,
    }
    try:
        listing = reading.list_petitions(
            council=council,
            kind=filters["kind"] or None,
            status=filters["status"] or None,
            sort=filters["sort"],
            page=int_arg(request.args, "page"),
        )
    except DomainError as error:  # an unknown filter or sort: say so, show the default list
        flash(f"{error.message} Showing all petitions, most signed first.", "error")
        return redirect(url_for("petitions.petition_list"))
    context = {
        "listing": listing,
        "filters": filters,
        "council_groups": councils.council_choice_groups(),
        "kinds": reading.KIND_LABELS,
        "statuses": reading.PUBLIC_STATUSES,
        "sorts": rules.SORTS,
    }
    if htmx:
        return render_template("petitions/_list.html", **context)
    return render_template("petitions/list.html", **context)


@bp.route("/petitions/standards")
def standards():
    return render_template("petitions/standards.html", standards=STANDARDS.values())


@bp.route("/petitions/mine")
@login_required
def mine():
    return render_template(
        "petitions/mine.html", petitions=reading.petitions_of_author(current_user)
    )


# ---------------------------------------------------------------- starting and editing


def _council_choices() -> dict[str | None, list[tuple[str, str]]]:
    return councils.council_choice_groups("Choose a council")


def _apply_settings_error(form: PetitionForm, error: DomainError) -> None:
    problems = getattr(error, "errors", None) or {}
    placed = False
    for key, problem in problems.items():
        field = form.field_for_setting(key)
        if field is not None:
            field.errors = list(field.errors) + [f"{key}: {problem}"]
            placed = True
    if not placed:
        apply_error(form, error)
    else:
        form.form_errors.append(error.message)


@bp.route("/petitions/new", methods=["GET", "POST"])
@login_required
def new_petition():
    form = PetitionForm()
    form.council.choices = _council_choices()
    if request.method == "GET" and request.args.get("council"):
        form.council.data = request.args["council"]
    if form.validate_on_submit():
        try:
            council = councils.council_by_slug(form.council.data)
            petition = drafting.start_petition(current_user, council, **form.draft())
        except drafting.SettingsError as error:
            _apply_settings_error(form, error)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash(
                "Your petition is saved as a draft. Read it through, then invite sponsors.",
                "success",
            )
            return redirect(url_for("petitions.detail", petition_id=petition.id), 303)
    return render_template(
        "petitions/form.html", form=form, petition=None, weight_fields=WEIGHT_FIELDS
    ), 400 if form.is_submitted() else 200


@bp.route("/petitions/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    if petition.author_id != current_user.id:
        abort(403)
    form = PetitionForm(obj=petition if request.method == "GET" else None)
    form.council.choices = [(petition.council.slug, petition.council.name)]
    form.council.data = petition.council.slug
    if request.method == "GET" and petition.proposed_settings:
        for key, value in petition.proposed_settings.items():
            if key == "weights":
                for c, w in value.items():
                    getattr(form, f"weight_{c}").data = f"{w:g}"
            elif key == "concurrent_majority":
                form.concurrent_majority.data = "yes" if value else "no"
            elif hasattr(form, key):
                getattr(form, key).data = f"{value:g}" if isinstance(value, float) else str(value)
    if form.validate_on_submit():
        try:
            drafting.edit_petition(current_user, petition, **form.draft())
        except drafting.SettingsError as error:
            _apply_settings_error(form, error)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Your draft is saved.", "success")
            return redirect(url_for("petitions.detail", petition_id=petition.id), 303)
    return render_template(
        "petitions/form.html", form=form, petition=petition, weight_fields=WEIGHT_FIELDS
    ), 400 if form.is_submitted() else 200


@bp.route("/petitions/<int:petition_id>/invite", methods=["POST"])
@login_required
def invite(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    try:
        sponsoring.invite_sponsors(current_user, petition)
    except DomainError as error:
        flash(error.message, "error")
    else:
        if petition.status == "in_moderation":
            flash("This council needs no sponsors: your petition went to the clerk.", "success")
        else:
            flash(
                f"Share the private sponsor link below: {petition.sponsors_needed} people must "
                "sponsor your petition before the clerk sees it.",
                "success",
            )
    return redirect(url_for("petitions.detail", petition_id=petition_id), 303)


@bp.route("/petitions/sponsor/<token>", methods=["GET", "POST"])
def sponsor(token: str):
    petition = sponsoring.petition_by_token(token)
    form = ActionForm()
    status = 200
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        if form.validate_on_submit():
            try:
                count = sponsoring.sponsor_petition(current_user, petition)
            except DomainError as error:
                flash(error.message, "error")
                status = error.status
            else:
                flash(
                    f"Thank you for sponsoring this petition ({count} of "
                    f"{petition.sponsors_needed} sponsors).",
                    "success",
                )
                return redirect(url_for("petitions.sponsor", token=token), 303)
    return render_template(
        "petitions/sponsor.html",
        petition=petition,
        form=form,
        count=reading.sponsor_count(petition),
        already=reading.is_sponsor(current_user, petition),
        is_author=current_user.is_authenticated and petition.author_id == current_user.id,
    ), status


# ---------------------------------------------------------------- the petition page


def _sign_form(petition: Petition) -> SignForm:
    """Nothing is chosen for the signer: they name the place, or the service, themselves."""
    form = SignForm(request.form if request.method == "POST" else None)
    form.place.choices = signing.place_choices(petition)
    form.service.choices = signing.service_choices(petition)
    return form


def _sign_context(petition: Petition, *, form=None, error=None, signed=None) -> dict:
    signature = signed or signing.signature_of(current_user, petition.id)
    member = None
    if current_user.is_authenticated and signature is None:
        membership = councils.membership_of(current_user, petition.council)
        if membership is not None and membership.status == "active":
            member = membership.constituency
    return {
        "petition": petition,
        "sign_form": form or _sign_form(petition),
        "signature": signature,
        "member_constituency": member,
        "sign_error": error,
    }


def _counts_context(petition: Petition) -> dict:
    counts = shown_counts.counts_for(petition)
    return {
        "petition": petition,
        "counts": counts,
        "chart": shown_counts.chart_for(petition, counts),
    }


@bp.route("/petitions/<int:petition_id>")
def detail(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    role = role_in(current_user, petition.council)
    is_author = current_user.is_authenticated and petition.author_id == current_user.id
    acting = is_author or role == "clerk"  # only they get the forms of the page's actions
    context = {
        **_counts_context(petition),
        **_sign_context(petition),
        "role": role,
        "is_author": is_author,
        "is_clerk": role == "clerk",
        "sponsors": reading.sponsors_of(petition) if not petition.is_published else [],
        "action_form": ActionForm() if acting else None,
        "reject_form": RejectForm() if acting else None,
        "response_form": ResponseForm() if acting else None,
        "apply_form": ApplyChangeForm() if acting else None,
        "standards": STANDARDS,
        "decision_labels": reading.DECISION_LABELS,
        "route_labels": reading.ROUTE_LABELS,
        "kind_hints": reading.KIND_HINTS,
        "now": utcnow(),
        "can_apply": _can_apply(petition, role),
        "deciding_motion": answering.deciding_motion(petition),
        "conflict_note": conflict_note(current_user, petition) if role == "clerk" else None,
    }
    return render_template("petitions/detail.html", **context)


def _can_apply(petition: Petition, role: str) -> bool:
    return (
        role == "clerk"
        and petition.kind in rules.CONSTITUTION_KINDS
        and petition.status in ("threshold_reached", "closed")
        and petition.response_decision != "rejected"  # not adopted: nothing to apply
        and petition.constitution_version_id is None
    )


@bp.route("/petitions/<int:petition_id>/counts")
def counts(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    if not htmx:
        return redirect(url_for("petitions.detail", petition_id=petition_id) + "#counts")
    return render_template("petitions/_counts.html", **_counts_context(petition))


@bp.route("/petitions/<int:petition_id>/chart")
def chart(petition_id: int):
    petition = reading.petition_for(current_user, petition_id)
    if not htmx:
        return redirect(url_for("petitions.detail", petition_id=petition_id) + "#chart")
    return render_template("petitions/_chart.html", **_counts_context(petition))


@bp.route("/petitions/<int:petition_id>/counts.csv")
def counts_csv(petition_id: int):
    """Open data: the counts by constituency, by place and by day, as CSV."""
    import csv
    import io

    petition = reading.petition_for(current_user, petition_id)
    counts = shown_counts.counts_for(petition)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["petition", "dimension", "key", "signatures"])
    writer.writerow([petition.id, "total", "", counts.total])
    for constituency, n in counts.by_constituency.items():
        writer.writerow([petition.id, "constituency", constituency, n])
    for place, n in counts.by_place:
        writer.writerow([petition.id, "place", place.slug, n])
    daily: dict[str, int] = {}
    for hour, n in shown_counts.hourly_tallies(petition.id).items():
        daily[hour[:10]] = daily.get(hour[:10], 0) + n
    for day in sorted(daily):
        writer.writerow([petition.id, "day", day, daily[day]])
    return (
        out.getvalue(),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="petition-{petition.id}-counts.csv"',
        },
    )


@bp.route("/petitions/<int:petition_id>/sign", methods=["POST"])
@limits.signing_limits
def sign(petition_id: int):
    """Sign: the same service as the API. With htmx the answer is the signing panel's
    fragment (no page chrome); without JavaScript, a redirect back to the petition."""
    try:
        signed = signing.sign_petition(
            current_user,
            petition_id,
            declaration=request.form.get("declaration", ""),
            place=request.form.get("place") or None,
            service=request.form.get("service") or None,
        )
    except DomainError as error:
        if error.code == "sign_in_required" and not htmx:  # no session, or a stale one
            page = url_for("petitions.detail", petition_id=petition_id)
            return redirect(url_for("accounts.login", next=page))
        if htmx:
            html = render_template(
                "petitions/_sign_refused.html", message=error.message, petition_id=petition_id
            )
            return html, error.status
        flash(error.message, "error")
        return redirect(url_for("petitions.detail", petition_id=petition_id) + "#sign", 303)
    if htmx:
        html = render_template("petitions/_signed.html", signed=signed, thanks=True)
        return html, 200, {"HX-Trigger": "petition-signed"}
    flash(
        "Thank you: your signature is recorded. The count updates within a few seconds.",
        "success",
    )
    return redirect(url_for("petitions.detail", petition_id=petition_id) + "#sign", 303)


@bp.errorhandler(429)
def _too_many(error):
    message = (
        "You are signing too quickly: wait a minute and try again. Signatures already "
        "made are recorded."
    )
    headers = retry_after_headers(error)
    if htmx:
        return render_template("petitions/_sign_refused.html", message=message), 429, headers
    return (
        render_template("error.html", status=429, title="Too many requests", message=message),
        429,
        headers,
    )
