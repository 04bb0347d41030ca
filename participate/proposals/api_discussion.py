"""JSON twins of the proposal page's actions: comment, support, amend, resolve, flag, follow.
Write endpoints take a personal API token; errors are {"error": {"code", "message"}}."""

from __future__ import annotations

from flask import jsonify

from participate.api import bp, json_body, token_user
from participate.api.openapi import document, text
from participate.core import proposals as rules
from participate.errors import DomainError
from participate.proposals import amendments, discussion, moderation, services
from participate.proposals.amendments import REASON_LIMIT
from participate.proposals.api_json import TAG, amendment_json, iso
from participate.proposals.discussion import COMMENT_LIMIT
from participate.proposals.moderation import FLAG_REASON_LIMIT

document(
    "/proposals/{id}/comments",
    "post",
    "Comment with a stance, or reply to a comment of the same proposal (members)",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["body", "stance"],
        "properties": {
            "body": text(
                COMMENT_LIMIT,
                code={"pattern": "body_empty", "maxLength": "body_too_long"},
                description="Markdown, up to 5,000 characters",
            ),
            "stance": {"enum": list(rules.STANCES), "x-code": "stance_invalid"},
            "parent_id": {"type": "integer", "minimum": 1, "x-code": "bad_parent"},
        },
    },
    responses={
        201: "Created: the comment",
        400: "Bad input",
        401: "Token required",
        403: "Not a member",
        404: "No such proposal",
        409: "The proposal takes no comments now",
    },
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/comments")
def add_comment(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    data = json_body()
    parent = data.get("parent_id")
    if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int)):
        raise DomainError(
            "'parent_id' must be a comment number.", code="bad_parent", field="parent_id"
        )
    comment = discussion.add_comment(
        user, proposal, body=data.get("body"), stance=data.get("stance"), parent_id=parent
    )
    return jsonify(
        {
            "id": comment.id,
            "proposal": proposal.id,
            "parent_id": comment.parent_id,
            "author": {"id": user.id, "name": user.name},
            "constituency": comment.author_constituency,
            "stance": comment.stance,
            "body": comment.body,
            "body_html": comment.body_html,
            "created_at": iso(comment.created_at),
        }
    ), 201


def _supports_json(proposal) -> dict:
    counts = services.supports_by_constituency(proposal.id)
    return {"proposal": proposal.id, "total": sum(counts.values()), "by_constituency": counts}


document(
    "/proposals/{id}/supports",
    "post",
    "Support a proposal (members; once each)",
    auth=True,
    params=["id"],
    responses={
        201: "Supported: counts by constituency",
        401: "Token required",
        403: "Not a member",
        404: "No such proposal",
        409: "Already supported, or the proposal takes no supports now",
    },
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/supports")
def support(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    discussion.support(user, proposal)
    return jsonify({**_supports_json(proposal), "supporting": True}), 201


document(
    "/proposals/{id}/supports",
    "delete",
    "Withdraw your support",
    auth=True,
    params=["id"],
    responses={200: "Withdrawn: counts", 401: "Token required", 409: "You do not support it"},
    tag=TAG,
)


@bp.delete("/proposals/<int:proposal_id>/supports")
def withdraw_support(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    discussion.withdraw_support(user, proposal)
    return jsonify({**_supports_json(proposal), "supporting": False})


document(
    "/proposals/{id}/amendments",
    "post",
    "Propose an amendment: the whole replacement text and a reason (members)",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["body", "reason"],
        "properties": {
            "body": text(rules.BODY_LIMIT, code={"pattern": "body_empty"}),
            "reason": text(REASON_LIMIT, code={"pattern": "reason_required"}),
        },
    },
    responses={
        201: "Created: the amendment",
        400: "Bad input",
        401: "Token required",
        403: "Not a member",
        409: "The proposal takes no amendments now",
    },
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/amendments")
def propose_amendment(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    data = json_body()
    amendment = amendments.propose_amendment(
        user, proposal, body=data.get("body"), reason=data.get("reason")
    )
    return jsonify(amendment_json(amendment, user.name)), 201


document(
    "/amendments/{id}/resolution",
    "post",
    "The proposal's author accepts (a new version) or declines (reason required) an amendment",
    auth=True,
    params=["id"],
    body={
        "description": 'Accept, or decline with a reason: {"decision": "accept"} or '
        '{"decision": "decline", "reason": "..."}',
        "oneOf": [
            {
                "type": "object",
                "required": ["decision"],
                "properties": {
                    "decision": {"const": "accept", "x-code": "bad_decision"},
                    "reason": text(REASON_LIMIT, blank=True),
                },
            },
            {
                "type": "object",
                "required": ["decision", "reason"],
                "properties": {
                    "decision": {"const": "decline", "x-code": "bad_decision"},
                    "reason": text(REASON_LIMIT, code="reason_required"),
                },
            },
        ],
        "x-code": "bad_decision",
    },
    responses={
        200: "Resolved: the amendment",
        400: "Bad input",
        401: "Token required",
        403: "Not the author",
        409: "Already resolved",
    },
    tag=TAG,
)


@bp.post("/amendments/<int:amendment_id>/resolution")
def resolve_amendment(amendment_id: int):
    user = token_user()
    amendment = amendments.get_amendment(amendment_id)
    data = json_body()
    decision = data.get("decision")
    if decision not in ("accept", "decline"):
        raise DomainError(
            "'decision' must be 'accept' or 'decline'.", code="bad_decision", field="decision"
        )
    amendments.resolve_amendment(
        user, amendment, accept=decision == "accept", reason=data.get("reason") or ""
    )
    return jsonify(amendment_json(amendment, amendment.author.name))


document(
    "/proposals/{id}/flags",
    "post",
    "Flag a proposal, or one of its comments (comment_id), for the clerk",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": text(FLAG_REASON_LIMIT, code="reason_required"),
            "comment_id": {"type": "integer", "minimum": 1, "x-code": "bad_comment"},
        },
    },
    responses={201: "Flagged", 400: "Bad input", 401: "Token required", 409: "Already flagged"},
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/flags")
def flag(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    data = json_body()
    comment_id = data.get("comment_id")
    comment = None
    if comment_id is not None:
        if isinstance(comment_id, bool) or not isinstance(comment_id, int):
            raise DomainError(
                "'comment_id' must be a number.", code="bad_comment", field="comment_id"
            )
        comment = discussion.get_comment(comment_id)
    row = moderation.flag(user, proposal, comment=comment, reason=data.get("reason"))
    return jsonify({"id": row.id, "proposal": proposal.id, "comment": row.comment_id}), 201


document(
    "/proposals/{id}/follow",
    "post",
    "Follow a proposal (in-app notifications); DELETE to stop",
    auth=True,
    params=["id"],
    responses={200: "Following", 401: "Token required"},
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/follow")
def follow(proposal_id: int):
    user = token_user()
    discussion.follow(user, services.get_proposal(proposal_id))
    return jsonify({"proposal": proposal_id, "following": True})


document(
    "/proposals/{id}/follow",
    "delete",
    "Stop following a proposal",
    auth=True,
    params=["id"],
    responses={200: "Not following", 401: "Token required"},
    tag=TAG,
)


@bp.delete("/proposals/<int:proposal_id>/follow")
def unfollow(proposal_id: int):
    user = token_user()
    discussion.unfollow(user, services.get_proposal(proposal_id))
    return jsonify({"proposal": proposal_id, "following": False})
