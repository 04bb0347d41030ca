"""Pages of the rounds feature: the council's Rounds tab, the round page and its live
fragments (htmx polling with ETags), members' questions, attachments and the minutes.

The clerk's actions are in `clerk_views` (same blueprint, from `blueprint`). Every action works as a plain
form POST; with htmx the round page's small fragments refresh every 10 seconds and answer
304 Not Modified when nothing changed.
"""

from __future__ import annotations

import hashlib
import json

from flask import (
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
from participate.councils.access import role_in
from participate.errors import DomainError
from participate.extensions import htmx
from participate.forms_util import apply_error
from participate.rounds import (
    briefing,
    clerk_views,  # noqa: F401  (the clerk's routes on bp)
    evidence,
    services,
)
from participate.rounds.blueprint import bp
from participate.rounds.forms import (
    QuestionForm,
)
from participate.rounds.items import items_of, load_round
from participate.rounds.minutes import published, to_markdown
from participate.rounds.participation import KIND_LABELS, participation
from participate.rounds.presenting import agenda_rows, timeline
from participate.rounds.round_page import page_context

COUNCIL_TABS = [{"label": "Rounds", "endpoint": "rounds.council_rounds"}]


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
    rows = agenda_rows(round_, items_of(round_))
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
            question = briefing.ask_question(
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
    round_ = load_round(round_id)
    item = evidence.get_attachment(round_, attachment_id)
    path = evidence.attachment_path(item)
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
