"""Petitions in the JSON API: list, detail with counts, and signing (the pages' twin)."""

from __future__ import annotations

from flask import jsonify, request, url_for

from participate.api import bp, json_body, token_user
from participate.api.openapi import document
from participate.councils import services as councils
from participate.errors import DomainError
from participate.params import int_arg
from participate.petitions import limits, reading, shown_counts, signing
from participate.petitions.models import Petition


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def petition_summary(petition: Petition, count: int) -> dict:
    return {
        "id": petition.id,
        "title": petition.title,
        "kind": petition.kind,
        "status": petition.status,
        "council": petition.council.slug,
        "count": count,
        "threshold": petition.threshold,
        "opened_at": _iso(petition.opened_at),
        "signing_deadline": _iso(petition.signing_deadline),
        "threshold_reached_at": _iso(petition.threshold_reached_at),
        "url": url_for("petitions.detail", petition_id=petition.id, _external=True),
    }


def _viewer():
    """The token's account when a token is sent (to see one's own drafts); else nobody."""
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return token_user()
    return None


document(
    "/petitions",
    "get",
    "List public petitions with their counts (?status=, ?council=, ?kind=, "
    "?sort=most_signed|newest|closing_soon, ?page=)",
    responses={200: "OK", 400: "Unknown filter", 404: "No such council"},
    tag="petitions",
)


@bp.get("/petitions")
def petitions():
    council_slug = request.args.get("council") or ""
    page = int_arg(request.args, "page", code="bad_filter")
    per_page = int_arg(request.args, "per_page", 50, high=100, code="bad_filter")
    listing = reading.list_petitions(
        council=councils.council_by_slug(council_slug) if council_slug else None,
        kind=request.args.get("kind") or None,
        status=request.args.get("status") or None,
        sort=request.args.get("sort") or None,
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {
            "petitions": [petition_summary(p, n) for p, n in listing.items],
            "total": listing.total,
            "page": listing.page,
            "pages": listing.pages,
        }
    )


document(
    "/petitions/{id}",
    "get",
    "A petition: text, status, threshold and how it was computed, counts by constituency "
    "and by place, milestones, the council's response",
    params=["id"],
    responses={200: "OK", 404: "No such petition"},
    tag="petitions",
)


@bp.get("/petitions/<int:petition_id>")
def petition(petition_id: int):
    petition = reading.petition_for(_viewer(), petition_id)
    counts = shown_counts.counts_for(petition)
    body = {
        **petition_summary(petition, counts.total),
        "change": petition.change_text,
        "reason": petition.reason_text,
        "proposed_settings": petition.proposed_settings,
        "threshold_explanation": petition.threshold_explanation or None,
        "counts": {
            "total": counts.total,
            "by_constituency": counts.by_constituency,
            "by_place": {place.slug: n for place, n in counts.by_place},
            "counted_at": _iso(counts.refreshed_at) if petition.is_published else None,
        },
        "milestones": [
            {
                "signatures": m.milestone,
                "reached_at": _iso(m.reached_at),
                "threshold": m.is_threshold,
            }
            for m in counts.milestones
        ],
        "response_due_at": _iso(petition.response_due_at),
        "response": None,
        "rejection": None,
        "constitution_version": petition.constitution_version.number
        if petition.constitution_version
        else None,
    }
    if petition.status == "closed":
        body["response"] = {
            "decision": petition.response_decision,
            "text": petition.response_text,
            "route": petition.response_route,
            "motion": petition.response_motion_id,
            "round": petition.response_round_id,
            "published_at": _iso(petition.responded_at),
        }
    if petition.status == "rejected":
        body["rejection"] = {
            "standard": petition.rejection_standard,
            "reason": petition.rejection_reason,
            "at": _iso(petition.moderated_at),
        }
    return jsonify(body)


document(
    "/petitions/{id}/signatures",
    "post",
    "Sign a petition once, declaring who you are: live (citizen: name the local place you "
    "live in), work (employee: name the service you work for and the local place where) or "
    "member (an active member of the council, in your constituency; place optional). Places "
    "are the slugs of the local places within the area the council serves; services, the "
    "council's service (any service for a place forum). Nothing is assumed: a missing or "
    "out-of-area place or service is refused naming the field. The declaration is recorded "
    "with the signature",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["declaration"],
        "properties": {
            "declaration": {
                "type": "string",
                "enum": ["live", "work", "member"],
                "x-code": {
                    "enum": "declaration_required",
                    "type": "bad_json",
                    "required": "bad_json",
                },
            },
            "place": {
                "type": "string",
                "description": "slug of a local place within the council's area; required "
                "for live and work",
                "x-code": {"type": "bad_json", "required": "place_required"},
            },
            "service": {
                "type": "string",
                "description": "slug of the service you work for; required for work",
                "x-code": {"type": "bad_json", "required": "service_required"},
            },
        },
        "allOf": [
            {
                "if": {"required": ["declaration"], "properties": {"declaration": {"const": d}}},
                "then": {"required": needs},
            }
            for d, needs in (("live", ["place"]), ("work", ["place", "service"]))
        ],
    },
    responses={
        201: "Signed",
        400: "Missing or bad declaration, place or service (error.field names it: "
        "declaration, place or service)",
        401: "Token required",
        403: "Not eligible (e.g. unconfirmed e-mail)",
        404: "No such petition",
        409: "Already signed, or the petition takes no signatures",
        429: "Signing too fast",
    },
    tag="petitions",
)


@bp.post("/petitions/<int:petition_id>/signatures")
@limits.signing_limits
def sign(petition_id: int):
    user = token_user()
    data = json_body()
    declaration = data.get("declaration")
    place = data.get("place")
    service = data.get("service")
    for name, value in (("declaration", declaration), ("place", place), ("service", service)):
        if (value is not None or name == "declaration") and not isinstance(value, str):
            raise DomainError(
                'Send {"declaration": "live" | "work" | "member", "place": "<local place '
                'slug>", "service": "<service slug, for work>"}.',
                code="bad_json",
                field=name,
            )
    signed = signing.sign_petition(
        user, petition_id, declaration=declaration, place=place, service=service
    )
    return jsonify(
        {
            "signature": {
                "id": signed.signature_id,
                "petition": signed.petition_id,
                "constituency": signed.constituency,
                "declaration": signed.declaration,
                "place": signed.place_slug,
                "service": signed.service_slug,
                "created_at": _iso(signed.created_at),
            }
        }
    ), 201


from participate.petitions import api_clerk as _api_clerk  # noqa: E402,F401
