"""Admin: the platform's administrator, signed in."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(make, login_as):
    user = make.user("admin@example.org", admin=True)
    login_as(user)
    return user
