"""participate: a deliberative participation platform for public-service councils."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from participate.config import ROOT, config_from_env
from participate.errors import DomainError, http_error_headers
from participate.extensions import csrf, db, htmx, limiter, login, migrate
from participate.headers import security_headers
from participate.params import IdConverter, screen_input
from participate.ratelimit import retry_after_headers
from participate.static_files import init_static


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run during a write; busy_timeout queues writers instead of failing.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def create_app(config=None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=False,
    )
    app.url_map.converters["int"] = IdConverter  # before any route: every <int:...> is an id
    app.config.from_object(config_from_env())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if (
        app.config.get("ENV_NAME") == "production"
        or os.environ.get("PARTICIPATE_ENV") == "production"
    ):
        if app.config["SECRET_KEY"] in ("dev", "", None):
            raise RuntimeError(
                "Set SECRET_KEY to a long random value before running in production."
            )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        # A local file cannot go stale like a network connection: no ping before each checkout.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "pool_pre_ping": False,
            "connect_args": {"timeout": 30},
        }
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)

    from participate import models  # noqa: F401  (every table registered)

    _register_blueprints(app)
    _register_errors(app)
    _register_template_helpers(app)
    init_static(app)  # fingerprinted, immutable, compressed static files (WhiteNoise)

    from participate.commands import register_cli

    register_cli(app)

    app.before_request(screen_input)

    @app.after_request
    def _security_headers(response):
        return security_headers(app, response)

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # behind nginx or a load balancer: the client's own address and scheme
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    return app


def _register_blueprints(app: Flask) -> None:
    from participate.accounts.views import bp as accounts_bp
    from participate.admin.views import bp as admin_bp
    from participate.api import bp as api_bp
    from participate.councils import api as _councils_api  # noqa: F401  (its routes on api_bp)
    from participate.councils.audit_views import bp as audit_bp
    from participate.councils.views import bp as councils_bp
    from participate.features import parts
    from participate.notifications.views import bp as notifications_bp

    feature_views = parts("views")
    parts("api")  # routes join the API blueprint before it is registered
    for blueprint in (accounts_bp, councils_bp, admin_bp, audit_bp, notifications_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)
    for module in feature_views:
        app.register_blueprint(module.bp)
    council_tabs = [tab for m in feature_views for tab in getattr(m, "COUNCIL_TABS", [])]
    nav_items = [item for m in feature_views for item in getattr(m, "NAV_ITEMS", [])]

    # Fixed for the app's life: template globals, not a context processor run on every render.
    app.jinja_env.globals.update(council_tabs=council_tabs, extra_nav_items=nav_items)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if _wants_json():
            return jsonify(error.as_json()), error.status
        return render_template(
            "error.html",
            status=error.status,
            title=_TITLES.get(error.status, "Refused"),
            message=error.message,
        ), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if isinstance(getattr(error, "original_exception", None), _UNAVAILABLE):
            # Another error's page failed to render with the database away (its header
            # reads the signed-in account): Flask hands that on here as a 500.
            return _database_unavailable(error.original_exception)
        status = error.code or 500
        message = _MESSAGES.get(status, error.description)
        if status == 400 and error.description and "CSRF" in error.description:
            message = "This form had expired or was sent from elsewhere. Go back, reload the page and try again."
            limit = app.config.get("WTF_CSRF_TIME_LIMIT")
            if "expired" in error.description and limit:
                message = (
                    f"This form expired: a page's forms work for {limit / 3600:g} hours after "
                    "it was opened, to keep your account safe. Reload the page and send the "
                    "form again."
                )
        # A 405 lists the methods it allows (Allow); a rate limit says when to try again.
        headers = {**http_error_headers(error), **retry_after_headers(error)}
        if _wants_json():
            code = {429: "rate_limited", 404: "not_found", 405: "method_not_allowed"}.get(
                status, "http_error"
            )
            return jsonify({"error": {"code": code, "message": message}}), status, headers
        return (
            render_template(
                "error.html", status=status, title=_TITLES.get(status, error.name), message=message
            ),
            status,
            headers,
        )

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def _database_unavailable(error):
        # The database is out of reach (stopped, restarting, a dropped connection) or refused
        # a transaction for a moment (a deadlock, a serialisation failure). Each change
        # commits whole or not at all, so nothing was half-saved. The session is dropped with
        # its dead connection; the pool (pool_pre_ping) reconnects on a later request.
        app.logger.warning("database unavailable on %s: %s", request.path, error.orig)
        db.session.remove()
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
        if _wants_json():
            body = {"error": {"code": "unavailable", "message": _MESSAGES[503]}}
            return jsonify(body), 503, headers
        # Its own page, rendered without the context processors: those (and base.html's
        # header) read the signed-in account, from the database that is away.
        page = app.jinja_env.get_template("unavailable.html").render(
            site_name=app.config.get("SITE_NAME", "participate"),
            message=_MESSAGES[503],
            retry_after=UNAVAILABLE_RETRY_AFTER,
        )
        return page, 503, headers

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": {"code": "server_error", "message": _MESSAGES[500]}}), 500
        return render_template(
            "error.html", status=500, title=_TITLES[500], message=_MESSAGES[500]
        ), 500


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
}
_MESSAGES = {
    400: "The request could not be understood. Check what you sent and try again.",
    403: "You do not have permission to do that.",
    404: "There is nothing at this address. It may have moved; try the search or the list of councils.",
    405: "That action is not available at this address.",
    413: "That upload is too large.",
    429: "Too many requests in a short time. Wait a minute and try again.",
    500: "Something went wrong on our side and nothing was changed. Try again in a moment.",
    503: (
        "The service is briefly unavailable. Nothing you sent was half-saved: a change is "
        "saved whole or not at all. Try again in a moment; if it was saved already, you "
        "will be told so."
    ),
}
# DBAPI errors that mean "not now" rather than "never": the database is out of reach.
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError)
UNAVAILABLE_RETRY_AFTER = 5  # seconds: a database restart or failover takes about this long


def _register_template_helpers(app: Flask) -> None:
    from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS
    from participate.markup import iso_datetime, markdown_filter
    from participate.wording import FILTERS as WORDING

    app.jinja_env.globals.update(
        CONSTITUENCIES=CONSTITUENCIES, CONSTITUENCY_LABELS=CONSTITUENCY_LABELS
    )
    app.jinja_env.filters["markdown"] = markdown_filter
    app.jinja_env.filters["iso"] = iso_datetime  # <time datetime>: milliseconds at most
    app.jinja_env.filters["dt"] = lambda v: v.strftime("%-d %b %Y, %H:%M") if v else ""
    app.jinja_env.filters["date"] = lambda v: v.strftime("%-d %b %Y") if v else ""
    app.jinja_env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    app.jinja_env.filters["pct"] = lambda v: f"{v * 100:.0f}%" if v is not None else "–"
    app.jinja_env.filters.update(WORDING)  # numbers and terms in words

    @app.context_processor
    def _globals():
        return {
            "unread_notifications": _LazyUnread(),
            "site_name": app.config.get("SITE_NAME", "participate"),
        }


class _LazyUnread:
    """The signed-in person's unread count, queried only if a template shows it (htmx fragments don't)."""

    _value: int | None = None

    def _get(self) -> int:
        if self._value is None:
            from flask_login import current_user

            from participate.notifications.services import unread_count

            self._value = unread_count(current_user.id) if current_user.is_authenticated else 0
        return self._value

    def __bool__(self) -> bool:
        return self._get() > 0

    def __int__(self) -> int:
        return self._get()

    def __str__(self) -> str:
        return str(self._get())
