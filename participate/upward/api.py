"""JSON twins of the upward and downward pages (same services). Reads are public; writes
take a personal API token. Errors are {"error": {"code", "message"}} with a 4xx status."""

from __future__ import annotations

from flask import jsonify, request, url_for

from participate.api import bp, json_body, token_user
from participate.api.openapi import document, text
from participate.councils.services import council_by_slug
from participate.errors import DomainError
from participate.params import int_arg
from participate.proposals.services import get_proposal
from participate.upward import (
    answers,
    clusters,
    consultation_api,  # noqa: F401  (the consultation routes on participate.api.bp)
    services,
)
from participate.upward.api_json import TAG, iso, string_field


def forward_json(f) -> dict:
    return {
        "id": f.id,
        "proposal": f.proposal_id,
        "root_proposal": f.root_proposal_id,
        "title": f.title,
        "body": f.body,
        "themes": f.themes or [],
        "from": f.from_council.slug,
        "to": f.to_council.slug,
        "link": f.link_kind,
        "path": [c.slug for c in services.path_councils(f)],
        "subsidiarity": f.subsidiarity,
        "motion": f.motion_id,
        "tally": f.tally,
        "supports": f.supports,
        "members": f.members,
        "cluster": f.cluster_id,
        "answer": f.answer_id,
        "taken_up_as": f.taken_up_proposal_id,
        "forwarded_at": iso(f.forwarded_at),
        "url": url_for("upward.forward_page", forward_id=f.id, _external=True),
        "proposal_url": url_for(
            "proposals.proposal_page", proposal_id=f.proposal_id, _external=True
        ),
    }


# ---------------------------------------------------------------- inbox

document(
    "/councils/{slug}/inbox",
    "get",
    "The council's upward inbox: clusters of similar forwarded proposals with their aggregates "
    "(?sort=breadth|bridging|newest|waiting, ?theme=, ?region=, ?status=all|unanswered|answered, ?page=)",
    params=["slug"],
    responses={200: "OK", 404: "No such council"},
    tag=TAG,
)


@bp.get("/councils/<slug>/inbox")
def inbox(slug: str):
    council = council_by_slug(slug)
    page = clusters.list_clusters(council, **clusters.query_from(request.args))
    return jsonify(
        {
            "council": council.slug,
            "sort": page.sort,
            "filters": {"theme": page.theme, "region": page.region, "status": page.status},
            "page": page.page,
            "pages": page.pages,
            "clusters_total": page.total,
            "proposals_total": page.forwards,
            "unanswered_total": page.unanswered,
            "clusters": [clusters.cluster_json(card) for card in page.cards],
        }
    )


document(
    "/councils/{slug}/inbox/clusters/{id}",
    "get",
    "One cluster with its member proposals (?page=, 50 per page)",
    params=["slug", "id"],
    responses={200: "OK", 404: "No such cluster"},
    tag=TAG,
)


@bp.get("/councils/<slug>/inbox/clusters/<int:cluster_id>")
def cluster(slug: str, cluster_id: int):
    council = council_by_slug(slug)
    found = clusters.get_cluster(council, cluster_id)
    if found.merged_into_id is not None:
        raise DomainError(
            f"Cluster {cluster_id} was merged into cluster {found.merged_into_id}.",
            code="cluster_merged",
            status=404,
        )
    page = int_arg(request.args, "page")
    members, total = clusters.cluster_members(found, page)
    return jsonify(
        {
            **clusters.cluster_json(clusters.cards_for([found])[0]),
            "page": page,
            "members_total": total,
            "members": [forward_json(f) for f in members],
        }
    )


document(
    "/councils/{slug}/inbox/clusters/{id}/answer",
    "post",
    "Answer a cluster (minister or clerk): kind accept | decline | refer, reasons, referred_to",
    auth=True,
    params=["slug", "id"],
    body={
        "type": "object",
        "required": ["kind", "reasons"],
        "properties": {
            "kind": {"enum": ["accept", "decline", "refer"], "x-code": "bad_kind"},
            "reasons": text(code="reasons_required"),
            "referred_to": text(blank=True),
        },
    },
    responses={
        201: "Answered",
        400: "Bad input",
        401: "Token required",
        403: "Not allowed",
        409: "Already answered",
    },
    tag=TAG,
)


@bp.post("/councils/<slug>/inbox/clusters/<int:cluster_id>/answer")
def answer(slug: str, cluster_id: int):
    user = token_user()
    data = json_body()
    council = council_by_slug(slug)
    given = answers.answer_cluster(
        user,
        council,
        cluster_id,
        kind=string_field(data, "kind"),
        reasons=string_field(data, "reasons"),
        referred_to=string_field(data, "referred_to") or None,
    )
    return jsonify(clusters.answer_json(given)), 201


for _verb, _summary, _field in (
    ("split", "Split one forwarded proposal out of a cluster (clerk)", "forward"),
    ("merge", "Merge another cluster into this one (clerk)", "other"),
):
    document(
        f"/councils/{{slug}}/inbox/clusters/{{id}}/{_verb}",
        "post",
        _summary,
        auth=True,
        params=["slug", "id"],
        body={
            "type": "object",
            "required": [_field],
            "properties": {_field: {"type": "integer", "minimum": 1, "x-code": "bad_field"}},
        },
        responses={200: "Done", 400: "Bad input", 401: "Token required", 403: "Not allowed"},
        tag=TAG,
    )


def _int_field(data: dict, key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"'{key}' must be an integer id.", code="bad_field", field=key)
    return value


@bp.post("/councils/<slug>/inbox/clusters/<int:cluster_id>/split")
def split(slug: str, cluster_id: int):
    user = token_user()
    data = json_body()
    new = clusters.split_forward(
        user, council_by_slug(slug), cluster_id, _int_field(data, "forward")
    )
    return jsonify({"cluster": new.id, "from": cluster_id})


@bp.post("/councils/<slug>/inbox/clusters/<int:cluster_id>/merge")
def merge(slug: str, cluster_id: int):
    user = token_user()
    data = json_body()
    kept = clusters.merge_clusters(
        user, council_by_slug(slug), cluster_id, _int_field(data, "other")
    )
    return jsonify({"cluster": kept.id, "proposals": kept.size, "councils": kept.councils})


# ---------------------------------------------------------------- forwarding

document(
    "/proposals/{id}/forwards",
    "get",
    "Where a proposal went up: its forwards and those of proposals taken up from it",
    params=["id"],
    tag=TAG,
)


@bp.get("/proposals/<int:proposal_id>/forwards")
def proposal_forwards(proposal_id: int):
    proposal = get_proposal(proposal_id)
    return jsonify(
        {
            "proposal": proposal.id,
            "forwards": [forward_json(f) for f in services.forwards_of(proposal)],
            "targets": [
                {
                    "council": o.council.slug,
                    "link": o.kind,
                    "direct": o.direct,
                    "skips": [c.slug for c in o.skipped],
                    "forwarded": o.existing is not None,
                }
                for o in services.forward_options(proposal)
            ],
        }
    )


document(
    "/proposals/{id}/forwards",
    "post",
    "Forward an adopted proposal to councils above its own, direct parents or further up "
    "(clerk): targets, subsidiarity, motion",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "required": ["targets", "subsidiarity"],
        "properties": {
            "targets": {
                "oneOf": [
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    {"type": "string", "description": "one council's slug"},
                ]
            },
            "subsidiarity": text(code="subsidiarity_required"),
            "motion": {"type": "integer", "minimum": 1},
        },
    },
    responses={
        201: "Forwarded",
        400: "Bad input (not adopted, a target not above the council, no statement)",
        401: "Token required",
        403: "Not a clerk",
        409: "Already forwarded there",
    },
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/forwards")
def create_forwards(proposal_id: int):
    user = token_user()
    data = json_body()
    targets = data.get("targets")
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise DomainError(
            "'targets' must be a list of council slugs.", code="bad_field", field="targets"
        )
    motion = data.get("motion")
    if motion is not None and (isinstance(motion, bool) or not isinstance(motion, int)):
        raise DomainError("'motion' must be a motion id.", code="bad_field", field="motion")
    made = services.forward_proposal(
        user,
        get_proposal(proposal_id),
        targets=targets,
        subsidiarity=string_field(data, "subsidiarity"),
        motion_id=motion,
    )
    return jsonify({"forwards": [forward_json(f) for f in made]}), 201


document(
    "/forwards/{id}", "get", "A forwarded proposal: snapshot, path, answer", params=["id"], tag=TAG
)


@bp.get("/forwards/<int:forward_id>")
def forward(forward_id: int):
    f = services.get_forward(forward_id)
    data = forward_json(f)
    data["answer"] = clusters.answer_json(f.answer) if f.answer is not None else None
    return jsonify(data)


document(
    "/forwards/{id}/take-up",
    "post",
    "Take a forwarded proposal up as a proposal of the receiving council (its clerk)",
    auth=True,
    params=["id"],
    responses={201: "Taken up", 401: "Token required", 403: "Not allowed", 409: "Already taken up"},
    tag=TAG,
)


@bp.post("/forwards/<int:forward_id>/take-up")
def take_up(forward_id: int):
    user = token_user()
    proposal = services.take_up(user, services.get_forward(forward_id))
    return jsonify(
        {
            "proposal": proposal.id,
            "url": url_for("proposals.proposal_page", proposal_id=proposal.id, _external=True),
        }
    ), 201
