"""Councils, the forum graph and the token's account with its memberships, read-only, on
the API blueprint (`participate.api.bp`)."""

from __future__ import annotations

from flask import jsonify, request, url_for

from participate.api import bp, token_user
from participate.api.openapi import PATHS, TEXT, document
from participate.councils import search, services
from participate.councils.models import LEVELS
from participate.params import MAX_ID, int_arg


def council_summary(council) -> dict:
    return {
        "slug": council.slug,
        "name": council.name,
        "level": council.level,
        "service": council.service.slug if council.service else None,
        "place": council.place.slug,
        "forum": council.is_forum,
        "url": url_for("councils.council_detail", slug=council.slug, _external=True),
    }


document(
    "/councils",
    "get",
    "List councils: ?q= a place (its councils and those above it) or words of a name or "
    "service, ?service=, ?level=, ?page= and ?per_page= (without them, every match)",
    responses={200: "OK", 400: "Unknown filter or over-long query"},
    tag="councils",
)
PATHS["/councils"]["get"]["parameters"] = [
    {"name": name, "in": "query", "required": False, "description": what, "schema": schema}
    for name, what, schema in (
        (
            "q",
            "A place's name or slug, or words of a council's name, service or place",
            {"type": "string", "maxLength": search.MAX_QUERY, "pattern": TEXT},
        ),
        ("service", "A service's slug", {"type": "string", "pattern": TEXT}),
        ("level", "nation, region or local", {"type": "string", "enum": list(LEVELS)}),
        ("page", "Page number (from 1)", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
        (
            "per_page",
            "Councils a page",
            {"type": "integer", "minimum": 1, "maximum": search.MAX_PER_PAGE},
        ),
    )
]


@bp.get("/councils")
def councils():
    args = request.args
    paged = bool(args.get("page") or args.get("per_page"))
    found = search.search_councils(
        q=args.get("q") or None,
        service=args.get("service") or None,
        level=args.get("level") or None,
        page=int_arg(args, "page", 1, code="bad_page") or 1,
        per_page=int_arg(
            args, "per_page", search.PER_PAGE, high=search.MAX_PER_PAGE, code="bad_per_page"
        )
        if paged
        else None,
    )
    return jsonify(
        {
            "councils": [council_summary(c) for c in found.items],
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "place": found.place.slug if found.place else None,
        }
    )


document(
    "/councils/{slug}",
    "get",
    "A council: remit, constitution, members by constituency, links up and down",
    params=["slug"],
    responses={200: "OK", 404: "No such council"},
    tag="councils",
)


@bp.get("/councils/<slug>")
def council(slug: str):
    council = services.council_by_slug(slug)
    version = services.current_constitution(council)
    return jsonify(
        {
            **council_summary(council),
            "remit": council.remit,
            "members": services.members_by_constituency(council.id),
            "constitution": None
            if version is None
            else {
                "version": version.number,
                "purpose": version.purpose,
                "values": version.values_text,
                "promises": version.promises,
                "settings": version.settings,
                "created_at": version.created_at.isoformat() + "Z",
                "history": [
                    {
                        "version": v.number,
                        "reason": v.reason,
                        "cause": v.cause,
                        "created_at": v.created_at.isoformat() + "Z",
                    }
                    for v in services.constitution_history(council)
                ],
            },
            "links_up": [
                {"to": link.parent.slug, "kind": link.kind} for link in services.links_up(council)
            ],
            "links_down": [
                {"from": link.child.slug, "kind": link.kind}
                for link in services.links_down(council)
            ],
        }
    )


document(
    "/forums/graph",
    "get",
    "Nodes and edges of the forum network (?service= to filter)",
    tag="councils",
)


@bp.get("/forums/graph")
def forum_graph():
    from participate.core import forum_graph as fg

    graph = services.load_graph()
    service = request.args.get("service")
    if service:
        services.check_council_filters(service=service, level=None)
        graph = fg.restrict_to_services(graph, [service])
    return jsonify(
        {
            "nodes": [
                {"slug": n, "level": d["level"], "service": d["service"]}
                for n, d in graph.nodes(data=True)
            ],
            "edges": [
                {"from": a, "to": b, "kind": d["kind"]} for a, b, d in graph.edges(data=True)
            ],
        }
    )


document(
    "/me",
    "get",
    "The account behind the token",
    auth=True,
    responses={200: "OK", 401: "No or bad token"},
    tag="accounts",
)


@bp.get("/me")
def me():
    user = token_user()
    return jsonify(
        {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "confirmed": user.confirmed,
            "memberships": [
                {
                    "council": m.council.slug,
                    "constituency": m.constituency,
                    "status": m.status,
                    "role": m.role,
                }
                for m in user.memberships
            ],
        }
    )
