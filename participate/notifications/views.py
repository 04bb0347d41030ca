from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from participate.notifications import services

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def inbox():
    return render_template(
        "notifications/list.html", notifications=services.list_for(current_user.id)
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user.id)
    return redirect(url_for("notifications.inbox"))
