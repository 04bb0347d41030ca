"""The feeds' URLs: one service each, rendered by templates/feeds/feed.xml (autoescaped, so
titles and HTML content are escaped text as Atom's type="html" wants), served as Atom with an
ETag and Last-Modified so a reader that polls gets 304 while nothing changed."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from participate.councils.services import council_by_slug
from participate.feeds import services

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"


def _atom(feed: services.Feed) -> Response:
    response = Response(render_template("feeds/feed.xml", feed=feed), content_type=ATOM)
    response.last_modified = feed.updated
    response.add_etag()
    # No max-age: a reader revalidates (a cheap 304), so a proposal a moderator hides
    # leaves the feed at once rather than after a cache's lifetime.
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.route("/councils/<slug>/feeds/proposals.atom")
def council_proposals(slug: str):
    return _atom(services.proposals_feed(council_by_slug(slug)))


@bp.route("/councils/<slug>/feeds/rounds.atom")
def council_rounds(slug: str):
    return _atom(services.rounds_feed(council_by_slug(slug)))


@bp.route("/councils/<slug>/feeds/decisions.atom")
def council_decisions(slug: str):
    return _atom(services.decisions_feed(council_by_slug(slug)))


@bp.route("/councils/<slug>/inbox/answers.atom")
def council_answers(slug: str):
    return _atom(services.answers_feed(council_by_slug(slug)))


@bp.route("/petitions/<int:petition_id>/feed.atom")
def petition_milestones(petition_id: int):
    return _atom(services.petition_feed(petition_id))
