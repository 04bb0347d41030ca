"""The confirmation step on a phone (issue 15): closing voting early shows what will happen at
390 px with nothing wider than the screen and no serious axe violation; Cancel changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PAGES, assert_accessible, sign_in
from tests.conftest import PASSWORD
from tests.factories import votes as factory
from tests.factories.votes import open_motion

pytestmark = [pytest.mark.browser, PAGES]
hm = factory.hm  # the fixture (tests/factories/votes.py)
SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/participate-screenshots"))


def test_closing_voting_is_confirmed_on_a_phone(browser, live_server, db, hm):
    from participate.votes.models import Motion

    motion = open_motion(hm)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, "clerk@example.org", PASSWORD)
    page.goto(f"/motions/{motion.id}")
    page.get_by_role("button", name="Close voting now").click()
    page.get_by_role("heading", name="Close voting now?").wait_for()
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    assert_accessible(page, "confirm closing voting at 390 px")
    page.screenshot(path=str(SHOTS / "confirm-close-voting-390.png"), full_page=True)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"**/motions/{motion.id}")
    db.session.expire_all()
    assert db.session.get(Motion, motion.id).status == "open"
    context.close()
