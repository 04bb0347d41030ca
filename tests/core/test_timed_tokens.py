"""The fast lane's token check (participate/surge_caller.TimedTokens) against itsdangerous's
``loads``: it accepts Flask's session cookies and Flask-WTF's CSRF tokens with the same
result, and never accepts what itsdangerous refuses. It may refuse a little more (it does
not skip non-ASCII characters as itsdangerous's base64 does): such a request goes to Flask."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadData, URLSafeTimedSerializer

from participate.surge_caller import TimedTokens


def _session_serializer(secret="a long secret key for the tests", fallbacks=()):
    app = Flask(__name__)
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    return SecureCookieSessionInterface().get_signing_serializer(app)


def _same(serializer, tokens, token, max_age=3600, *, stricter=False):
    try:
        expected = ("ok", serializer.loads(token, max_age=max_age))
    except BadData:
        expected = ("refused", None)
    try:
        got = ("ok", tokens.loads(token, max_age))
    except BadData:
        got = ("refused", None)
    if stricter and got[0] == "refused":
        return got[0]
    assert got == expected
    return got[0]


def _flip(text: str) -> str:
    """Another first character (the last one of base64 may carry only padding bits)."""
    return ("B" if text[0] != "B" else "C") + text[1:]


SESSION = {
    "_user_id": "42:3",
    "_fresh": True,
    "_id": "f" * 128,
    "csrf_token": "0123456789abcdef0123456789abcdef01234567",
}


def test_a_session_cookie_and_a_csrf_token_read_as_itsdangerous_reads_them():
    session = _session_serializer()
    csrf = URLSafeTimedSerializer("a long secret key for the tests", salt="wtf-csrf-token")
    for serializer, value in [(session, SESSION), (csrf, SESSION["csrf_token"])]:
        tokens = TimedTokens(serializer)
        token = serializer.dumps(value)
        assert _same(serializer, tokens, token) == "ok"
        assert tokens.loads(token, 3600) == value
        # tampered payload, timestamp or signature; another key; another salt
        payload, stamp, signature = token.split(".")[-3:]
        prefix = token[: len(token) - len(f"{payload}.{stamp}.{signature}")]
        for bad in [
            f"{prefix}{payload}x.{stamp}.{signature}",
            f"{prefix}{payload}.{_flip(stamp)}.{signature}",
            f"{prefix}{payload}.{stamp}.{_flip(signature)}",
            token.replace(".", "", 1),
            "",
            "no dots at all",
            "é.é.é",
        ]:
            assert _same(serializer, tokens, bad) == "refused"
    other = URLSafeTimedSerializer("another key", salt="wtf-csrf-token")
    tokens = TimedTokens(csrf)
    assert _same(csrf, tokens, other.dumps("x")) == "refused"


def test_expired_and_future_tokens_are_refused(monkeypatch):
    serializer = _session_serializer()
    tokens = TimedTokens(serializer)
    token = serializer.dumps(SESSION)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 7200)
    assert _same(serializer, tokens, token, max_age=3600) == "refused"
    monkeypatch.setattr(time, "time", lambda: real() - 7200)
    assert _same(serializer, tokens, token, max_age=3600) == "refused"


def test_fallback_keys_still_open_old_cookies():
    old = _session_serializer("the old secret key")
    new = _session_serializer("the new secret key", fallbacks=["the old secret key"])
    tokens = TimedTokens(new)
    assert _same(new, tokens, old.dumps(SESSION)) == "ok"
    assert _same(new, tokens, new.dumps(SESSION)) == "ok"
    assert _same(old, TimedTokens(old), new.dumps(SESSION)) == "refused"


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=8), st.text(max_size=40) | st.integers(), max_size=4),
    cut=st.integers(min_value=0, max_value=200),
    junk=st.text(alphabet="AZaz09-_.=é", max_size=4),
)
def test_any_mangled_token_is_judged_as_itsdangerous_judges_it(value, cut, junk):
    serializer = _session_serializer()
    tokens = TimedTokens(serializer)
    token = serializer.dumps(value)
    cut = min(cut, len(token))
    _same(serializer, tokens, token[:cut] + junk + token[cut + len(junk) :], stricter=True)
    _same(serializer, tokens, token)


def test_only_hmac_signatures_are_taken():
    from itsdangerous.signer import NoneAlgorithm

    serializer = URLSafeTimedSerializer("k", signer_kwargs={"algorithm": NoneAlgorithm()})
    with pytest.raises(TypeError):
        TimedTokens(serializer)


@pytest.mark.parametrize(
    "header",
    [
        "session=abc.def.ghi",
        "theme=dark; session=abc.def-_ghi; other=1",
        "session=first; session=second",
        'session="quoted value"; x=1',
        "session=with%20escape",
        "  session=spaced  ;x=y",
        "x=1",
        "session=",
        "sessionx=1; session=2",
    ],
)
def test_the_session_cookie_is_read_as_werkzeug_reads_it(header):
    from werkzeug.http import parse_cookie

    from participate.surge_caller import _cookie

    assert (_cookie(header, "session") or None) == (parse_cookie(header).get("session") or None)
