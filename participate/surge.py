"""The surge writes (signing a petition, casting a ballot) served on a short path.

DESIGN.md §8 asks these two writes to keep up with a surge: at least half the rate of a bare
insert-per-request Flask app. Each is one INSERT, but Flask's full dispatch around it cost
several times the write: every ``before_request`` and ``after_request`` hook of every
extension, Flask-Limiter's per-request evaluation (filtering every registered limit, then
injecting rate-limit headers with two more storage reads), and the CSRF hook.

This WSGI middleware takes only the htmx form POSTs to the views registered with
:func:`route` and runs them in a normal Flask request context (the same session, ``request``,
``url_for``, templates, services and error handlers), doing exactly what those requests need:

1. CSRF: ``csrf.protect()``, the same check Flask-WTF's hook makes (refusal: its 400 page).
2. Rate limits: the same Flask-Limiter storage and strategy (``limiter.limiter``), hit with the
   same keys its decorators use (:class:`Limit`), so the short path and the full path share
   one budget; a breach is the same 429 the views' error handlers answer.
3. The view function itself, undecorated; its errors go through the app's error handlers.
4. The security headers every response carries (``participate/headers.py``); the session is
   saved only if the view changed it, as Flask does.

Everything else (plain form posts without JavaScript, other methods, other paths) goes
through Flask untouched. A hook added with ``before_request`` does NOT run on this path: a
rule that must hold for these writes belongs in their service, which both paths call.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Flask, request, session
from limits import parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from participate.extensions import csrf, limiter
from participate.headers import security_headers


@dataclass(frozen=True)
class Limit:
    """One rate limit, declared once for the Flask-Limiter decorator and the short path.

    ``value`` returns the limit string ("120 per minute"), ``key`` the bucket's key for the
    current request (an address, an account), ``scope`` the shared bucket's name.
    """

    value: Callable[[], str]
    key: Callable[[], str]
    scope: str

    def decorator(self):
        """The Flask-Limiter decorator for the full path (a shared limit: one budget)."""
        return limiter.shared_limit(self.value, scope=self.scope, key_func=self.key)


_PARSED: dict[str, list] = {}


def hit(limits: list[Limit]) -> None:
    """Count this request against ``limits`` exactly as Flask-Limiter's decorators do.

    The storage keys are Flask-Limiter's (``[key_prefix,] key, scope``, via the strategy it
    built from RATELIMIT_STORAGE_URI and RATELIMIT_STRATEGY); the first breach stops the
    count and answers 429, as its default ``fail_on_first_breach``.
    """
    if not limiter.enabled:
        return
    items = []
    for spec in limits:
        value = spec.value()
        parsed = _PARSED.get(value)
        if parsed is None:
            parsed = _PARSED[value] = parse_many(value)
        key = spec.key()
        args = [limiter._key_prefix, key, spec.scope] if limiter._key_prefix else [key, spec.scope]
        items += [(item, args) for item in parsed]
    strategy = limiter.limiter
    pairs = sorted(items, key=lambda pair: pair[0])
    breached = _redis_hit(strategy, pairs)
    if breached is None:  # not fixed windows on Redis: one storage call per limit
        breached = next((p for p in pairs if not strategy.hit(p[0], *p[1])), False)
    if breached:
        item, args = breached
        reset_at = strategy.get_window_stats(item, *args).reset_time
        raise TooManyRequests(
            f"Rate limit exceeded: {item}.",
            retry_after=max(1, math.ceil(reset_at - time.time())),
        )


# Fixed windows on Redis, all in one round trip: the same INCRBY + EXPIRE per key as the
# ``limits`` library's own incr_expire.lua, stopping at the first breach as Flask-Limiter does.
_INCR_EXPIRE_MANY = """
local n = #KEYS
for i = 1, n do
  local current = redis.call("incrby", KEYS[i], 1)
  if tonumber(current) == 1 then
    redis.call("expire", KEYS[i], ARGV[i])
  end
  if tonumber(current) > tonumber(ARGV[n + i]) then
    return i
  end
end
return 0
"""
_SCRIPTS: dict[int, object] = {}


def _redis_hit(strategy, pairs):
    """The first breached (item, args), False if none; None when this storage is not Redis."""
    storage = strategy.storage
    if not (
        isinstance(strategy, FixedWindowRateLimiter)
        and isinstance(storage, RedisStorage)
        and type(storage) is RedisStorage  # not a cluster or sentinel variant
    ):
        return None
    script = _SCRIPTS.get(id(storage))
    if script is None:
        script = _SCRIPTS[id(storage)] = storage.get_connection().register_script(_INCR_EXPIRE_MANY)
    keys = [storage.prefixed_key(item.key_for(*args)) for item, args in pairs]
    argv = [item.get_expiry() for item, _ in pairs] + [item.amount for item, _ in pairs]
    index = int(script(keys=keys, args=argv))  # type: ignore[operator]
    return pairs[index - 1] if index else False


@dataclass(frozen=True)
class Route:
    view: Callable
    limits: list[Limit] = field(default_factory=list)


# endpoint -> Route, filled by the feature views at import time
ROUTES: dict[str, Route] = {}


def route(bp: Blueprint, rule: str, view: Callable, limits: list[Limit]):
    """Register ``view`` as the POST ``rule`` of ``bp`` behind the decorators of ``limits``
    (the full path), and for htmx requests on the short path; returns the decorated view.

    ``limits`` are listed in the order Flask-Limiter checks them (the innermost first).
    """
    endpoint = view.__name__.lstrip("_")
    decorated = view
    for spec in limits:
        decorated = spec.decorator()(decorated)
    ROUTES[f"{bp.name}.{endpoint}"] = Route(view, list(limits))
    return bp.route(rule, methods=["POST"], endpoint=endpoint)(decorated)


def _path_filter(app: Flask) -> re.Pattern:
    """A cheap first test of PATH_INFO, from the registered endpoints' URL rules (Flask's own
    routing still decides, in the request context)."""
    rules = [r.rule for endpoint in ROUTES for r in app.url_map.iter_rules(endpoint)]
    patterns = [re.sub(r"<[^>]+>", "[^/]+", re.escape(rule)) for rule in rules]
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


class Surge:
    """WSGI middleware: htmx POSTs to the registered endpoints skip Flask's per-request hooks."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.paths = _path_filter(app)

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("HTTP_HX_REQUEST") != "true"
            or not self.paths.fullmatch(environ.get("PATH_INFO", ""))
        ):
            return self.wsgi_app(environ, start_response)
        return self._serve(environ, start_response)

    def _serve(self, environ, start_response):
        app = self.app
        ctx = app.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                found = ROUTES.get(request.endpoint or "")
                if found is None or request.routing_exception is not None:
                    ctx.pop()
                    ctx = None
                    return self.wsgi_app(environ, start_response)
                response = self._dispatch(found)
            except Exception as e:
                error = e
                response = app.handle_exception(e)
            except:  # noqa: E722 (as Flask.wsgi_app: remember it for the teardown, re-raise)
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            if ctx is not None:
                ctx.pop(error)

    def _dispatch(self, found: Route):
        app = self.app
        try:
            config = app.config
            if config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True):
                csrf.protect(apply_exemptions=True)
            hit(found.limits)
            rv = found.view(**(request.view_args or {}))
        except TooManyRequests as e:
            rv = app.make_response(app.handle_user_exception(e))
            if e.retry_after is not None:  # as Flask-Limiter's headers say on the full path
                rv.headers["Retry-After"] = str(e.retry_after)
        except Exception as e:
            rv = app.handle_user_exception(e)
        response = app.make_response(rv)
        security_headers(app, response)
        if app.session_interface.should_set_cookie(app, session):
            app.session_interface.save_session(app, session, response)
        return response
