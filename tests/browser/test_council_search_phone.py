"""Finding a council on a phone (issue 15): the demo's 135 councils, searched by place with htmx
and with no script loaded at 390 px, nothing wider than the screen, no serious axe violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PAGES, assert_accessible

pytestmark = [pytest.mark.browser, PAGES]

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/participate-screenshots"))


def _fits(page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url} is {scroll} px wide at {inner} px"


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_find_the_councils_serving_a_town(browser, live_server, db, javascript):
    from participate.councils.structure import import_structure
    from participate.seed.geography import structure

    import_structure(structure())
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    if not javascript:  # the site's scripts never arrive: the form is a plain GET form
        context.route("**/*.js", lambda route: route.abort())
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/councils")
    _fits(page)
    assert page.get_by_role("status").first.inner_text().startswith("Showing 1 to 20 of 135")
    page.get_by_label("Place, service or council").fill("Salford")
    if javascript:  # htmx searches as one types, and the address follows
        page.wait_for_url("**/councils?q=Salford**")
    else:
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
    heading = page.get_by_role("heading", name="Councils serving Salford")
    heading.wait_for()
    assert "13 councils" in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("link", name="Housing council, Salford").count() == 1
    assert page.get_by_role("link", name="Housing council, North West").count() == 1
    _fits(page)
    assert_accessible(page, "/councils?q=Salford at 390 px")
    page.screenshot(
        path=str(SHOTS / f"councils-salford-390-{'js' if javascript else 'nojs'}.png"),
        full_page=True,
    )
    page.get_by_label("Level").select_option("local")
    if not javascript:
        page.get_by_role("button", name="Search").click()
    page.get_by_text("5 councils (local).").wait_for()
    context.close()
