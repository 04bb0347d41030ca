"""A petition's whole journey in a real browser: start, sponsors, moderation, signing (htmx),
threshold, the council's response; every page checked with axe."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import JOURNEY, assert_accessible, sign_in
from tests.conftest import PASSWORD
from tests.factories import petitions as shared

pytestmark = [pytest.mark.browser, JOURNEY]

world = shared.world  # the fixture: Manchester's health council, threshold 3, 2 sponsors


def _person(browser, live_server, email: str):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, email, PASSWORD)
    return context, page


def test_petition_journey(page, browser, live_server, world, db):
    author = world.author
    # --- the author starts a petition and invites sponsors
    sign_in(page, author.email, PASSWORD)
    page.goto("/petitions")
    assert_accessible(page, "petition list")
    page.get_by_role("link", name="Start a petition").first.click()
    page.get_by_label("Council", exact=True).select_option("health-manchester")
    page.get_by_label(re.compile("^Early scrutiny")).check()
    page.get_by_label("Title", exact=True).fill("Inspect the out-of-hours GP service before winter")
    page.get_by_label("What should change").fill(
        "Ask the regulator for an early inspection of the out-of-hours GP service."
    )
    page.get_by_label("Why", exact=True).fill(
        "Calls waited over four hours on nineteen Saturdays this year."
    )
    assert_accessible(page, "start a petition")
    page.get_by_role("button", name="Save as a draft").click()
    page.wait_for_url(re.compile(r"/petitions/\d+$"))
    petition_url = page.url
    assert_accessible(page, "draft")
    page.get_by_role("button", name="Invite sponsors").click()
    link = page.get_by_label("Sponsor link").input_value()
    assert "/petitions/sponsor/" in link

    # --- two people sponsor it through the private link
    for i in range(2):
        sponsor = world.make.user(f"sponsor{i}@example.org")
        context, other = _person(browser, live_server, sponsor.email)
        other.goto(link)
        if i == 0:
            assert_accessible(other, "sponsor page")
        other.get_by_role("button", name="Sponsor this petition").click()
        other.get_by_text("Thank you for sponsoring").wait_for()
        context.close()

    # --- the clerk publishes it from the moderation queue
    clerk_context, clerk = _person(browser, live_server, world.clerk.email)
    clerk.goto("/councils/health-manchester/petitions")
    assert_accessible(clerk, "council petitions tab")
    clerk.get_by_role("link", name="Open the moderation queue").click()
    assert_accessible(clerk, "moderation queue")
    clerk.get_by_role("button", name=re.compile("^Publish")).click()
    clerk.get_by_text("Published: open for signatures").wait_for()

    # --- three people sign with the htmx form; the third reaches the threshold (3)
    for i in range(3):
        signer = world.make.user(f"signer{i}@example.org")
        context, other = _person(browser, live_server, signer.email)
        other.goto(petition_url)
        if i == 0:
            assert_accessible(other, "open petition")
        declaration = other.get_by_label("live in Manchester (signs as a citizen)")
        assert not declaration.is_checked()  # nothing is declared for the signer
        declaration.check()
        if i == 0:  # a resident names the local place they live in
            other.get_by_role("button", name="Sign this petition").click()
            other.get_by_role("alert").get_by_text("Choose the local place you live in").wait_for()
        other.get_by_label("The local place where you live or work").select_option("manchester")
        other.get_by_role("button", name="Sign this petition").click()
        other.get_by_text("Thank you: your signature is recorded").wait_for()
        if i == 0:
            assert_accessible(other, "signed")
        context.close()

    page.goto(petition_url)
    page.get_by_role("heading", name="The council must answer").wait_for()
    assert page.locator(".petition-count").inner_text() == "3"
    assert page.locator("svg.petition-chart").count() == 1
    assert_accessible(page, "threshold reached")

    # --- the clerk answers it (at a meeting, outside a round); it closes
    clerk.goto("/councils/health-manchester/petitions/must-answer")
    assert_accessible(clerk, "must answer")
    clerk.get_by_role("link", name="Inspect the out-of-hours GP service before winter").click()
    clerk.get_by_role("link", name="Publish the council's response").click()
    assert_accessible(clerk, "respond")
    clerk.get_by_label("Partly adopted").check()
    clerk.get_by_label("The council's response").fill(
        "The council asked for an inspection in January and will report back in March."
    )
    clerk.get_by_role("button", name=re.compile("^Publish the response")).click()
    clerk.get_by_role("heading", name="Publish the council's response?").wait_for()
    assert_accessible(clerk, "confirm the response")
    clerk.get_by_role("button", name="Publish and close the petition").click()  # confirm
    clerk.get_by_role("heading", name="The council's response", exact=True).wait_for()
    assert "outside a deliberation round" in clerk.content()
    clerk_context.close()

    page.goto(petition_url)
    assert "will report back in March" in page.content()
    assert_accessible(page, "answered")
    page.goto("/petitions/standards")
    assert_accessible(page, "standards")
