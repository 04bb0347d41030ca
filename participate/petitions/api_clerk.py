"""The clerk's petition actions in the JSON API: the twin of clerk_views.py, on the same
services (publish, reject, answer, invalidate signatures, apply a passed change)."""

from __future__ import annotations

from flask import jsonify

from participate.api import bp, optional_json_body, token_user
from participate.api.openapi import document, text
from participate.errors import DomainError
from participate.petitions import answering, invalidating, moderating, reading


def _whole_number(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DomainError(f"{key} must be a whole number of 1 or more.", code="bad_json", field=key)
    return value


document(
    "/petitions/{id}/apply",
    "post",
    "Apply a passed constitution-change or co-operative governance petition as a new "
    "constitution version. Only the motion that decided the petition (recorded with the "
    "council's answer) applies it; motion_id, when sent, must be that motion",
    auth=True,
    params=["id"],
    body={"type": "object", "properties": {"motion_id": {"type": "integer", "minimum": 1}}},
    body_required=False,
    responses={
        200: "Applied: the new constitution version",
        400: "Bad motion_id",
        401: "Token required",
        403: "Not a clerk of the council",
        404: "No such petition",
        409: "No motion decided it, not the deciding motion, the motion did not pass, "
        "or already applied",
    },
    tag="petitions",
)


@bp.post("/petitions/<int:petition_id>/apply")
def apply_petition_change(petition_id: int):
    user = token_user()
    data = optional_json_body()
    petition = reading.petition_for(user, petition_id)
    answering.apply_governance_change(user, petition, motion_id=_whole_number(data, "motion_id"))
    version = petition.constitution_version
    return jsonify(
        {
            "petition": petition.id,
            "motion": petition.governance_motion_id,
            "constitution_version": version.number if version else None,
        }
    )


def _text(data: dict, key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise DomainError(f"{key} must be text.", code="bad_json", field=key)
    return value


def _state(petition) -> dict:
    return {
        "id": petition.id,
        "status": petition.status,
        "threshold": petition.threshold,
        "signing_deadline": _iso(petition.signing_deadline),
    }


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


_CLERK_REFUSALS = {
    401: "Token required",
    403: "Not a clerk of the council, or a clerk who started or sponsored the petition "
    "(conflict_of_interest: another clerk of the council decides on it)",
    404: "No such petition",
    409: "The petition is not in a state that allows it",
}

document(
    "/petitions/{id}/publish",
    "post",
    "A clerk publishes a petition waiting for moderation: it opens for signatures",
    auth=True,
    params=["id"],
    responses={200: "Published", **_CLERK_REFUSALS},
    tag="petitions",
)


@bp.post("/petitions/<int:petition_id>/publish")
def publish_petition(petition_id: int):
    user = token_user()
    petition = reading.petition_for(user, petition_id)
    moderating.publish(user, petition)
    return jsonify({"petition": _state(petition)})


document(
    "/petitions/{id}/reject",
    "post",
    "A clerk rejects a petition waiting for moderation, naming the standard it does not "
    "meet and a public reason",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["standard", "reason"],
        "properties": {"standard": text(), "reason": text(code="reason_required")},
    },
    responses={200: "Rejected", 400: "Missing standard or reason", **_CLERK_REFUSALS},
    tag="petitions",
)


@bp.post("/petitions/<int:petition_id>/reject")
def reject_petition(petition_id: int):
    user = token_user()
    data = optional_json_body()
    petition = reading.petition_for(user, petition_id)
    moderating.reject(
        user, petition, standard=_text(data, "standard"), reason=_text(data, "reason")
    )
    return jsonify({"petition": _state(petition)})


document(
    "/petitions/{id}/response",
    "post",
    "A clerk publishes the council's answer to a petition past its threshold, given at a "
    "council meeting outside a round (a round's outcome answers it by itself)",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["decision", "text"],
        "properties": {
            "decision": {"type": "string", "enum": ["adopted", "partly_adopted", "rejected"]},
            "text": text(code="text_required"),
        },
    },
    responses={200: "Answered", 400: "Missing decision or text", **_CLERK_REFUSALS},
    tag="petitions",
)


@bp.post("/petitions/<int:petition_id>/response")
def answer_petition(petition_id: int):
    user = token_user()
    data = optional_json_body()
    petition = reading.petition_for(user, petition_id)
    answering.publish_response(
        user, petition, decision=_text(data, "decision"), response_text=_text(data, "text")
    )
    return jsonify({"petition": _state(petition), "decision": petition.response_decision})


document(
    "/petitions/{id}/signatures/invalidate",
    "post",
    "A clerk invalidates one signature (signature_id) or every valid signature matching a "
    "rule (rule: email_domain, place, service, declaration), with a reason for the audit log",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["reason"],
        "properties": {
            "signature_id": {"type": "integer"},
            "rule": {
                "type": "object",
                "properties": {
                    "email_domain": {"type": "string"},
                    "place": {"type": "string"},
                    "service": {"type": "string"},
                    "declaration": {"type": "string", "enum": ["live", "work", "member"]},
                },
            },
            "reason": text(code="reason_required"),
        },
    },
    responses={
        200: "Invalidated",
        400: "No signature or rule, or a bad rule",
        **_CLERK_REFUSALS,
    },
    tag="petitions",
)


@bp.post("/petitions/<int:petition_id>/signatures/invalidate")
def invalidate_signatures(petition_id: int):
    user = token_user()
    data = optional_json_body()
    petition = reading.petition_for(user, petition_id)
    reason = _text(data, "reason")
    signature_id = _whole_number(data, "signature_id")
    if signature_id is not None:
        count = invalidating.invalidate_signature(user, petition, signature_id, reason=reason)
    else:
        rule = data.get("rule")
        if not isinstance(rule, dict):
            raise DomainError(
                'Send {"signature_id": id} or {"rule": {"email_domain" | "place" | "service" '
                '| "declaration": ...}}, with a "reason".',
                code="rule_required",
                field="rule",
            )
        count = invalidating.invalidate_by_rule(
            user,
            petition,
            invalidating.InvalidationRule(
                **{k: _text(rule, k) for k in invalidating.RULE_KEYS if k in rule}
            ),
            reason=reason,
        )
    return jsonify({"invalidated": count})
