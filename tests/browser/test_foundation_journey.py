"""A person signs up, confirms the e-mail, asks to join a council; the clerk admits them."""

import re

import pytest

from tests.browser.conftest import JOURNEY, assert_accessible, nav_link, sign_in
from tests.conftest import PASSWORD, last_mail

pytestmark = [pytest.mark.browser, JOURNEY]


def test_sign_up_confirm_join_and_be_admitted(browser, live_server, make, db, tmp_root):
    councils = make.structure()
    clerk = make.clerk(councils["health-manchester"], "clerk@example.org")
    assert clerk
    outbox = tmp_root / "outbox"
    for old in outbox.glob("*.eml"):
        old.unlink()

    person = browser.new_context(base_url=live_server.url)
    page = person.new_page()
    page.goto("/")
    assert_accessible(page, "home")
    nav_link(page, "Sign up").click()
    assert_accessible(page, "sign-up")
    page.get_by_label("Your name").fill("Amina Hussain")
    page.get_by_label("E-mail address").fill("amina@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("We sent a confirmation link").wait_for()
    assert_accessible(page, "profile (unconfirmed)")

    to, subject, body = last_mail(outbox)
    assert to == "amina@example.org" and "Confirm" in subject
    link = re.search(r"(/confirm/\S+)", body).group(1)
    page.goto(link)
    page.get_by_text("is confirmed").wait_for()

    page.goto("/councils")
    assert_accessible(page, "councils")
    page.get_by_role("link", name="Health and care council, Manchester").first.click()
    assert_accessible(page, "council")
    page.get_by_label("Citizens").check()
    page.get_by_label("Why you want to join (optional)").fill(
        "I care for my mother and use community nursing."
    )
    page.get_by_role("button", name="Ask to join").click()
    page.get_by_text("was sent to its clerk").wait_for()
    assert page.get_by_text("is waiting for the clerk").is_visible()

    clerk_context = browser.new_context(base_url=live_server.url)
    clerk_page = clerk_context.new_page()
    sign_in(clerk_page, "clerk@example.org", PASSWORD)
    clerk_page.goto("/notifications")
    assert_accessible(clerk_page, "notifications")
    clerk_page.get_by_role("link", name=re.compile("Amina Hussain asks to join")).click()
    assert_accessible(clerk_page, "members (clerk)")
    clerk_page.get_by_role("button", name="Admit Amina Hussain").click()
    clerk_page.get_by_text("Amina Hussain admitted").wait_for()

    page.goto("/notifications")
    page.get_by_text("You are now a member of Health and care council, Manchester").wait_for()
    page.goto("/councils/health-manchester")
    assert page.get_by_text("You are a member as").is_visible()
    person.close()
    clerk_context.close()


def test_visitor_pages_are_accessible(page, make, db):
    make.structure()
    for url in [
        "/services",
        "/services/health",
        "/places",
        "/places/manchester",
        "/councils/forum-manchester",
        "/councils/health-manchester/members",
        "/councils/health-manchester/constitution",
        "/councils/health-manchester/constitution/1",
        "/councils/health-manchester/audit",
        "/forums/map",
        "/audit",
        "/login",
        "/reset",
        "/no-such-page",
    ]:
        page.goto(url)
        assert_accessible(page, url)


def test_admin_pages_are_accessible(page, make, db):
    make.structure()
    make.user("admin@example.org", admin=True)
    sign_in(page, "admin@example.org", PASSWORD)
    page.goto("/admin/")
    assert_accessible(page, "admin")
    page.goto("/profile/tokens")
    assert_accessible(page, "tokens")
