"""How this works on a phone (issue 15): each role's page fits 390 px, no serious axe violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from participate.help.views import ROLES
from tests.browser.conftest import PAGES, assert_accessible

pytestmark = [pytest.mark.browser, PAGES]
SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/participate-screenshots"))


def test_help_pages_fit_a_phone(browser, live_server, db):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    for path in ["/help", *(f"/help/{role}" for role in ROLES)]:
        assert page.goto(path).status == 200
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{path} is {scroll} px wide"
    assert_accessible(page, "/help/partner at 390 px")
    page.goto("/help/citizen")
    page.screenshot(path=str(SHOTS / "help-citizen-390.png"), full_page=True)
    context.close()
