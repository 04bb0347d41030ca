"""The proposals feature's blueprint. Both view modules (`views` for threads, `views_moderation`
for the moderators' queue and actions) add their routes to it; neither imports the other."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from participate.proposals.search import exclude_index_from_autogenerate
from participate.proposals.thread_html import render_thread

bp = Blueprint("proposals", __name__)


@bp.record_once
def _setup(state) -> None:
    exclude_index_from_autogenerate(state.app)
    state.app.jinja_env.globals["render_thread"] = render_thread


def to_proposal(proposal_id: int, anchor: str = ""):
    """303 to the proposal's page (at ``anchor``): where every action on a thread lands."""
    return redirect(url_for("proposals.proposal_page", proposal_id=proposal_id) + anchor, 303)
