"""JSON twins of the proposal pages on /api/v1 (same services). Reads are public; writes take
a personal API token. Errors are {"error": {"code", "message"}} with a 4xx status."""

from __future__ import annotations

from flask import jsonify, request, url_for

from participate.api import bp, json_body, optional_json_body, token_user
from participate.api.openapi import document, text
from participate.core import proposals as rules
from participate.councils.services import council_by_slug
from participate.errors import DomainError
from participate.params import int_arg
from participate.proposals import (
    api_discussion,  # noqa: F401  (the routes of a proposal page's actions on participate.api.bp)
    services,
)
from participate.proposals.api_json import TAG, amendment_json, iso
from participate.proposals.listing import list_proposals
from participate.proposals.reading import (
    amendments_with_authors,
    comments_with_authors,
    stance_summary,
    thread_tree,
)
from participate.proposals.search import search_proposals
from participate.proposals.versions import themes_of


def proposal_summary(proposal, themes: list[str]) -> dict:
    hidden = proposal.hidden_at is not None
    data = {
        "id": proposal.id,
        "council": proposal.council.slug,
        "title": proposal.title if not hidden else None,
        "status": proposal.status,
        "author": {
            "id": proposal.author_id,
            "name": proposal.author.name,
            "constituency": proposal.author_constituency,
        },
        "themes": themes,
        "supports": proposal.supports_count,
        "comments": proposal.comments_count,
        "version": proposal.version,
        "created_at": iso(proposal.created_at),
        "updated_at": iso(proposal.updated_at),
        "hidden": hidden,
        "url": url_for("proposals.proposal_page", proposal_id=proposal.id, _external=True),
    }
    if hidden:
        data["hidden_reason"] = proposal.hidden_reason
    return data


def proposal_detail(proposal) -> dict:
    rows = comments_with_authors(proposal.id, source=True)
    data = proposal_summary(proposal, themes_of([proposal.id]).get(proposal.id, []))
    if proposal.hidden_at is None:
        data["body"] = proposal.body
        data["body_html"] = proposal.body_html
    data.update(
        {
            "status_reason": proposal.status_reason,
            "status_changed_at": iso(proposal.status_changed_at),
            "supports_by_constituency": services.supports_by_constituency(proposal.id),
            "stances_by_constituency": stance_summary([c for c, _ in rows]).as_json(),
            "comments_tree": thread_tree(rows),
            "amendments": [
                amendment_json(a, name) for a, name in amendments_with_authors(proposal.id)
            ],
            "versions": [
                {
                    "number": v.number,
                    "title": v.title,
                    "note": v.note,
                    "amendment": v.amendment_id,
                    "created_at": iso(v.created_at),
                }
                for v in services.versions_of(proposal)
            ],
        }
    )
    return data


TITLE = text(rules.TITLE_MAX, code={"pattern": "title_empty", "maxLength": "title_too_long"})
BODY = text(
    rules.BODY_LIMIT,
    code={"pattern": "body_empty", "maxLength": "body_too_long"},
    description="Markdown, up to 20,000 characters",
)
# A theme as the API takes it: letters and digits (ASCII), spaces and hyphens, 2..40 characters
# beginning and ending with a letter or digit, so its slug has the same 2..40
# (core.proposals.validate_themes) and no accent or symbol changes its length.
_THEME = "[A-Za-z0-9][A-Za-z0-9 -]{0,38}[A-Za-z0-9]"
THEME = {
    "type": "string",
    "pattern": f"^{_THEME}$",
    "maxLength": rules.THEME_MAX_LENGTH,
    "x-code": "theme_invalid",
}
THEMES = {
    "oneOf": [
        {"type": "array", "items": THEME, "maxItems": rules.THEMES_MAX},
        {
            "type": "string",
            "pattern": f"^ *{_THEME} *(?:[,;] *{_THEME} *){{0,{rules.THEMES_MAX - 1}}}$",
            "description": "comma-separated",
        },
    ],
    "x-code": "theme_invalid",
    "description": f"up to {rules.THEMES_MAX} themes of 2 to {rules.THEME_MAX_LENGTH} letters, "
    "digits, spaces or hyphens",
}


def _text(data: dict, key: str, *, required: bool = False):
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise DomainError(f"'{key}' must be a string.", code="bad_field", field=key)
    return value


document(
    "/councils/{slug}/proposals",
    "get",
    "A council's proposals: ?status=, ?theme=, ?constituency= (of the author), "
    "?sort=newest|supported|discussed|bridging, ?page=",
    params=["slug"],
    responses={200: "OK", 400: "Bad filter", 404: "No such council"},
    tag=TAG,
)


@bp.get("/councils/<slug>/proposals")
def council_proposals(slug: str):
    council = council_by_slug(slug)
    listing = list_proposals(
        council,
        status=request.args.get("status") or None,
        theme=request.args.get("theme") or None,
        constituency=request.args.get("constituency") or None,
        sort=request.args.get("sort") or "newest",
        page=int_arg(request.args, "page"),
    )
    return jsonify(
        {
            "council": council.slug,
            "total": listing.total,
            "page": listing.page,
            "pages": listing.pages,
            "per_page": listing.per_page,
            "sort": listing.sort,
            "filters": listing.filters,
            "proposals": [
                {**proposal_summary(i.proposal, i.themes), "supports_by_constituency": i.supports}
                for i in listing.items
            ],
        }
    )


document(
    "/councils/{slug}/proposals",
    "post",
    "Write a proposal (members of the council)",
    auth=True,
    params=["slug"],
    body={
        "type": "object",
        "required": ["title", "body"],
        "properties": {
            "title": TITLE,
            "body": BODY,
            "themes": THEMES,
        },
    },
    responses={
        201: "Created: the proposal",
        400: "Bad input",
        401: "Token required",
        403: "Not a member",
        404: "No such council",
    },
    tag=TAG,
)


@bp.post("/councils/<slug>/proposals")
def create_proposal(slug: str):
    user = token_user()
    council = council_by_slug(slug)
    data = json_body()
    themes = data.get("themes")
    proposal = services.create_proposal(
        user,
        council,
        title=data.get("title"),
        body=data.get("body"),
        themes=themes,
    )
    return jsonify(proposal_detail(proposal)), 201


document(
    "/proposals/{id}",
    "get",
    "A proposal with its comments (a tree), stances and supports by constituency, "
    "amendments and versions",
    params=["id"],
    responses={200: "OK", 404: "No such proposal"},
    tag=TAG,
)


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int):
    return jsonify(proposal_detail(services.get_proposal(proposal_id)))


document(
    "/proposals/{id}",
    "patch",
    "The author edits an open proposal (a new version when the title or text changes)",
    auth=True,
    params=["id"],
    body={
        "type": "object",
        "properties": {
            "title": TITLE,
            "body": BODY,
            "themes": THEMES,
            "note": text(500, blank=True, code={"maxLength": "note_too_long"}),
        },
    },
    responses={
        200: "OK",
        400: "Bad input",
        401: "Token required",
        403: "Not the author",
        409: "Not open",
    },
    tag=TAG,
)


@bp.patch("/proposals/<int:proposal_id>")
def edit_proposal(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    data = json_body()
    themes = data["themes"] if "themes" in data else themes_of([proposal.id]).get(proposal.id, [])
    services.edit_proposal(
        user,
        proposal,
        title=data.get("title", proposal.title),
        body=data.get("body", proposal.body),
        themes=themes,
        note=data.get("note", ""),
    )
    return jsonify(proposal_detail(proposal))


document(
    "/proposals/{id}/withdrawal",
    "post",
    "The author withdraws an open proposal",
    auth=True,
    params=["id"],
    body={"type": "object", "properties": {"reason": text(1000, blank=True)}},
    body_required=False,
    responses={200: "Withdrawn", 401: "Token required", 403: "Not the author", 409: "Not open"},
    tag=TAG,
)


@bp.post("/proposals/<int:proposal_id>/withdrawal")
def withdraw_proposal(proposal_id: int):
    user = token_user()
    proposal = services.get_proposal(proposal_id)
    data = optional_json_body()
    services.withdraw_proposal(user, proposal, reason=_text(data, "reason") or "")
    return jsonify(proposal_detail(proposal))


document(
    "/proposals/search",
    "get",
    "Full-text search of proposals across councils: ?q=, ?council=, ?status=, ?page=",
    responses={200: "OK", 400: "Bad query", 404: "No such council"},
    tag=TAG,
)


@bp.get("/proposals/search")
def search():
    slug = request.args.get("council") or None
    results = search_proposals(
        request.args.get("q", ""),
        council=council_by_slug(slug) if slug else None,
        status=request.args.get("status") or None,
        page=int_arg(request.args, "page"),
    )
    return jsonify(
        {
            "query": results.query,
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "results": [
                {
                    **proposal_summary(hit.proposal, []),
                    "snippet_html": str(hit.snippet),
                    "rank": hit.rank,
                }
                for hit in results.hits
            ],
        }
    )
