"""Per-request rate limits on the two busiest writes (signing, casting), counted with the
``limits`` library through its public API, in the storage Flask-Limiter set up from
``RATELIMIT_STORAGE_URI`` (``limiter.limiter``, the strategy it built).

Why not Flask-Limiter's decorators here: each decorator re-evaluates every limit of the
route and the app on each request (filters, scopes, exemptions, header bookkeeping), which
measured at about a fifth of a signature's whole cost. These writes need only "count this
request against these few buckets, refuse past the limit" — the ``limits`` library's
``hit``. Sign-in and sign-up keep Flask-Limiter's decorators. The page and the API decorate
with the same :class:`Limit`, so one budget covers both.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from participate.api import token_user
from participate.extensions import limiter


@dataclass(frozen=True)
class Limit:
    """A limit string (from config, so a function; "off" when a proxy in front enforces
    it instead), the bucket key of the current request (an address, an account) and the
    scope that names the shared bucket."""

    value: Callable[[], str]
    key: Callable[[], str]
    scope: str


@functools.lru_cache(maxsize=64)
def _parsed(value: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(value))


def hit(*limits: Limit) -> None:
    """Count this request against each limit in turn; the first one exhausted stops the
    count and refuses with 429 and the seconds until its window resets (Retry-After)."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    # RATELIMIT_KEY_PREFIX (Flask-Limiter's setting) keeps apps sharing one Redis apart.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    for spec in limits:
        value = spec.value()
        if value.strip().lower() == "off":
            continue
        keys = (prefix, spec.key(), spec.scope) if prefix else (spec.key(), spec.scope)
        for item in _parsed(value):
            if not strategy.hit(item, *keys):
                reset_at = strategy.get_window_stats(item, *keys).reset_time
                raise TooManyRequests(
                    f"Rate limit exceeded: {item}.",
                    retry_after=max(1, math.ceil(reset_at - time.time())),
                )


def account_key() -> str:
    """The bucket of the account acting: under /api/ the bearer token's account, checked
    first (any spelling of one token is one budget; a missing or unknown token is refused
    401 before anything is counted), else the signed-in account, else the address."""
    if request.path.startswith("/api/"):
        return f"account:{token_user().id}"
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{get_remote_address()}"


def retry_after_headers(error) -> dict[str, str]:
    """The Retry-After header a 429 carries (werkzeug's ``TooManyRequests(retry_after=)``),
    for the error handlers that render their own page."""
    retry_after = getattr(error, "retry_after", None)
    return {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else {}


def limited(*limits: Limit):
    """Decorate a view: :func:`hit` before it runs."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            hit(*limits)
            return view(*args, **kwargs)

        return wrapper

    return decorate
