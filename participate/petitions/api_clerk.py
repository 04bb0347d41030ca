"""The clerk's petition actions in the JSON API: the twin of clerk_views.py, on the same
services (moderate, answer, apply a passed change)."""

from __future__ import annotations

from flask import jsonify

from participate.api import bp, optional_json_body, token_user
from participate.api.openapi import document
from participate.errors import DomainError
from participate.petitions import services


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
def apply_change(petition_id: int):
    user = token_user()
    data = optional_json_body()
    petition = services.petition_for(user, petition_id)
    services.apply_governance_change(user, petition, motion_id=_whole_number(data, "motion_id"))
    version = petition.constitution_version
    return jsonify(
        {
            "petition": petition.id,
            "motion": petition.governance_motion_id,
            "constitution_version": version.number if version else None,
        }
    )
