"""JSON twins of the consultation pages: list, detail with aggregated positions, positions,
and (with a personal API token) publishing, submitting a position, adopting."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, request, url_for

from participate.api import bp, json_body, token_user
from participate.api.openapi import DATETIME, document, text
from participate.councils.services import council_by_slug
from participate.errors import DomainError
from participate.params import int_arg
from participate.upward import consultation_results
from participate.upward import consultations as consulting
from participate.upward.api_json import TAG, iso, string_field
from participate.util import utcnow


def consultation_json(c, *, full: bool = False) -> dict:
    data = {
        "id": c.id,
        "council": c.council.slug,
        "title": c.title,
        "state": c.state(utcnow()),
        "published_at": iso(c.published_at),
        "closes_at": iso(c.closes_at),
        "adopted_at": iso(c.adopted_at),
        "councils": c.cascade_count,
        "positions": c.positions_count,
        "url": url_for("upward.consultation_page", consultation_id=c.id, _external=True),
    }
    if full:
        results = consultation_results.results(c)
        data.update(
            body=c.body,
            adoption_note=c.adoption_note or None,
            results=results.aggregate,
            amendments=[
                {
                    "title": g["title"],
                    "positions": [
                        {"council": p.council.slug, "text": p.text} for p in g["positions"]
                    ],
                }
                for g in results.amendment_groups
            ],
        )
    return data


document(
    "/consultations",
    "get",
    "National consultations (?state=open|closed|adopted)",
    tag=TAG,
)


@bp.get("/consultations")
def consultations():
    state = request.args.get("state", "")
    return jsonify(
        {
            "consultations": [
                consultation_json(c) for c in consultation_results.list_consultations(state=state)
            ]
        }
    )


document(
    "/consultations/{id}",
    "get",
    "A consultation with its aggregated positions (by stance, level, region, constituency, "
    "turnout-weighted) and grouped amendments",
    params=["id"],
    responses={200: "OK", 404: "No such consultation"},
    tag=TAG,
)


@bp.get("/consultations/<int:consultation_id>")
def consultation(consultation_id: int):
    return jsonify(consultation_json(consulting.get_consultation(consultation_id), full=True))


document(
    "/consultations/{id}/positions",
    "get",
    "The positions submitted (?stance=, ?page=, 50 per page)",
    params=["id"],
    tag=TAG,
)


@bp.get("/consultations/<int:consultation_id>/positions")
def positions(consultation_id: int):
    c = consulting.get_consultation(consultation_id)
    page = int_arg(request.args, "page")
    rows, total = consultation_results.positions_page(
        c, page, stance=request.args.get("stance", "")
    )
    return jsonify(
        {
            "total": total,
            "page": page,
            "positions": [position_json(p) for p in rows],
        }
    )


def position_json(p) -> dict:
    return {
        "id": p.id,
        "council": p.council.slug,
        "level": p.level,
        "stance": p.stance,
        "text": p.text,
        "motion": p.motion_id,
        "tally": p.tally,
        "weight": p.weight,
        "amendment_group": p.amendment_group,
        "submitted_at": iso(p.submitted_at),
    }


document(
    "/councils/{slug}/consultations",
    "post",
    "Publish a consultation (minister or clerk of a national council): title, body, closes_at",
    auth=True,
    params=["slug"],
    body={
        "type": "object",
        "required": ["title", "body", "closes_at"],
        "properties": {
            "title": text(code="title_required"),
            "body": text(code="body_required"),
            "closes_at": {**DATETIME, "x-code": "bad_closes_at"},
        },
    },
    responses={
        201: "Published and cascaded",
        400: "Bad input",
        401: "Token required",
        403: "Not allowed",
    },
    tag=TAG,
)


@bp.post("/councils/<slug>/consultations")
def publish(slug: str):
    user = token_user()
    data = json_body()
    raw = string_field(data, "closes_at").strip().rstrip("Z")
    try:
        closes_at = datetime.fromisoformat(raw)
    except ValueError:
        raise DomainError(
            "'closes_at' must be an ISO date-time in UTC, e.g. 2026-09-30T17:00:00Z.",
            code="bad_field",
            field="closes_at",
        ) from None
    if closes_at.tzinfo is not None:
        closes_at = closes_at.astimezone(UTC).replace(tzinfo=None)
    c = consulting.publish_consultation(
        user,
        council_by_slug(slug),
        title=string_field(data, "title"),
        body=string_field(data, "body"),
        closes_at=closes_at,
    )
    return jsonify(consultation_json(c)), 201


document(
    "/consultations/{id}/positions",
    "post",
    "Submit a council's position (its clerk): council, stance support|oppose|amend, text, motion",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["council", "stance"],
        "properties": {
            "council": text(),
            "stance": {"enum": ["support", "oppose", "amend"], "x-code": "bad_stance"},
            "text": text(blank=True, code="text_required"),
            "motion": {"type": "integer", "minimum": 1},
        },
        # An amendment says what to change: its text is required.
        "if": {"properties": {"stance": {"const": "amend"}}, "required": ["stance"]},
        "then": {"required": ["text"], "properties": {"text": text()}},
    },
    responses={
        201: "Submitted",
        400: "Bad input",
        401: "Token required",
        403: "Not a clerk, or the council is not in the cascade",
        409: "Closed, or already submitted",
    },
    tag=TAG,
)


@bp.post("/consultations/<int:consultation_id>/positions")
def submit_position(consultation_id: int):
    user = token_user()
    data = json_body()
    motion = data.get("motion")
    if motion is not None and (isinstance(motion, bool) or not isinstance(motion, int)):
        raise DomainError("'motion' must be a motion id.", code="bad_field", field="motion")
    p = consulting.submit_position(
        user,
        consulting.get_consultation(consultation_id),
        council_by_slug(string_field(data, "council")),
        stance=string_field(data, "stance"),
        text=string_field(data, "text"),
        motion_id=motion,
    )
    return jsonify(position_json(p)), 201


document(
    "/consultations/{id}/adopt",
    "post",
    "Mark the national requirement adopted (the minister; only after the consultation closed)",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["note"],
        "properties": {"note": text(code="note_required")},
    },
    responses={
        200: "Adopted",
        401: "Token required",
        403: "Not the minister",
        409: "Still open, or already adopted",
    },
    tag=TAG,
)


@bp.post("/consultations/<int:consultation_id>/adopt")
def adopt(consultation_id: int):
    user = token_user()
    data = json_body()
    c = consulting.adopt_requirement(
        user, consulting.get_consultation(consultation_id), note=string_field(data, "note")
    )
    return jsonify(consultation_json(c, full=True))
