"""Who is calling, read straight from the WSGI environ for the surge path's fast lane.

The fast lane (``participate/surge.py``) serves an htmx form POST to a surge write without
building a Flask request at all. It may do so only for the ordinary case, which it must
recognise exactly as Flask and its extensions would:

* the session cookie opens with the app's own signing serializer (Flask's
  ``SecureCookieSessionInterface``, same secret, salt and maximum age), and Flask would not
  write it back (a permanent session refreshed on every request would be);
* the session names a signed-in account (Flask-Login's ``_user_id``,
  ``"<id>:<session_version>"``) and, when Flask-Login's session protection is on, its
  ``_id`` is the identifier of this address and browser (Flask-Login's formula);
* the form's CSRF token (the field, or the ``X-CSRFToken`` header) is valid and matches
  the session's, as Flask-WTF's ``validate_csrf`` checks it (and, over HTTPS with
  ``WTF_CSRF_SSL_STRICT``, the referrer is this host).

:func:`read_caller` returns None for anything else: a visitor, a stale or forged cookie, a
missing or bad token, another content type, an oversized body. Nothing has been counted or
written then, and Flask serves the request and gives its own answer (the sign-in prompt,
the CSRF 400...). The body it read is put back in ``wsgi.input`` either way.
"""

from __future__ import annotations

import hmac
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha512
from urllib.parse import parse_qsl

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import same_origin
from itsdangerous import (
    BadData,
    BadSignature,
    BadTimeSignature,
    SignatureExpired,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_decode, bytes_to_int, want_bytes
from itsdangerous.signer import HMACAlgorithm
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_cookie
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_host

from participate.accounts.identity import SessionIdentity, identity_in

MAX_BODY = 64 * 1024  # a ballot or a signature is a few hundred bytes
FORM = "application/x-www-form-urlencoded"


_ADAPTERS: dict[tuple[int, str], MapAdapter] = {}  # URL builders, by app and SCRIPT_NAME
_URLS: dict[tuple, str] = {}  # the URLs they built


@dataclass
class Caller:
    """A signed-in, CSRF-checked htmx form POST: who sent it, what, from where."""

    identity: SessionIdentity
    form: MultiDict
    remote_addr: str
    environ: dict
    app: Flask
    csrf_raw: str = ""
    _signed_csrf: str = field(default="", repr=False)

    def csrf_token(self) -> str:
        """A signed CSRF token for a form in the answer (Flask-WTF's ``generate_csrf``)."""
        if not self._signed_csrf:
            tokens = _tokens("csrf", self.app)
            assert tokens is not None
            self._signed_csrf = str(tokens.serializer.dumps(self.csrf_raw))
        return self._signed_csrf

    def url_for(self, endpoint: str, **values) -> str:
        """A path to ``endpoint`` (Flask's ``url_for`` without a request context)."""
        script_name = self.environ.get("SCRIPT_NAME") or "/"
        try:
            key: tuple | None = (id(self.app), script_name, endpoint, *sorted(values.items()))
            url = _URLS.get(key)  # type: ignore[arg-type]
        except TypeError:  # a value that cannot be a key
            key, url = None, None
        if url is None:
            adapter = _ADAPTERS.get((id(self.app), script_name))
            if adapter is None:
                adapter = self.app.url_map.bind("localhost", script_name=script_name)
                _ADAPTERS[(id(self.app), script_name)] = adapter
            url = adapter.build(endpoint, values)
            if key is not None:
                if len(_URLS) > 4096:
                    _URLS.clear()
                _URLS[key] = url
        return url

    def template_helpers(self) -> dict[str, Callable]:
        """``url_for`` and ``csrf_token`` for a fragment rendered in the fast lane."""
        return {"url_for": self.url_for, "csrf_token": self.csrf_token}


class TimedTokens:
    """``serializer.loads(token, max_age=...)`` for a URL-safe timed serializer, in fewer steps.

    itsdangerous spends most of a ``loads`` in layers of small calls. This keeps its format
    and its checks, in its order: the HMAC of ``payload.timestamp`` under each secret key's
    derived key (newest first, derived once here by the serializer's own signer), then the
    age (``SignatureExpired`` past ``max_age`` or in the future), then the serializer's own
    ``load_payload`` (compression, JSON or Flask's tagged JSON). Any failure raises
    itsdangerous's ``BadData``; the caller then leaves the request to Flask.
    """

    def __init__(self, serializer: URLSafeTimedSerializer):
        self.serializer = serializer
        signer = serializer.make_signer(serializer.salt)
        if not isinstance(signer.algorithm, HMACAlgorithm):
            raise TypeError("only HMAC signatures")
        self.digest = signer.algorithm.digest_method
        self.keys = [signer.derive_key(key) for key in reversed(signer.secret_keys)]
        self.sep = want_bytes(signer.sep)

    def loads(self, token: str, max_age: int | None):
        try:
            value = token.encode("ascii")
        except UnicodeEncodeError:
            raise BadSignature("not a token") from None
        signed, sep, signature = value.rpartition(self.sep)
        if not sep:
            raise BadSignature("no signature")
        signature = base64_decode(signature)
        if not any(
            hmac.compare_digest(hmac.digest(key, signed, self.digest), signature)
            for key in self.keys
        ):
            raise BadSignature("signature does not match")
        payload, sep, stamp = signed.rpartition(self.sep)
        if not sep:
            raise BadTimeSignature("timestamp missing")
        stamp_int = bytes_to_int(base64_decode(stamp))
        if max_age is not None:
            age = int(time.time()) - stamp_int
            if age > max_age or age < 0:
                raise SignatureExpired(f"signature age {age} outside 0..{max_age}")
        return self.serializer.load_payload(payload)


_TOKENS: dict[tuple, TimedTokens] = {}


def _tokens(kind: str, app: Flask) -> TimedTokens | None:
    """The session's (Flask's serializer) or the CSRF tokens' (Flask-WTF's) checker."""
    config = app.config
    if kind == "csrf":
        secret = config.get("WTF_CSRF_SECRET_KEY") or app.secret_key or ""
        key: tuple = (kind, secret)
    else:
        key = (kind, id(app), app.secret_key, tuple(config.get("SECRET_KEY_FALLBACKS") or ()))
    tokens = _TOKENS.get(key)
    if tokens is None:
        if kind == "csrf":
            serializer = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        else:
            serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
            if serializer is None:
                return None
        if len(_TOKENS) > 64:
            _TOKENS.clear()
        tokens = _TOKENS[key] = TimedTokens(serializer)
    return tokens


def login_identifier(environ: dict) -> str:
    """Flask-Login's session identifier (``flask_login.utils._create_identifier``)."""
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    user_agent = environ.get("HTTP_USER_AGENT")
    if user_agent is not None:
        user_agent = user_agent.encode("utf-8")
    return sha512(f"{address}|{user_agent}".encode()).hexdigest()


def _read_body(environ: dict) -> bytes | None:
    if (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower() != FORM:
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)  # Flask can still read it if it takes over
    return body if len(body) == length else None


def _cookie(header: str, name: str) -> str | None:
    """The cookie ``name`` from a Cookie header; Werkzeug's parser for anything unusual
    (the name twice, a quoted or escaped value)."""
    found = None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            if found is not None:
                return parse_cookie(header).get(name)
            found = value
    if found and (found[:1] == '"' or "\\" in found or "%" in found):
        return parse_cookie(header).get(name)
    return found


def _open_session(app: Flask, environ: dict) -> dict | None:
    cookies = environ.get("HTTP_COOKIE")
    if not cookies:
        return None
    if type(app.session_interface) is not SecureCookieSessionInterface:
        return None
    value = _cookie(cookies, app.config["SESSION_COOKIE_NAME"])
    tokens = _tokens("session", app)
    if not value or tokens is None:
        return None
    try:
        data = tokens.loads(value, int(app.permanent_session_lifetime.total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("_permanent") and app.config["SESSION_REFRESH_EACH_REQUEST"]:
        return None  # Flask would write the cookie back with a new expiry
    return data


def _identity(app: Flask, environ: dict, data: dict) -> SessionIdentity | None:
    identity = identity_in(data)
    if identity is None:
        return None
    manager = getattr(app, "login_manager", None)
    mode = app.config.get("SESSION_PROTECTION", getattr(manager, "session_protection", None))
    if mode in ("basic", "strong") and data.get("_id") != login_identifier(environ):
        return None  # Flask-Login would mark the session not fresh, or clear it
    return identity


def _checked_csrf(app: Flask, environ: dict, data: dict, form: MultiDict) -> str | None:
    """The request's signed CSRF token once checked ("" when the app does not check);
    None when Flask-WTF would refuse it."""
    config = app.config
    if not (config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True)):
        return ""
    if "POST" not in config["WTF_CSRF_METHODS"]:
        return ""
    name = config["WTF_CSRF_FIELD_NAME"]
    token = form.get(name) or next(
        (form[key] for key in form if key.endswith(name) and form[key]), None
    )
    if not token:
        for header in config["WTF_CSRF_HEADERS"]:
            token = environ.get("HTTP_" + header.upper().replace("-", "_"))
            if token:
                break
    stored = data.get(name)
    if not token or not stored:
        return None
    tokens = _tokens("csrf", app)
    assert tokens is not None
    try:
        signed = tokens.loads(token, config["WTF_CSRF_TIME_LIMIT"])
    except BadData:
        return None
    if not hmac.compare_digest(stored, signed):
        return None
    if environ.get("wsgi.url_scheme") == "https" and config["WTF_CSRF_SSL_STRICT"]:
        referrer = environ.get("HTTP_REFERER")
        try:
            host = get_host(environ, config.get("TRUSTED_HOSTS"))
        except Exception:  # an untrusted host: Flask answers it
            return None
        if not referrer or not same_origin(referrer, f"https://{host}/"):
            return None
    return token


def read_caller(app: Flask, environ: dict) -> Caller | None:
    """The signed-in caller of an ordinary CSRF-valid form POST, or None (Flask serves it)."""
    data = _open_session(app, environ)
    if data is None:
        return None
    identity = _identity(app, environ, data)
    if identity is None:
        return None
    body = _read_body(environ)
    if body is None:
        return None
    try:
        form = MultiDict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None
    checked = _checked_csrf(app, environ, data, form)
    if checked is None:
        return None
    name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if not data.get(name):  # a form in the answer would need a new token in the session
        return None
    return Caller(
        identity=identity,
        form=form,
        remote_addr=environ.get("REMOTE_ADDR") or "",
        environ=environ,
        app=app,
        csrf_raw=str(data.get(name) or ""),
        # A checked token stays good for this session; with a time limit, sign a new one.
        _signed_csrf=checked if app.config.get("WTF_CSRF_TIME_LIMIT") is None else "",
    )
