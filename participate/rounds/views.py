"""Pages of the rounds feature: the council's Rounds tab, the round page and its live
fragments (htmx polling with ETags), members' questions, attachments and the minutes.

The clerk's actions are in `clerk_views` (same blueprint). Every action works as a plain
form POST; with htmx the round page's small fragments refresh every 10 seconds and answer
304 Not Modified when nothing changed.
"""

from __future__ import annotations

import hashlib
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from participate.core import phases
from participate.councils import services as councils
from participate.errors import DomainError
from participate.extensions import htmx
from participate.forms_util import apply_error
from participate.rounds import services
from participate.rounds.access import may, role_in
from participate.rounds.forms import (
    AdvanceForm,
    AgendaAddForm,
    AnswerForm,
    AttachmentForm,
    EvidenceForm,
    LinkForm,
    MergeForm,
    MethodForm,
    QuestionForm,
)
from participate.rounds.minutes import published, to_markdown
from participate.rounds.models import PHASE_LABELS, PHASE_PURPOSES
from participate.rounds.participation import KIND_LABELS, participation
from participate.rounds.presenting import agenda_rows, relative, timeline
from participate.votes.models import METHOD_LABELS

bp = Blueprint("rounds", __name__)
COUNCIL_TABS = [{"label": "Rounds", "endpoint": "rounds.council_rounds"}]
POLL_SECONDS = 10


@bp.app_template_filter("relative")
def _relative(value):
    return relative(value)


@bp.app_context_processor
def _labels():
    return {
        "PHASE_LABELS": PHASE_LABELS,
        "PHASE_PURPOSES": PHASE_PURPOSES,
        "METHOD_LABELS": METHOD_LABELS,
    }


# ---------------------------------------------------------------- council tab


@bp.route("/councils/<slug>/rounds")
def council_rounds(slug: str):
    council = councils.council_by_slug(slug)
    grouped = services.rounds_by_phase(council)
    return render_template(
        "rounds/council.html",
        council=council,
        grouped=grouped,
        live=[p for p in phases.PHASES if p != phases.FINAL_PHASE],
        is_clerk=role_in(current_user, council) == "clerk",
        total=sum(len(v) for v in grouped.values()),
    )


# ---------------------------------------------------------------- the round page


def page_context(round_, **forms) -> dict:
    council = round_.council
    role = role_in(current_user, council)
    items = services.items_of(round_)
    rows = agenda_rows(round_, items)
    live = [r.item for r in rows if not r.item.is_merged]
    choices = [("", "The round as a whole")] + [
        (str(i.id), f"{i.position}. {i.title}") for i in items
    ]
    # Forms not being submitted are never bound to the request (a field name may repeat).
    question_form = forms.pop("question_form", None) or QuestionForm(formdata=None)
    question_form.item_id.choices = choices
    merge_form = forms.pop("merge_form", None) or MergeForm(formdata=None)
    merge_form.source.choices = [(str(i.id), f"{i.position}. {i.title}") for i in live]
    merge_form.target.choices = merge_form.source.choices
    add_form = forms.pop("add_form", None) or AgendaAddForm(formdata=None)
    add_form.subject.choices = _addable(round_, role)
    return {
        "round": round_,
        "council": council,
        "role": role,
        "can": lambda action: may(round_, action, role),
        "is_clerk": role == "clerk",
        "rows": rows,
        "steps": timeline(round_),
        "links": services.links_of(round_),
        "attachments": services.attachments_of(round_),
        "attachment_limit": services.attachment_limit(),
        "questions": services.questions_of(round_),
        "taking_part": participation(round_),
        "KIND_LABELS": KIND_LABELS,
        "poll": POLL_SECONDS,
        "advance_form": forms.pop("advance_form", None)
        or AdvanceForm(formdata=None, from_phase=round_.phase),
        "evidence_form": forms.pop("evidence_form", None)
        or EvidenceForm(formdata=None, evidence=round_.evidence),
        "link_form": forms.pop("link_form", None) or LinkForm(formdata=None),
        "attachment_form": forms.pop("attachment_form", None) or AttachmentForm(formdata=None),
        "question_form": question_form,
        "answer_form": AnswerForm(formdata=None),
        "merge_form": merge_form,
        "method_form": MethodForm(formdata=None),
        "add_form": add_form,
        "next_phase": phases.next_phase(round_.phase) if not round_.is_closed else None,
        **forms,
    }


def _addable(round_, role) -> list[tuple[str, str]]:
    """Open proposals and petitions awaiting an answer that could join the agenda."""
    if role != "clerk" or round_.phase != "briefing":
        return []
    from participate.proposals.services import list_proposals

    listing = list_proposals(round_.council, status="open", per_page=100)
    choices = [("", "Choose…")]
    choices += [
        (f"proposal-{i.proposal.id}", f"Proposal: {i.proposal.title}") for i in listing.items
    ]
    choices += [
        (f"petition-{p.id}", f"Petition: {p.title}")
        for p in services.petitions_to_answer(round_.council)
    ]
    from participate.upward.integration import consultations_to_answer

    choices += [
        (f"consultation-{c.id}", f"Consultation: {c.title}")
        for c in consultations_to_answer(round_.council)
    ]
    return choices


@bp.route("/rounds/<int:round_id>")
def round_page(round_id: int):
    round_ = services.get_round(round_id)
    return render_template("rounds/round.html", **page_context(round_))


def _fragment(template: str, **context) -> Response:
    """A small fragment with a strong ETag of its content: 304 when the poller has it."""
    html = render_template(template, **context)
    response = make_response(html)
    response.set_etag(hashlib.sha256(html.encode()).hexdigest()[:40])
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def _fragment_round(round_id: int):
    round_ = services.get_round(round_id)
    if not htmx:
        return None, redirect(url_for("rounds.round_page", round_id=round_.id))
    return round_, None


@bp.route("/rounds/<int:round_id>/status")
def round_status(round_id: int):
    """The current phase and the timeline (polled)."""
    round_, elsewhere = _fragment_round(round_id)
    if elsewhere is not None:
        return elsewhere
    seen = request.args.get("seen", "")
    return _fragment(
        "rounds/_status.html",
        round=round_,
        steps=timeline(round_),
        moved=bool(seen) and seen != round_.phase,
    )


@bp.route("/rounds/<int:round_id>/agenda-status")
def round_agenda(round_id: int):
    """The agenda with each item's status (polled)."""
    round_, elsewhere = _fragment_round(round_id)
    if elsewhere is not None:
        return elsewhere
    rows = agenda_rows(round_, services.items_of(round_))
    return _fragment("rounds/_agenda.html", round=round_, rows=rows)


@bp.route("/rounds/<int:round_id>/participation")
def round_participation(round_id: int):
    """Who has taken part, by constituency (polled)."""
    round_, elsewhere = _fragment_round(round_id)
    if elsewhere is not None:
        return elsewhere
    return _fragment(
        "rounds/_participation.html",
        round=round_,
        taking_part=participation(round_),
        KIND_LABELS=KIND_LABELS,
    )


# ---------------------------------------------------------------- questions


@bp.route("/rounds/<int:round_id>/questions", methods=["POST"])
@login_required
def ask(round_id: int):
    round_ = services.get_round(round_id)
    form = QuestionForm()
    status = 400
    if form.validate_on_submit():
        try:
            question = services.ask_question(
                current_user, round_, body=form.body.data, item_id=form.item_id.data or None
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("Your question is published; the clerk will answer it here.", "success")
            return redirect(
                url_for("rounds.round_page", round_id=round_.id, _anchor=f"question-{question.id}")
            )
    return render_template("rounds/round.html", **page_context(round_, question_form=form)), status


# ---------------------------------------------------------------- attachments


@bp.route("/rounds/<int:round_id>/files/<int:attachment_id>/<path:filename>")
def attachment(round_id: int, attachment_id: int, filename: str):
    """Serve an evidence file: its stored type, nosniff, images inline, PDFs as downloads,
    and a CSP sandbox so nothing in a file can run as this site."""
    round_ = services.load_round(round_id)
    item = services.get_attachment(round_, attachment_id)
    path = services.attachment_path(item)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=item.content_type,
        as_attachment=not item.is_image,
        download_name=item.filename,
        conditional=True,
        etag=item.sha256,
        max_age=3600,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# ---------------------------------------------------------------- minutes


@bp.route("/rounds/<int:round_id>/minutes")
def minutes_page(round_id: int):
    round_ = services.get_round(round_id)
    minutes = published(round_)
    return render_template(
        "rounds/minutes.html",
        round=round_,
        council=round_.council,
        m=minutes,
        is_clerk=role_in(current_user, round_.council) == "clerk",
    )


@bp.route("/rounds/<int:round_id>/minutes.md")
def minutes_markdown(round_id: int):
    round_ = services.get_round(round_id)
    body = to_markdown(published(round_))
    response = Response(body, mimetype="text/markdown")
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="round-{round_.id}-minutes.md"'
    return response


@bp.route("/rounds/<int:round_id>/minutes.json")
def minutes_json(round_id: int):
    round_ = services.get_round(round_id)
    body = json.dumps(published(round_), indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="round-{round_.id}-minutes.json"'
    )
    return response


from participate.rounds import clerk_views  # noqa: E402,F401  (the clerk's routes on bp)
