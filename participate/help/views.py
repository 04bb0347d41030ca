"""How this works: one short page per role, in plain language, linked where the question
arises (the vote page near the weights, the petition page near the threshold, the inbox)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("help", __name__)

ROLES = {
    "citizen": "Citizens",
    "employee": "People who work in a service",
    "clerk": "Clerks",
    "minister": "Ministers and elected members",
    "partner": "Partner organisations",
}


@bp.route("/help")
def index():
    return render_template("help/index.html", roles=ROLES)


def _role_page(role: str):
    def view():
        return render_template(f"help/{role}.html", roles=ROLES, role=role, title=ROLES[role])

    return view


for _role in ROLES:  # one fixed address per role: /help/citizen, /help/clerk ...
    bp.add_url_rule(f"/help/{_role}", endpoint=_role, view_func=_role_page(_role))
