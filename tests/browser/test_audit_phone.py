"""The audit log on a phone (issue 15): sentences that wrap, the recorded data folded away and,
opened, wrapping inside the screen; no sideways scroll at 390 or 320 px."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from tests.browser.conftest import PAGES, assert_accessible
from tests.factories.votes import make_hm, open_motion

pytestmark = [pytest.mark.browser, PAGES]

SHOTS = os.environ.get("AUDIT_SHOTS")  # a folder to keep the screenshots in, when asked


def _fits(page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url} is {scroll} px wide at {inner} px"


def test_audit_log_reads_on_a_phone(browser, live_server, make, db):
    hm = make_hm(make)
    motion = open_motion(hm, title="Open the walk-in centre on Sundays and bank holidays")
    cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    close_voting(hm["clerk"], motion)

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto("/audit")
        assert page.locator(".audit-sentence").first.is_visible()
        assert not page.locator("table").count()
        _fits(page)
        page.locator(".audit-data summary").first.click()
        assert page.locator(".audit-data pre").first.is_visible()
        _fits(page)
        assert_accessible(page, f"/audit at {width} px, the first event's data open")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/audit-{width}.png", full_page=True)
    context.close()
