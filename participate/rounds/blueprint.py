"""The rounds feature's blueprint, with the template filter and labels its pages share.

Both view modules (`views` for everyone, `clerk_views` for the clerk's actions) add their
routes to this one blueprint; neither imports the other.
"""

from __future__ import annotations

from flask import Blueprint

from participate.rounds.models import PHASE_LABELS, PHASE_PURPOSES
from participate.rounds.presenting import relative
from participate.votes.models import METHOD_LABELS

bp = Blueprint("rounds", __name__)


@bp.app_template_filter("relative")
def _relative(value):
    return relative(value)


@bp.app_context_processor
def _labels():
    return {
        "PHASE_LABELS": PHASE_LABELS,
        "PHASE_PURPOSES": PHASE_PURPOSES,
        "METHOD_LABELS": METHOD_LABELS,
    }
