"""Sign-up, confirmation, sign-in/out, password reset, profile and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from participate.accounts import services, sessions
from participate.accounts.forms import (
    PasswordForm,
    ProfileForm,
    ResetForm,
    ResetRequestForm,
    SignInForm,
    SignUpForm,
    TokenForm,
)
from participate.accounts.models import User
from participate.errors import DomainError
from participate.extensions import db, limiter, login
from participate.forms_util import apply_error

bp = Blueprint("accounts", __name__)


@login.user_loader
def _load_user(value: str):
    """The account of a live session ("<user id>:<session key>", from ``User.get_id``), for
    the session cookie and the remember-me cookie alike; None (signed out) for an ended,
    expired or unknown session."""
    user_id, _, key = value.partition(":")
    if not user_id.isdigit() or not key:
        return None
    return sessions.user_for_session(int(user_id), key)


def _new_csrf_token() -> None:
    """Drop this session's CSRF secret, so Flask-WTF makes a new one for the next form: a
    token handed out before a sign-in or sign-out stops working after it."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)  # generate_csrf's copy for this request


def _sign_in(user: User, *, remember: bool = False) -> None:
    """Start a new session for ``user`` (a row, a new CSRF token) and sign it in; a session
    this browser had before ends."""
    if current_user.is_authenticated:
        sessions.end_session(current_user._get_current_object())
    sessions.start_session(user)
    _new_csrf_token()
    login_user(user, remember=remember)


def _safe_next(target: str | None) -> str:
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("home.agenda")  # what needs the person now


def _signin_limit():
    return current_app.config["SIGNIN_RATE_LIMIT"]


def _signup_limit():
    return current_app.config["SIGNUP_RATE_LIMIT"]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            services.sign_up(form.email.data, form.name.data, form.password.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            # The same answer whether or not the address has an account (no probing): the
            # mail says which it is.
            flash(
                f"We sent a confirmation link to {form.email.data}: open it to finish signing "
                "up (it works for 7 days). If that address already has an account, the message "
                "says how to sign in instead.",
                "success",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/signup.html", form=form), 400 if form.errors else 200


@bp.route("/confirm/<token>")
def confirm(token: str):
    user, first = services.confirm_email(token)
    if first and not current_user.is_authenticated:
        _sign_in(user)  # the link proves the mailbox, as a reset link does; once only
    flash(
        f"Thank you: {user.email} is confirmed. You can now join councils and sign petitions.",
        "success",
    )
    return redirect(
        url_for("accounts.profile") if current_user.is_authenticated else url_for("accounts.login")
    )


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@limiter.limit("5 per hour")
def resend_confirmation():
    if current_user.confirmed:
        flash("Your e-mail is already confirmed.", "info")
    else:
        services.send_confirmation(current_user)
        flash(f"We sent a new confirmation link to {current_user.email}.", "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
@limiter.limit(_signin_limit, methods=["POST"])
def login_view():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            _sign_in(user, remember=form.remember.data)
            flash(f"Signed in as {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template(
        "accounts/login.html", form=form
    ), 400 if form.errors or form.form_errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out this session: its row is deleted, so a copy of its cookie or of its
    remember-me cookie signs nobody in afterwards; other devices stay signed in."""
    if current_user.is_authenticated:
        sessions.end_session(current_user._get_current_object())
    logout_user()
    _new_csrf_token()
    flash("You are signed out.", "info")
    return redirect(url_for("councils.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            "If an account uses that address, we sent it a link to choose a new password.", "info"
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            _sign_in(user)
            flash("Your password is changed and you are signed in.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/reset.html", form=form), 400 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                name=form.name.data,
                bio=form.bio.data or "",
                email_notifications=form.email_notifications.data,
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.profile"))
    memberships = sorted(
        current_user.memberships, key=lambda m: (m.status != "active", m.council.name)
    )
    return render_template(
        "accounts/profile.html",
        form=form,
        memberships=memberships,
        password_form=PasswordForm(prefix="pw"),
    ), 400 if form.errors else 200


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("accounts.profile"))
    memberships = sorted(current_user.memberships, key=lambda m: m.council.name)
    return render_template(
        "accounts/profile.html",
        form=ProfileForm(obj=current_user),
        memberships=memberships,
        password_form=form,
    ), 400


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = services.create_token(current_user, form.name.data)
        form = TokenForm(formdata=None)
    return render_template(
        "accounts/tokens.html",
        form=form,
        tokens=services.tokens_of(current_user),
        new_token=new_token,
    )


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    services.revoke_token(current_user, token_id)
    flash("The token is revoked.", "info")
    return redirect(url_for("accounts.tokens"))


@bp.route("/people/<int:user_id>")
def person(user_id: int):
    user = db.get_or_404(User, user_id)
    memberships = [m for m in user.memberships if m.status == "active"]
    return render_template("accounts/person.html", person=user, memberships=memberships)
