"""JSON API of the votes feature: the pages' twin, on the same services."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from participate.api import bp, json_body, token_user
from participate.api.openapi import document, text
from participate.councils import services as councils
from participate.errors import DomainError
from participate.votes import ballots, results, services
from participate.votes.checks import MAX_OPTION_LENGTH, MAX_REASON
from participate.votes.models import Motion
from participate.votes.views import limit_casting


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def _caller():
    """The token's person when a token is sent (a clerk reads the council's drafts), else
    nobody: the reads are public and need no token."""
    return token_user() if request.headers.get("Authorization") else None


def motion_json(motion: Motion, *, full: bool = True) -> dict[str, Any]:
    """A motion as the API shows it: rules once open, result only once closed."""
    data: dict[str, Any] = {
        "id": motion.id,
        "council": motion.council.slug,
        "title": motion.title,
        "method": motion.method,
        "kind": motion.kind,
        "options": motion.options if motion.method == "schulze" else None,
        "status": motion.status,
        "opens_at": _iso(motion.opens_at),
        "closes_at": _iso(motion.closes_at),
        "closed_at": _iso(motion.closed_at),
        "url": url_for("votes.motion_detail", motion_id=motion.id, _external=True),
    }
    if not full:
        return data
    data.update(
        description=motion.description,
        origin=motion.origin or None,
        rules=motion.rules,
        constitution_version=motion.constitution_version,
        turnout=results.turnout_by_constituency(motion) or None,
        # Constituencies whose published figures may show how their few members voted.
        small_constituencies=services.small_constituencies(motion) or None,
        result=motion.result if motion.status == "closed" else None,
        objections=results.objections(motion) if motion.method == "consent" else None,
        ballot_file=url_for("api.motion_ballot_file", motion_id=motion.id, _external=True)
        if motion.status == "closed"
        else None,
    )
    return data


document(
    "/councils/{slug}/motions",
    "get",
    "A council's motions (open and closed), newest first",
    params=["slug"],
    responses={200: "OK", 404: "No such council"},
    tag="votes",
)


@bp.get("/councils/<slug>/motions")
def council_motions(slug: str):
    council = councils.council_by_slug(slug)
    motions = services.motions_of(council)
    return jsonify({"motions": [motion_json(m, full=False) for m in motions]})


document(
    "/motions/{id}",
    "get",
    "A motion: rules, status, turnout by constituency (counts only); the result once closed",
    params=["id"],
    responses={200: "OK", 404: "No such motion"},
    tag="votes",
)


@bp.get("/motions/<int:motion_id>")
def motion(motion_id: int):
    return jsonify(motion_json(services.motion_for(_caller(), motion_id)))


document(
    "/motions/{id}/ballots",
    "post",
    "Cast or change your ballot (201 with a receipt the first time, 200 on a change)",
    auth=True,
    params=["id"],
    body={
        "description": 'exactly one of: binary {"choice": "yes"|"no"|"abstain"}; ranked '
        '{"ranking": ["B", "A"]} (best first; options left out tie last); consent '
        '{"consent": true} or {"objection": "your reason"}',
        "oneOf": [
            {
                "type": "object",
                "required": ["choice"],
                "properties": {
                    "choice": {"enum": ["yes", "no", "abstain"], "x-code": "bad_choice"}
                },
            },
            {
                "type": "object",
                "required": ["ranking"],
                "properties": {
                    "ranking": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "maxLength": MAX_OPTION_LENGTH,
                            "x-code": "unknown_option",
                        },
                        "minItems": 1,
                        "uniqueItems": True,
                        "x-code": {
                            "type": "bad_ballot",
                            "minItems": "empty_ranking",
                            "uniqueItems": "duplicate_option",
                        },
                    }
                },
            },
            {
                "type": "object",
                "required": ["consent"],
                "properties": {"consent": {"const": True, "x-code": "bad_ballot"}},
            },
            {
                "type": "object",
                "required": ["objection"],
                "properties": {
                    "objection": text(
                        MAX_REASON,
                        code={
                            "type": "bad_ballot",
                            "pattern": "reason_required",
                            "maxLength": "reason_too_long",
                        },
                    )
                },
            },
        ],
        "x-code": "bad_ballot",
    },
    responses={
        200: "Ballot changed (same receipt)",
        201: "Ballot cast",
        400: "Malformed ballot",
        401: "Token required",
        403: "Not eligible to vote on this motion",
        404: "No such motion",
        409: "Voting is not open",
        429: "Too many ballots in a short time",
    },
    tag="votes",
)


@bp.post("/motions/<int:motion_id>/ballots")
@limit_casting
def cast_ballot(motion_id: int):
    user = token_user()
    outcome = ballots.cast_ballot(user, motion_id, **_ballot_from_json(json_body()))
    return jsonify(
        {"motion": motion_id, "receipt": outcome.receipt, "changed": not outcome.first}
    ), (201 if outcome.first else 200)


def _ballot_from_json(data: dict) -> dict:
    keys = [k for k in ("choice", "ranking", "consent", "objection") if k in data]
    if len(keys) != 1:
        raise DomainError(
            'Send exactly one of "choice" (yes, no or abstain), "ranking" (a list of options, '
            'best first), "consent": true, or "objection": "your reason".',
            code="bad_ballot",
        )
    key = keys[0]
    value = data[key]
    if key == "choice":
        return {"choice": value if isinstance(value, str) else repr(value)}
    if key == "ranking":
        if not isinstance(value, list):
            raise DomainError(
                '"ranking" must be a list of options, best first.',
                code="bad_ballot",
                field="ranking",
            )
        return {"ranking": value}
    if key == "consent":
        if value is not True:
            raise DomainError(
                'To object, send {"objection": "your reason"}; "consent" can only be true.',
                code="bad_ballot",
                field="consent",
            )
        return {"choice": "consent"}
    if not isinstance(value, str):
        raise DomainError('"objection" must be your reason, as text.', code="bad_ballot")
    return {"objection": value}


document(
    "/motions/{id}/ballots.json",
    "get",
    "The anonymised ballot file (DESIGN §3) once voting has closed; re-tally it with "
    "`participate tally FILE`",
    params=["id"],
    responses={200: "OK", 404: "No such motion", 409: "Voting has not closed yet"},
    tag="votes",
)


@bp.get("/motions/<int:motion_id>/ballots.json")
def motion_ballot_file(motion_id: int):
    motion = services.motion_for(_caller(), motion_id)
    response = jsonify(results.ballot_file(motion))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="motion-{motion.id}-ballots.json"'
    )
    return response


document(
    "/motions/{id}/receipts/{code}",
    "get",
    "Check a receipt against the published ballot file (once voting has closed)",
    params=["id", "code"],
    responses={200: "Found", 400: "Malformed receipt", 404: "Not in the file", 409: "Not closed"},
    tag="votes",
)


@bp.get("/motions/<int:motion_id>/receipts/<code>")
def receipt(motion_id: int, code: str):
    motion = services.motion_for(_caller(), motion_id)
    entry = results.lookup_receipt(motion, code)
    if entry is None:
        raise DomainError(
            f"No ballot with receipt {code} was counted on motion {motion_id}. Check the code; "
            "if it is right, tell the council's clerk.",
            code="receipt_not_found",
            status=404,
        )
    return jsonify({"motion": motion_id, "counted": True, "ballot": entry})
