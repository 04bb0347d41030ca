"""JSON API of what needs the person behind the token: the page's twin, on the same service."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from participate.api import bp, token_user
from participate.api.openapi import document
from participate.home import services


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def agenda_json(agenda: services.Agenda, base: str) -> dict[str, Any]:
    def absolute(url: str) -> str | None:
        return base + url if url else None

    return {
        "total": agenda.total,
        "generated_at": _iso(agenda.generated_at),
        "sections": [
            {
                "key": s.key,
                "group": s.group,
                "title": s.title,
                "count": s.count,
                "more_url": absolute(s.more_url),
                "not_listed": s.hidden,
                "items": [
                    {
                        "text": i.text,
                        "url": absolute(i.url),
                        "council": i.council or None,
                        "due_at": _iso(i.due_at),
                        "when": i.when or None,
                    }
                    for i in s.items
                ],
            }
            for s in agenda.sections
        ],
    }


document(
    "/me/agenda",
    "get",
    "What needs the token's account now: votes to cast, rounds to take part in, its "
    "petitions, replies; for a clerk the join requests, flags, petitions to check and answer, "
    "near deadlines; for a minister the waiting inbox and closing consultations. Sections "
    "with counts; each item has a sentence, a link and a date where there is one",
    auth=True,
    responses={200: "OK"},
    tag="accounts",
)


@bp.get("/me/agenda")
def me_agenda():
    agenda = services.agenda_for(token_user())
    return jsonify(agenda_json(agenda, request.host_url.rstrip("/")))
