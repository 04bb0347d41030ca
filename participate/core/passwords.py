"""Password strength rule (pure): long enough, not common, not the person's own name or e-mail."""

from __future__ import annotations

MIN_LENGTH = 10
COMMON = {
    "password",
    "password1",
    "password123",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "administrator",
    "passw0rd12",
    "abcdefghij",
    "1q2w3e4r5t",
    "qwerty1234",
    "football12",
    "monkey1234",
    "sunshine12",
    "princess12",
}


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Return why ``password`` is too weak (a sentence saying what to do), or None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a short phrase of several words is easiest."
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return "That password is too common or too repetitive; choose a phrase only you would use."
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        return "Do not use your e-mail address in your password."
    if name and len(name) >= 4 and name.lower().replace(" ", "") in lowered.replace(" ", ""):
        return "Do not use your name in your password."
    return None
