"""On a phone (390 px): a clerk signs in, lands on what needs them, follows a join request
to the members page and admits the person; the page fits without sideways scrolling."""

import pytest

from tests.browser.conftest import PAGES, assert_accessible, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, PAGES]


def test_a_clerk_lands_on_what_needs_them_and_acts_on_a_phone(browser, live_server, make, db):
    from participate.councils.memberships import request_membership

    councils = make.structure()
    make.clerk(councils["health-manchester"], "clerk@example.org")
    request_membership(
        make.user("amina@example.org", "Amina Hussain"),
        councils["health-manchester"],
        "citizen",
        "I care for my mother and use community nursing.",
    )
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    sign_in(page, "clerk@example.org", PASSWORD)
    assert page.url.endswith("/me")
    page.get_by_role("heading", name="What needs you").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "what needs you (clerk)")
    page.get_by_role("link", name="1 person asks to join Health and care council").click()
    page.get_by_role("button", name="Admit Amina Hussain").click()
    page.get_by_text("Amina Hussain admitted").wait_for()
    page.goto("/me")
    page.get_by_text("Nothing needs you right now").wait_for()
    phone.close()
