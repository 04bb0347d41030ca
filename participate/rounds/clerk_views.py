"""The clerk's pages and actions: create a round, advance it, the evidence pack, the agenda
(add or remove in briefing, voting methods, merges in refinement), answers, outcomes and
the minutes. Thin: parse the form, call one service, map a refusal onto the form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from participate.confirming import ask_to_confirm, confirmed
from participate.core.phases import next_phase
from participate.councils import services as councils
from participate.councils.access import require_round, role_in
from participate.errors import DomainError
from participate.extensions import db
from participate.forms_util import apply_error
from participate.petitions.conflicts import conflict_note
from participate.petitions.models import Petition
from participate.rounds import (
    agenda,
    briefing,
    decisions,
    hooks,
    lifecycle,
    outcomes,
    services,
)
from participate.rounds.blueprint import bp
from participate.rounds.evidence import attachment_limit, get_question
from participate.rounds.forms import (
    AdvanceForm,
    AgendaAddForm,
    AnswerForm,
    AttachmentForm,
    EvidenceForm,
    LinkForm,
    MergeForm,
    MethodForm,
    MinutesNoteForm,
    OutcomeForm,
    RoundForm,
    agenda_from_form,
    default_schedule,
)
from participate.rounds.items import item_of, load_round
from participate.rounds.minutes import republish
from participate.rounds.models import PHASE_LABELS
from participate.rounds.outcomes import closed_result
from participate.rounds.round_page import page_context


def _back(round_, anchor: str | None = None):
    return redirect(url_for("rounds.round_page", round_id=round_.id, _anchor=anchor))


def _page_with(round_, status: int = 400, **forms):
    return render_template("rounds/round.html", **page_context(round_, **forms)), status


# ---------------------------------------------------------------- creating a round


def _candidates(council):
    from participate.proposals.listing import list_proposals

    proposals = list_proposals(council, status="open", sort="supported", per_page=100).items
    consultations = hooks.candidates("consultation", council)
    return proposals, services.petitions_to_answer(council), consultations


@bp.route("/councils/<slug>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(slug: str):
    council = councils.council_by_slug(slug)
    if role_in(current_user, council) != "clerk":
        raise DomainError(
            f"Only the clerks of {council.name} can run its deliberation rounds; ask a clerk.",
            code="clerks_only",
            status=403,
        )
    form = RoundForm()
    proposals, petitions, consultations = _candidates(council)
    agenda_error = None
    if request.method == "GET":
        for phase, end in default_schedule().items():
            getattr(form, f"{phase}_ends_at").data = end
    elif form.validate_on_submit():
        try:
            try:
                agenda = agenda_from_form(request.form)
            except ValueError as exc:
                raise DomainError(str(exc), field="agenda") from None
            round_ = services.create_round(
                current_user,
                council,
                title=form.title.data,
                purpose=form.purpose.data,
                agenda=agenda,
                schedule=form.schedule(),
            )
        except DomainError as error:
            if error.field == "agenda":
                agenda_error = error.message
                form.form_errors.append(error.message)
            else:
                apply_error(form, error)
        else:
            flash(f"The round “{round_.title}” is open: it starts with the briefing.", "success")
            return redirect(url_for("rounds.round_page", round_id=round_.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "rounds/new.html",
        council=council,
        form=form,
        proposals=proposals,
        petitions=petitions,
        consultations=consultations,
        agenda_error=agenda_error,
        chosen=request.form,
    ), status


# ---------------------------------------------------------------- advancing


@bp.route("/rounds/<int:round_id>/advance", methods=["POST"])
@login_required
def advance(round_id: int):
    round_ = services.get_round(round_id)
    form = AdvanceForm()
    before = round_.phase
    try:
        if not confirmed() and not round_.is_closed:  # ask first, once allowed
            require_round(round_, "advance_phase", current_user)
            return _confirm_advance(round_)
        lifecycle.advance_phase(current_user, round_, expected=form.from_phase.data or None)
    except DomainError as error:
        flash(error.message, "error")
        return _page_with(round_, status=error.status)
    flash(
        f"The round moved from {PHASE_LABELS[before].lower()} to "
        f"{PHASE_LABELS[round_.phase].lower()}; members have been told.",
        "success",
    )
    return _back(round_)


def _confirm_advance(round_):
    target = next_phase(round_.phase)
    closing = target == "closed"
    points = [
        f"“{round_.title}” moves from {PHASE_LABELS[round_.phase].lower()} to "
        f"{PHASE_LABELS[target].lower()} now, before its planned end.",
        "Every member of the council is told.",
    ]
    if closing:
        points.append("The minutes are published with the decisions recorded.")
    return ask_to_confirm(
        title="Close the round?" if closing else f"Move to {PHASE_LABELS[target].lower()}?",
        points=points,
        button="Close the round" if closing else f"Move to {PHASE_LABELS[target].lower()}",
        cancel_url=url_for("rounds.round_page", round_id=round_.id),
        warning="A round never goes back to an earlier phase.",
    )


# ---------------------------------------------------------------- evidence pack


@bp.route("/rounds/<int:round_id>/evidence", methods=["POST"])
@login_required
def evidence(round_id: int):
    round_ = services.get_round(round_id)
    form = EvidenceForm()
    status = 400
    if form.validate_on_submit():
        try:
            briefing.update_evidence(current_user, round_, text=form.evidence.data)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("The evidence pack is published.", "success")
            return _back(round_, "evidence-pack")
    return _page_with(round_, status=status, evidence_form=form)


@bp.route("/rounds/<int:round_id>/links", methods=["POST"])
@login_required
def add_link(round_id: int):
    round_ = services.get_round(round_id)
    form = LinkForm()
    status = 400
    if form.validate_on_submit():
        try:
            briefing.add_link(current_user, round_, title=form.title.data, url=form.url.data)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("The link is in the evidence pack.", "success")
            return _back(round_, "evidence-pack")
    return _page_with(round_, status=status, link_form=form)


@bp.route("/rounds/<int:round_id>/links/<int:link_id>/delete", methods=["POST"])
@login_required
def remove_link(round_id: int, link_id: int):
    round_ = services.get_round(round_id)
    try:
        briefing.remove_link(current_user, round_, link_id)
    except DomainError as error:
        flash(error.message, "error")
        return _page_with(round_, status=error.status)
    flash("The link was removed.", "success")
    return _back(round_, "evidence-pack")


@bp.route("/rounds/<int:round_id>/files", methods=["POST"])
@login_required
def add_attachment(round_id: int):
    round_ = services.get_round(round_id)
    form = AttachmentForm()
    upload = request.files.get("file")
    if form.validate_on_submit():
        try:
            if upload is None or not upload.filename:
                raise DomainError("Choose a file to attach.", code="file_required", field="file")
            data = upload.read(attachment_limit() + 1)
            briefing.add_attachment(current_user, round_, filename=upload.filename, data=data)
        except DomainError as error:
            apply_error(form, error)
            return _page_with(round_, status=error.status, attachment_form=form)
        flash(f"“{upload.filename}” is attached to the evidence pack.", "success")
        return _back(round_, "evidence-pack")
    return _page_with(round_, attachment_form=form)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A request over the server's limit (read before the view, e.g. by the CSRF check):
    on the attachment form, say so on the round page; elsewhere, the site's 413 page."""
    if request.endpoint != "rounds.add_attachment":
        return render_template(
            "error.html", status=413, title="Too large", message="That upload is too large."
        ), 413
    round_ = load_round(request.view_args.get("round_id"))
    form = AttachmentForm(formdata=None)
    limit = attachment_limit() // (1024 * 1024)
    form.file.errors = [
        f"That file is larger than the server accepts; attachments are limited to {limit} MB. "
        "Compress it or link to it instead."
    ]
    return _page_with(round_, status=413, attachment_form=form)


@bp.route("/rounds/<int:round_id>/files/<int:attachment_id>/delete", methods=["POST"])
@login_required
def remove_attachment(round_id: int, attachment_id: int):
    round_ = services.get_round(round_id)
    try:
        briefing.remove_attachment(current_user, round_, attachment_id)
    except DomainError as error:
        flash(error.message, "error")
        return _page_with(round_, status=error.status)
    flash("The file was removed from the evidence pack.", "success")
    return _back(round_, "evidence-pack")


# ---------------------------------------------------------------- agenda


@bp.route("/rounds/<int:round_id>/agenda", methods=["POST"])
@login_required
def add_item(round_id: int):
    round_ = services.get_round(round_id)
    form = AgendaAddForm()
    form.subject.choices = []
    status = 400
    if form.validate_on_submit():
        kind, _, subject = (form.subject.data or "").partition("-")
        try:
            item = agenda.add_agenda_item(current_user, round_, kind=kind, subject_id=subject)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash(f"“{item.title}” is item {item.position} of the agenda.", "success")
            return _back(round_, "agenda")
    return _page_with(round_, status=status, add_form=form)


@bp.route("/rounds/<int:round_id>/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(round_id: int, item_id: int):
    round_ = services.get_round(round_id)
    item = item_of(round_, item_id)
    try:
        agenda.remove_agenda_item(current_user, round_, item)
    except DomainError as error:
        flash(error.message, "error")
        return _page_with(round_, status=error.status)
    flash("The item was taken off the agenda.", "success")
    return _back(round_, "agenda")


@bp.route("/rounds/<int:round_id>/items/<int:item_id>/method", methods=["POST"])
@login_required
def set_method(round_id: int, item_id: int):
    round_ = services.get_round(round_id)
    item = item_of(round_, item_id)
    form = MethodForm()
    if form.validate_on_submit():
        try:
            decisions.set_method(
                current_user, round_, item, method=form.method.data, options=form.options.data
            )
        except DomainError as error:
            flash(error.message, "error")
            return _page_with(round_, status=error.status)
        flash(f"Item {item.position} will be voted on by {form.method.data} vote.", "success")
        return _back(round_, f"item-{item.id}")
    flash("Choose a voting method.", "error")
    return _page_with(round_)


@bp.route("/rounds/<int:round_id>/merge", methods=["POST"])
@login_required
def merge(round_id: int):
    round_ = services.get_round(round_id)
    form = MergeForm()
    status = 400
    if form.validate_on_submit():
        try:
            source = item_of(round_, form.source.data)
            target = item_of(round_, form.target.data)
            agenda.merge_items(current_user, round_, source, target, reason=form.reason.data)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash(
                f"Item {source.position} is merged into item {target.position}: it is decided "
                "with it.",
                "success",
            )
            return _back(round_, "agenda")
    return _page_with(round_, status=status, merge_form=form)


# ---------------------------------------------------------------- answers


@bp.route("/rounds/<int:round_id>/questions/<int:question_id>/answer", methods=["POST"])
@login_required
def answer(round_id: int, question_id: int):
    round_ = services.get_round(round_id)
    question = get_question(round_, question_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            briefing.answer_question(current_user, round_, question, answer=form.answer.data)
        except DomainError as error:
            flash(error.message, "error")
            return _page_with(round_, status=error.status)
        flash("Your answer is published.", "success")
        return _back(round_, f"question-{question.id}")
    flash("Write the answer before sending it.", "error")
    return _page_with(round_)


# ---------------------------------------------------------------- outcome


@bp.route("/rounds/<int:round_id>/items/<int:item_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(round_id: int, item_id: int):
    round_ = services.get_round(round_id)
    item = item_of(round_, item_id)
    form = OutcomeForm()
    status = 200 if request.method == "GET" else 400
    if request.method == "GET":
        form.decision.data = outcomes.suggested_decision(item)
        form.minority_report.data = outcomes.minority_prefill(item)
    elif form.validate_on_submit():
        # A decision is final: the clerk confirms it, once it would be accepted.
        act = decisions.record_outcome if confirmed() else decisions.check_outcome
        try:
            act(
                current_user,
                round_,
                item,
                decision=form.decision.data,
                reasons=form.reasons.data,
                minority_report=form.minority_report.data,
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            if not confirmed():
                return _confirm_outcome(round_, item, form)
            flash(f"The decision on item {item.position} is recorded and published.", "success")
            return _back(round_, f"item-{item.id}")
    allowed = role_in(current_user, round_.council) == "clerk" and round_.phase == "outcome"
    return render_template(
        "rounds/outcome.html",
        round=round_,
        council=round_.council,
        item=item,
        form=form,
        result=closed_result(item),
        allowed=allowed,
        conflict_note=_petition_conflict(item) if allowed else None,
    ), status


def _confirm_outcome(round_, item, form):
    points = [
        f"Item {item.position}, “{item.title}”: the decision is "
        f"“{dict(form.decision.choices).get(form.decision.data, form.decision.data)}”.",
        f"Reasons: {form.reasons.data}",
        "It is published in the round's minutes and its author and followers are told.",
    ]
    if (form.minority_report.data or "").strip():
        points.insert(2, "A minority report is published with it.")
    return ask_to_confirm(
        title="Record this decision?",
        points=points,
        button="Record and publish the decision",
        cancel_url=url_for("rounds.round_page", round_id=round_.id),
        warning="Decisions are final: once recorded, it cannot be changed.",
    )


def _petition_conflict(item) -> str | None:
    """For a clerk who started or sponsored the item's petition: who steps aside."""
    if item.kind != "petition" or item.petition_id is None:
        return None
    petition = db.session.get(Petition, item.petition_id)
    return conflict_note(current_user, petition) if petition is not None else None


# ---------------------------------------------------------------- minutes


@bp.route("/rounds/<int:round_id>/minutes/republish", methods=["POST"])
@login_required
def republish_minutes(round_id: int):
    round_ = services.get_round(round_id)
    form = MinutesNoteForm()
    try:
        if not form.validate_on_submit():
            raise DomainError("Write the note that explains the republished minutes.", field="note")
        republish(current_user, round_, note=form.note.data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("rounds.minutes_page", round_id=round_.id))
    flash("The minutes are republished with your note.", "success")
    return redirect(url_for("rounds.minutes_page", round_id=round_.id))
