"""One request path: the app's own code reads no session cookie, CSRF token or Redis reply
itself; Flask, Flask-Login, Flask-WTF, Flask-Limiter and redis-py do, through their public
APIs. A re-implementation creeping back in fails here."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "participate"

# What a hand-made copy of a library's internals looks like in this code base.
FORBIDDEN = {
    r"[\"']_user_id[\"']": "Flask-Login's session key (use current_user)",
    r"\b_create_identifier\b|\b_session_identifier_generator\b": "Flask-Login's identifier",
    r"\bvalidate_csrf\b|\bwtf-csrf-token\b": "Flask-WTF's token check (CSRFProtect does it)",
    r"HTTP_COOKIE|\brequest\.cookies\b": "reading the cookie (Flask's session interface does)",
    r"get_signing_serializer|\bopen_session\b|\bsave_session\b": "Flask's session internals",
    r"^\s*(import socket|import redis|from redis)": "the Redis protocol (limits/redis-py do)",
    r"\bEVALSHA\b|register_script|\b_key_prefix\b": "Flask-Limiter's or limits' internals",
    r"\bdriver_connection\b|\bexec_driver_sql\b": "the driver under SQLAlchemy",
    r"\.root_render_func\b|\bcontext_class\b": "Jinja's rendering internals",
    r"fast lane|short lane|surge_caller|redis_eval|driver_sql": "the deleted fast lane",
}


def test_no_module_copies_a_librarys_internals():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for pattern, what in FORBIDDEN.items():
            for match in re.finditer(pattern, text, flags=re.MULTILINE):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_the_fast_lane_modules_are_gone():
    for name in ("surge.py", "surge_caller.py", "redis_eval.py", "driver_sql.py"):
        assert not (PACKAGE / name).exists(), name
