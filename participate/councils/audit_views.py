from __future__ import annotations

from flask import Blueprint, render_template, request

from participate.audit.services import events_query
from participate.audit.wording import describe
from participate.councils.services import council_by_slug
from participate.extensions import db
from participate.params import int_arg

bp = Blueprint("audit", __name__)
PAGE = 50


def _page(query):
    page = int_arg(request.args, "page")
    rows = db.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    return describe(rows[:PAGE]), page, len(rows) > PAGE


@bp.route("/audit")
def audit_log():
    events, page, more = _page(events_query())
    return render_template("audit/list.html", events=events, page=page, more=more, council=None)


@bp.route("/councils/<slug>/audit")
def council_audit(slug: str):
    council = council_by_slug(slug)
    events, page, more = _page(events_query(council.id))
    return render_template("audit/list.html", events=events, page=page, more=more, council=council)
