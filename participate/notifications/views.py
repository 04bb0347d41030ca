"""Notifications: the list, the e-mail settings page and the unsubscribe link's pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from participate.errors import DomainError
from participate.forms_util import apply_error
from participate.notifications import api as _api  # noqa: F401  (joins the API blueprint)
from participate.notifications import kinds as K
from participate.notifications import preferences, services, unsubscribe
from participate.notifications.forms import SettingsForm

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def inbox():
    """The newest notifications, grouped; showing them marks them read (those that were
    new keep their "new" mark on this one page), so the header's count drops at once."""
    days = services.feed_for(current_user.id)
    services.mark_read(
        current_user.id, [i for day in days for entry in day.entries for i in entry.unread_ids]
    )
    return render_template("notifications/list.html", days=days)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    services.mark_all_read(current_user.id)
    return redirect(url_for("notifications.inbox"))


@bp.route("/me/notifications", methods=["GET", "POST"])
@login_required
def settings():
    current = preferences.settings_of(current_user)
    form = SettingsForm(
        email=current.email, **{f"kind_{c.kind.key}": c.delivery for c in current.choices}
    )
    if form.validate_on_submit():
        try:
            # only what the person changed is stored: untouched kinds keep following
            # their default
            changed = {k: v for k, v in form.changes().items() if v != current.delivery(k)}
            preferences.update_settings(current_user, email=form.email.data, changes=changed)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Your e-mail settings are saved.", "success")
            return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html", form=form, groups=K.grouped()
    ), 400 if form.errors else 200


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe_page(token: str):
    """The link in every e-mail: says what it would stop, with a button; a GET (a mail
    scanner following links) changes nothing."""
    try:
        asked = unsubscribe.read_token(token)
    except DomainError as error:
        return render_template("notifications/unsubscribe.html", error=error), 400
    return render_template("notifications/unsubscribe.html", asked=asked, token=token)


@bp.route("/unsubscribe/<token>", methods=["POST"])
def unsubscribe_apply(token: str):
    """The button: needs no sign-in (the signed token names the person); the form's CSRF
    token is checked by Flask-WTF's CSRFProtect like every other form."""
    try:
        asked = unsubscribe.read_token(token)
    except DomainError as error:
        return render_template("notifications/unsubscribe.html", error=error), 400
    done = preferences.turn_off(asked.user, asked.scope)
    return render_template("notifications/unsubscribe.html", done=done, asked=asked)
