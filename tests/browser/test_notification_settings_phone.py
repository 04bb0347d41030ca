"""On a phone (390 and 320 px), without JavaScript needed: a person opens their e-mail
settings, changes a choice and saves; then follows an unsubscribe link from a mail without
being signed in. The pages fit the width and pass axe."""

import re

import pytest

from tests.browser.conftest import PAGES, assert_accessible, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, PAGES]


def test_email_settings_and_unsubscribe_on_a_phone(browser, live_server, make, db):
    from participate.notifications import preferences, unsubscribe

    person = make.user("phone@example.org", "Amina Hussain")
    for width in (390, 320):
        phone = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 844}
        )
        page = phone.new_page()
        sign_in(page, "phone@example.org", PASSWORD)
        page.goto("/me/notifications")
        page.get_by_role("heading", name="E-mail settings").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page, f"e-mail settings at {width} px")
        phone.close()

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    sign_in(page, "phone@example.org", PASSWORD)
    page.goto("/me/notifications")
    page.get_by_text("Proposals you follow").click()  # its category unfolds
    group = page.get_by_role("group", name=re.compile("someone comments on a proposal"))
    group.get_by_label("No e-mail", exact=True).check()
    page.get_by_role("button", name="Save e-mail settings").click()
    page.get_by_text("Your e-mail settings are saved.").wait_for()
    assert preferences.settings_of(person).delivery("proposal_comment") == "off"
    phone.close()

    visitor = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = visitor.new_page()
    page.goto(f"/unsubscribe/{unsubscribe.make_token(person.id, '*')}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "unsubscribe")
    page.get_by_role("button", name="Stop all e-mail from us").click()
    page.get_by_text("You will get no more e-mail from us.").wait_for()
    db.session.refresh(person)
    assert person.email_notifications is False
    visitor.close()
