"""Configuration from the environment (PARTICIPATE_* and DATABASE_URL)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PARTICIPATE_INSTANCE", ROOT / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or os.environ.get("PARTICIPATE_SECRET_KEY") or "dev"
    # Earlier keys, newest first (Flask's key rotation): sessions signed and ballots sealed
    # under them still open. Comma-separated.
    SECRET_KEY_FALLBACKS = [
        key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
    ]
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'participate.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_PATH = str(INSTANCE)
    SITE_NAME = "participate"
    BASE_URL = os.environ.get("PARTICIPATE_BASE_URL", "http://127.0.0.1:5000")
    # Mail: "log" writes every message to the log and to an outbox folder; "smtp" sends it.
    MAIL_BACKEND = os.environ.get("PARTICIPATE_MAIL_BACKEND", "log")
    MAIL_OUTBOX = os.environ.get("PARTICIPATE_MAIL_OUTBOX", str(INSTANCE / "outbox"))
    MAIL_SERVER = os.environ.get("PARTICIPATE_MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("PARTICIPATE_MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("PARTICIPATE_MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("PARTICIPATE_MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("PARTICIPATE_MAIL_USE_TLS")
    MAIL_SENDER = os.environ.get("PARTICIPATE_MAIL_SENDER", "participate <noreply@localhost>")
    # Background jobs (participate.jobs, Celery): a broker URL such as redis://127.0.0.1:6379/1
    # sends them to `participate jobs worker` processes; unset (the embedded default), they
    # run in-process at once, and the scheduled ones from `participate jobs run` (cron).
    JOBS_BROKER_URL = os.environ.get("PARTICIPATE_JOBS_BROKER_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("PARTICIPATE_RATELIMIT", True)
    RATELIMIT_HEADERS_ENABLED = True
    # How many reverse proxies (nginx, a load balancer) stand in front and append to
    # X-Forwarded-For: Werkzeug's ProxyFix then takes the client's address from them, so each
    # client keeps its own rate-limit bucket. 0 (the default) trusts no forwarded header.
    TRUSTED_PROXIES = int(os.environ.get("PARTICIPATE_TRUSTED_PROXIES", "0") or 0)
    SIGNIN_RATE_LIMIT = os.environ.get("PARTICIPATE_SIGNIN_LIMIT", "10 per minute")
    SIGNUP_RATE_LIMIT = os.environ.get("PARTICIPATE_SIGNUP_LIMIT", "20 per hour")
    # A form's CSRF token works for 4 hours after the page was rendered; then the page says
    # the form expired and to reload it. Sign-in and sign-out start a new token.
    WTF_CSRF_TIME_LIMIT = 4 * 3600
    # A sign-in lasts at most this long (its row in user_sessions, checked on every request;
    # signing out ends it at once); the remember-me cookie lives as long.
    SIGN_IN_LIFETIME = timedelta(days=31)
    REMEMBER_COOKIE_DURATION = SIGN_IN_LIFETIME
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("PARTICIPATE_SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # How often an open round page asks for its live fragments (phase, agenda, participation);
    # each poll is a small read answered 304 while nothing changed.
    ROUND_POLL_SECONDS = int(os.environ.get("PARTICIPATE_ROUND_POLL_SECONDS", "10") or 10)
    TESTING = False


class ProductionConfig(Config):
    """Used when PARTICIPATE_ENV=production: secure cookies and a real secret are required."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = False
    SERVER_NAME = None


def config_from_env():
    return ProductionConfig if os.environ.get("PARTICIPATE_ENV") == "production" else Config
