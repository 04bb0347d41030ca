"""JSON API of the rounds feature: the pages' twin, on the same services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, url_for

from participate.api import bp, json_body, optional_json_body, token_user
from participate.api.openapi import DATETIME, document, text
from participate.core import phases
from participate.councils import services as councils
from participate.errors import DomainError
from participate.rounds import briefing, decisions, evidence, lifecycle, outcomes, services
from participate.rounds.evidence import QUESTION_LIMIT
from participate.rounds.items import item_of, items_of
from participate.rounds.minutes import published
from participate.rounds.models import Round
from participate.rounds.participation import participation
from participate.rounds.presenting import agenda_rows

TAG = "rounds"


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def round_json(round_: Round, *, full: bool = True) -> dict[str, Any]:
    """A round as the API shows it: phase, schedule, agenda with status, outcome."""
    data: dict[str, Any] = {
        "id": round_.id,
        "council": round_.council.slug,
        "title": round_.title,
        "phase": round_.phase,
        "phase_ends_at": _iso(round_.planned_end(round_.phase)),
        "created_at": _iso(round_.created_at),
        "closed_at": _iso(round_.closed_at),
        "url": url_for("rounds.round_page", round_id=round_.id, _external=True),
    }
    if not full:
        return data
    rows = agenda_rows(round_, items_of(round_))
    data.update(
        purpose=round_.purpose,
        schedule=[{"phase": p, "ends_at": _iso(e)} for p, e in round_.planned_ends().items()],
        agenda=[
            {
                "item": row.item.id,
                "position": row.item.position,
                "kind": row.item.kind,
                "id": row.item.subject_id,
                "title": row.item.title,
                "status": row.status,
                "subject_status": row.subject_status or None,
                "merged_into": row.merged_into.id if row.merged_into else None,
                "method": row.item.method,
                "options": row.item.options,
                "motion": row.item.motion_id,
                "outcome": {
                    "decision": row.item.decision,
                    "reasons": row.item.reasons,
                    "minority_report": row.item.minority_report or None,
                    "decided_at": _iso(row.item.decided_at),
                }
                if row.item.decision
                else None,
            }
            for row in rows
        ],
        evidence={
            "text": round_.evidence,
            "links": [{"title": x.title, "url": x.url} for x in evidence.links_of(round_)],
            "attachments": [
                {
                    "filename": a.filename,
                    "type": a.content_type,
                    "size": a.size,
                    "url": url_for(
                        "rounds.attachment",
                        round_id=round_.id,
                        attachment_id=a.id,
                        filename=a.filename,
                        _external=True,
                    ),
                }
                for a in evidence.attachments_of(round_)
            ],
        },
        questions=[
            {
                "id": q.id,
                "item": q.item_id,
                "constituency": q.author_constituency,
                "question": q.body,
                "answer": q.answer or None,
            }
            for q in evidence.questions_of(round_)
        ],
        participation=participation(round_).as_json(),
        minutes=url_for("api.round_minutes", round_id=round_.id, _external=True)
        if round_.is_closed
        else None,
    )
    return data


document(
    "/rounds/{id}",
    "get",
    "A round: phase, schedule, agenda with each item's status, outcome, participation",
    params=["id"],
    responses={200: "OK", 404: "No such round"},
    tag=TAG,
)


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id: int):
    return jsonify(round_json(services.get_round(round_id)))


document(
    "/councils/{slug}/rounds",
    "get",
    "A council's rounds, newest first",
    params=["slug"],
    responses={200: "OK", 404: "No such council"},
    tag=TAG,
)


@bp.get("/councils/<slug>/rounds")
def council_rounds(slug: str):
    council = councils.council_by_slug(slug)
    return jsonify({"rounds": [round_json(r, full=False) for r in services.rounds_of(council)]})


document(
    "/rounds/{id}/minutes.json",
    "get",
    "The published minutes of a closed round",
    params=["id"],
    responses={200: "OK", 404: "No such round, or not closed yet"},
    tag=TAG,
)


@bp.get("/rounds/<int:round_id>/minutes.json")
def round_minutes(round_id: int):
    return jsonify(published(services.get_round(round_id)))


def _datetime(value, field: str) -> datetime:
    if not isinstance(value, str):
        raise DomainError(
            f"{field} must be a date and time in ISO 8601, UTC (e.g. 2026-12-01T17:00:00Z).",
            code="schedule_invalid",
            field=field,
        )
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise DomainError(
            f"{field} is not a date and time: use ISO 8601, UTC (e.g. 2026-12-01T17:00:00Z).",
            code="schedule_invalid",
            field=field,
        ) from None
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


document(
    "/councils/{slug}/rounds",
    "post",
    "Create a round (clerk): title, purpose, agenda in order, planned end of each phase",
    auth=True,
    params=["slug"],
    body={
        "type": "object",
        "required": ["title", "purpose", "agenda", "schedule"],
        "properties": {
            "title": text(services.TITLE_LIMIT, minimum=5, code="title_required"),
            "purpose": text(services.PURPOSE_LIMIT, code="purpose_required"),
            "agenda": {
                "type": "array",
                "items": {
                    "description": '{"proposal": id} or {"petition": id}',
                    "oneOf": [
                        {
                            "type": "object",
                            "required": [kind],
                            "properties": {kind: {"type": "integer", "minimum": 1}},
                        }
                        for kind in ("proposal", "petition")
                    ],
                },
            },
            "schedule": {
                "type": "object",
                "description": "the planned end of each phase, ISO 8601 UTC",
                "required": list(phases.SCHEDULED_PHASES),
                "properties": {
                    phase: {**DATETIME, "x-code": "schedule_invalid"}
                    for phase in phases.SCHEDULED_PHASES
                },
                "x-code": {"required": "schedule_missing_end", "type": "schedule_missing_end"},
            },
        },
    },
    responses={201: "Created", 400: "Bad input", 401: "Token needed", 403: "Clerks only"},
    tag=TAG,
)


@bp.post("/councils/<slug>/rounds")
def create_round(slug: str):
    actor = token_user()
    council = councils.council_by_slug(slug)
    body = json_body()
    schedule = body.get("schedule")
    if not isinstance(schedule, dict):
        raise DomainError(
            "Give schedule: an object with the planned end of each phase ("
            + ", ".join(phases.SCHEDULED_PHASES)
            + ").",
            code="schedule_missing_end",
            field="schedule",
        )
    parsed = {phase: _datetime(value, phase) for phase, value in schedule.items()}
    round_ = services.create_round(
        actor,
        council,
        title=body.get("title"),
        purpose=body.get("purpose"),
        agenda=body.get("agenda"),
        schedule=parsed,
    )
    return jsonify(round_json(round_)), 201


document(
    "/rounds/{id}/advance",
    "post",
    "Advance the round to its next phase (clerk). from_phase (required): the phase you saw; "
    "409 phase_already_current if it moved meanwhile, so two clerks never advance it twice",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "properties": {"from_phase": {"enum": list(phases.PHASES), "x-code": "bad_phase"}},
    },
    body_required=False,
    responses={
        200: "Advanced",
        400: "from_phase missing",
        401: "Token needed",
        403: "Clerks only",
        409: "Closed, already moved, or decisions missing",
    },
    tag=TAG,
)


@bp.post("/rounds/<int:round_id>/advance")
def advance(round_id: int):
    actor = token_user()
    round_ = services.get_round(round_id)
    expected = optional_json_body().get("from_phase")
    if expected is None and councils.is_clerk(actor, round_.council):
        raise DomainError(
            'Say which phase you are advancing from ("from_phase", e.g. "briefing"): when two '
            "clerks advance at once, only the first moves the round and the other is told.",
            code="from_phase_required",
            field="from_phase",
        )
    lifecycle.advance_phase(actor, round_, expected=expected)
    return jsonify(round_json(round_))


document(
    "/rounds/{id}/items/{item}/outcome",
    "post",
    "Record an agenda item's decision (clerk, outcome phase): adopted, rejected or deferred",
    auth=True,
    params=["id", "item"],
    body={
        "type": "object",
        "required": ["decision", "reasons"],
        "properties": {
            "decision": {"type": "string", "enum": ["adopted", "rejected", "deferred"]},
            "reasons": text(code="reasons_required"),
            "minority_report": text(blank=True),
        },
    },
    responses={200: "Recorded", 400: "Bad input", 403: "Not allowed now", 409: "Already decided"},
    tag=TAG,
)


@bp.post("/rounds/<int:round_id>/items/<int:item_id>/outcome")
def record_outcome(round_id: int, item_id: int):
    actor = token_user()
    round_ = services.get_round(round_id)
    item = item_of(round_, item_id)
    body = json_body()
    minority = body.get("minority_report")
    if minority is None:
        minority = outcomes.minority_prefill(item)
    decisions.record_outcome(
        actor,
        round_,
        item,
        decision=body.get("decision"),
        reasons=body.get("reasons"),
        minority_report=minority,
    )
    return jsonify(round_json(round_))


document(
    "/rounds/{id}/questions",
    "post",
    "Ask the clerk a question (member; briefing and discussion)",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["question"],
        "properties": {
            "question": text(QUESTION_LIMIT, code="question_required"),
            "item": {"type": "integer", "minimum": 1},
        },
    },
    responses={201: "Asked", 400: "Bad input", 403: "Not allowed now"},
    tag=TAG,
)


@bp.post("/rounds/<int:round_id>/questions")
def ask_question(round_id: int):
    actor = token_user()
    round_ = services.get_round(round_id)
    body = json_body()
    # The schema refuses a blank or over-long question naming "question" (the service, shared
    # with the page's form, would name its field "body").
    question = briefing.ask_question(
        actor, round_, body=body.get("question"), item_id=body.get("item")
    )
    return jsonify({"id": question.id, "round": round_.id, "question": question.body}), 201
