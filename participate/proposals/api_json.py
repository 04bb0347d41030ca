"""What the proposals API modules (`api` for proposals, `api_discussion` for the actions on
a proposal's page) share: their OpenAPI tag, the timestamp format and an amendment's JSON."""

from __future__ import annotations

TAG = "proposals"


def iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def amendment_json(amendment, author_name: str) -> dict:
    return {
        "id": amendment.id,
        "proposal": amendment.proposal_id,
        "author": {
            "id": amendment.author_id,
            "name": author_name,
            "constituency": amendment.author_constituency,
        },
        "body": amendment.body,
        "reason": amendment.reason,
        "base_version": amendment.base_version,
        "status": amendment.status,
        "response": amendment.response,
        "resulting_version": amendment.resulting_version,
        "created_at": iso(amendment.created_at),
        "resolved_at": iso(amendment.resolved_at),
    }
