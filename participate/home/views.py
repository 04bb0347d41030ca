"""The page of what needs the signed-in person (/me) and the home page's short panel."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from participate.home import services

bp = Blueprint("home", __name__)


@bp.route("/me")
@login_required
def agenda():
    return render_template("home/agenda.html", agenda=services.agenda_for(current_user))


@bp.app_template_global()
def what_needs_you():
    """The signed-in person's agenda for a template's panel (None for a visitor); computed
    only when a template calls it, so other pages pay nothing."""
    if not current_user.is_authenticated:
        return None
    return services.agenda_for(current_user)
