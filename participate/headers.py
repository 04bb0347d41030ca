"""The security headers every response carries (the app's after_request hook and the surge path)."""

from __future__ import annotations

from flask import Flask, request

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def fixed_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers that do not depend on the request."""
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def security_headers(app: Flask, response):
    headers = response.headers
    for name, value in fixed_headers(app):
        headers.setdefault(name, value)
    if request.headers.get("HX-Request"):
        headers["Vary"] = "HX-Request"
    return response
