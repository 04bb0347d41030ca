"""The surge writes (signing a petition, casting a ballot) served on a short path.

DESIGN.md §8 asks these two writes to keep up with a surge: at least half the rate of a bare
insert-per-request Flask app. Each is one INSERT, but Flask's full dispatch around it cost
several times the write: building the request, every ``before_request`` and
``after_request`` hook of every extension, Flask-Limiter's per-request evaluation and the
CSRF hook.

This WSGI middleware takes only the htmx form POSTs to the views registered with
:func:`route`, in two lanes:

* **The fast lane**, for the ordinary case: a signed-in session, a valid CSRF token, a small
  url-encoded form. ``participate/surge_caller.py`` recognises it from the environ exactly as
  Flask, Flask-Login and Flask-WTF would (or answers None: then nothing has happened and the
  next lane serves the request). In an application context (config, database, templates),
  the lane counts the rate limits (:func:`hit`, the same storage, keys and budget as
  Flask-Limiter's decorators), calls the route's ``fast`` function (the same service as the
  view) and writes the answer with the security headers (``participate/headers.py``). A
  refusal (a ``DomainError``: already signed, not eligible...) has written nothing, so the
  request is handed to the short lane, which answers it as the view does; the limits it
  already counted are not counted twice, and a breach is answered there too.
* **The short lane**, for everything else on these routes: a normal Flask request context
  (the same session, ``request``, ``url_for``, templates, services and error handlers)
  without Flask's per-request hooks: ``csrf.protect()`` (its 400 page), the rate limits,
  then the view itself, undecorated; the session is saved only if the view changed it.

Everything else (plain form posts without JavaScript, other methods, other paths) goes
through Flask untouched. A hook added with ``before_request`` does NOT run on these paths: a
rule that must hold for these writes belongs in their service, which every path calls.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from flask import Blueprint, Flask, current_app, request, session
from limits import parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import HTTPException, TooManyRequests

from participate.errors import DomainError
from participate.extensions import csrf, limiter
from participate.headers import fixed_headers, security_headers
from participate.redis_eval import Wire
from participate.surge_caller import Caller, read_caller


@dataclass(frozen=True)
class Limit:
    """One rate limit, declared once for the Flask-Limiter decorator and the short path.

    ``value`` returns the limit string ("120 per minute"), ``key`` the bucket's key for the
    current request (an address, an account), ``scope`` the shared bucket's name;
    ``caller_key`` is the same key from the fast lane's :class:`Caller` (no request there).
    """

    value: Callable[[], str]
    key: Callable[[], str]
    scope: str
    caller_key: Callable[[Caller], str] | None = None

    def decorator(self):
        """The Flask-Limiter decorator for the full path (a shared limit: one budget)."""
        return limiter.shared_limit(self.value, scope=self.scope, key_func=self.key)


_PARSED: dict[str, list] = {}


def hit(limits: list[Limit], keys: list[str] | None = None) -> None:
    """Count this request against ``limits`` exactly as Flask-Limiter's decorators do.

    The storage keys are Flask-Limiter's (``[key_prefix,] key, scope``, via the strategy it
    built from RATELIMIT_STORAGE_URI and RATELIMIT_STRATEGY); the first breach stops the
    count and answers 429, as its default ``fail_on_first_breach``. ``keys`` (one per limit)
    replace the limits' ``key()`` where there is no request (the fast lane).
    """
    if not limiter.enabled:
        return
    items = []
    for index, spec in enumerate(limits):
        value = spec.value()
        parsed = _PARSED.get(value)
        if parsed is None:
            parsed = _PARSED[value] = parse_many(value)
        key = keys[index] if keys is not None else spec.key()
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
_WIRES: dict[int, Wire] = {}


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
    # One EVALSHA on the thread's own socket (participate/redis_eval.py); anything unusual
    # (the script not loaded yet, a dropped connection) goes through redis-py's script
    # object, which loads it or reconnects.
    wire = _WIRES.get(id(storage))
    if wire is None:
        wire = _WIRES[id(storage)] = Wire(storage.get_connection().connection_pool)
    index = wire.integer(b"EVALSHA", script.sha, len(keys), *keys, *argv)  # type: ignore[attr-defined]
    if index is None:
        index = int(script(keys=keys, args=argv))  # type: ignore[operator]
    return pairs[index - 1] if index else False


class Fragment:
    """A partial rendered straight from the app's Jinja environment, for the surge answers:
    the page's context processors (menu, notification badge) are not needed by a fragment,
    and the fast lane has no request for them.

    It renders as ``Template.render`` does, but from a flat copy of the template's globals
    taken once per loaded template: ``render`` would copy them out of their ChainMap (one
    lookup per global, some thirty) on every call. The environment's globals are set when
    the app is built; a template reloaded in development gets a new copy.
    """

    def __init__(self, name: str):
        self.name = name
        self._loaded: tuple = (None, {})  # (template, its globals as one dict)

    def render(self, **context) -> str:
        env = current_app.jinja_env
        template = env.get_template(self.name)
        loaded, globals_ = self._loaded
        if loaded is not template:
            globals_ = dict(template.globals)
            self._loaded = (template, globals_)
        ctx = env.context_class(
            env, {**globals_, **context}, template.name, template.blocks, globals=globals_
        )
        try:
            return env.concat(template.root_render_func(ctx))  # type: ignore[attr-defined]
        except Exception:
            env.handle_exception()
            raise  # handle_exception always raises (with the template's traceback)


# What a fast function answers: (HTML, status, extra headers), a tuple Flask takes too.
Answer = tuple[str, int, dict[str, str]]


@dataclass(frozen=True)
class Route:
    view: Callable
    limits: list[Limit] = field(default_factory=list)
    fast: Callable[..., Answer] | None = None


# endpoint -> Route, filled by the feature views at import time
ROUTES: dict[str, Route] = {}


def route(
    bp: Blueprint,
    rule: str,
    view: Callable,
    limits: list[Limit],
    fast: Callable[..., Answer] | None = None,
):
    """Register ``view`` as the POST ``rule`` of ``bp`` behind the decorators of ``limits``
    (the full path), and for htmx requests on the surge path; returns the decorated view.

    ``limits`` are listed in the order Flask-Limiter checks them (the innermost first).
    ``fast(caller, **view_args)``, when given, serves the fast lane: it calls the view's
    service for ``caller`` and returns the view's htmx answer as (HTML, status, headers);
    a ``DomainError`` it lets through is answered by the view on the short lane. Every
    limit needs its ``caller_key`` for the fast lane to be used.
    """
    endpoint = view.__name__.lstrip("_")
    decorated = view
    for spec in limits:
        decorated = spec.decorator()(decorated)
    if any(spec.caller_key is None for spec in limits):
        fast = None
    ROUTES[f"{bp.name}.{endpoint}"] = Route(view, list(limits), fast)
    return bp.route(rule, methods=["POST"], endpoint=endpoint)(decorated)


def _path_filter(app: Flask) -> re.Pattern:
    """A cheap first test of PATH_INFO, from the registered endpoints' URL rules (Flask's own
    routing still decides)."""
    rules = [r.rule for endpoint in ROUTES for r in app.url_map.iter_rules(endpoint)]
    patterns = [re.sub(r"<[^>]+>", "[^/]+", re.escape(rule)) for rule in rules]
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


class Surge:
    """WSGI middleware: htmx POSTs to the registered endpoints skip Flask's per-request work."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.paths = _path_filter(app)
        # Routing without a request: the rules are matched as Flask matches them.
        self.adapter = app.url_map.bind("localhost")
        self.matched: dict[str, tuple[str, dict]] = {}

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("HTTP_HX_REQUEST") != "true"
            or not self.paths.fullmatch(environ.get("PATH_INFO", ""))
        ):
            return self.wsgi_app(environ, start_response)
        endpoint, view_args = self._match(environ["PATH_INFO"])
        found = ROUTES.get(endpoint)
        if found is not None and found.fast is not None:
            caller = read_caller(self.app, environ)
            if caller is not None:
                return self._fast(found, caller, view_args, environ, start_response)
        return self._serve(environ, start_response)

    def _match(self, path: str) -> tuple[str, dict]:
        """(endpoint, view arguments) of a POST to ``path``, as Flask's routing finds them
        (remembered: a surge posts to a few paths many times)."""
        found = self.matched.get(path)
        if found is None:
            try:
                endpoint, args = self.adapter.match(path, method="POST")
                found = (str(endpoint), dict(args))
            except HTTPException:
                found = ("", {})
            if len(self.matched) >= 4096:
                self.matched.clear()
            self.matched[path] = found
        return found[0], dict(found[1])

    # ---------------------------------------------------------------- the fast lane

    def _fast(self, found: Route, caller: Caller, view_args: dict, environ, start_response):
        app = self.app
        assert found.fast is not None
        answer: Answer | None = None
        raised: BaseException | None = None
        with app.app_context():
            try:
                hit(found.limits, [spec.caller_key(caller) for spec in found.limits])  # type: ignore[misc]
                answer = found.fast(caller, **view_args)
            except DomainError:
                pass  # nothing written: the view answers the refusal on the short lane
            except Exception as error:  # a breach (429) or a fault: answered as Flask would
                raised = error
        if answer is None:
            return self._serve(environ, start_response, counted=True, raised=raised)
        html, status, extra = answer
        body = html.encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *fixed_headers(app),
            ("Vary", "HX-Request"),
            *extra.items(),
        ]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    # ---------------------------------------------------------------- the short lane

    def _serve(self, environ, start_response, *, counted=False, raised=None):
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
                response = self._dispatch(found, counted=counted, raised=raised)
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

    def _dispatch(self, found: Route, *, counted: bool, raised: BaseException | None):
        """The view behind CSRF and the limits; with ``counted`` the fast lane already
        checked both, and ``raised`` is what it met there (a breach, a fault)."""
        app = self.app
        try:
            if raised is not None:
                raise raised
            config = app.config
            if config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True):
                csrf.protect(apply_exemptions=True)
            if not counted:
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
