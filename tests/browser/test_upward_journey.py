"""Upward and downward in a real browser: a local council adopts and forwards a proposal, the
regional council takes it up and forwards it on, the minister answers, and the answer shows
on the original proposal; the minister consults, a council answers, the results and the maps
are shown. axe-core on every page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import JOURNEY, assert_accessible, sign_in
from tests.conftest import PASSWORD
from tests.factories.upward import adopt, build_world

pytestmark = [pytest.mark.browser, JOURNEY]

STATEMENT = "GP booking rules are set in the national GP contract; no council can change them."
ANSWER = "Accepted into national work: next year's GP contract requires advance booking."


def _warm(live_server) -> None:
    """Both server workers answer once before the browser's timeouts start counting."""
    import requests

    for _ in range(4):
        requests.get(live_server.url + "/login", timeout=120)


def _as(browser, live_server, email):
    _warm(live_server)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, email, PASSWORD)
    return context, page


def test_up_to_the_minister_and_the_answer_back_down(browser, live_server, make, db):
    from participate.proposals import services as proposals
    from participate.upward.models import Forward

    world = build_world(make)
    members = world.members["health-manchester"]
    proposal = adopt(
        world.manchester_clerk,
        world["health-manchester"],
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead instead of the **8am** phone race.",
        themes=["gp-access"],
        supporters=members[:3],
        motion_votes={u: "yes" for u in members[:4]},
    )

    # The local clerk forwards it to the regional council.
    context, page = _as(browser, live_server, world.manchester_clerk.email)
    page.goto(f"/proposals/{proposal.id}")
    page.get_by_role("link", name="Forward to a council above").click()
    assert_accessible(page, "forward form")
    page.get_by_role("button", name="Forward").click()  # nothing chosen: refused, explained
    page.get_by_text("Write the subsidiarity statement").first.wait_for()
    # the region, directly above (England is offered too, noting that it skips the region)
    page.get_by_label(re.compile("North West .*directly above")).check()
    page.get_by_label("Subsidiarity statement").fill(STATEMENT)
    page.get_by_role("button", name="Forward").click()
    page.get_by_text("was forwarded to").wait_for()
    assert page.get_by_text("waiting for an answer").first.is_visible()
    assert_accessible(page, "proposal page, forwarded")
    context.close()

    # The regional clerk finds it in the inbox, takes it up; the council adopts it; it goes on.
    context, page = _as(browser, live_server, world.regional_clerk.email)
    page.goto("/councils/health-north-west/inbox")
    assert_accessible(page, "regional inbox")
    page.get_by_role("link", name="Book GP appointments days ahead").first.click()
    assert_accessible(page, "regional cluster")
    page.locator(".forward-list").get_by_role(
        "link", name="Book GP appointments days ahead"
    ).click()
    assert_accessible(page, "forwarded proposal")
    page.get_by_role("button", name=re.compile("Take it up")).click()
    page.get_by_text("took the proposal up").wait_for()
    regional_id = int(re.search(r"/proposals/(\d+)", page.url).group(1))
    taken = proposals.get_proposal(regional_id)
    proposals.set_status(world.regional_clerk, taken, "on_agenda")
    proposals.set_status(
        world.regional_clerk, taken, "adopted", reason="Adopted at the regional round."
    )
    page.goto(f"/proposals/{regional_id}/forward")
    page.get_by_label(re.compile("England")).check()
    page.get_by_label("Subsidiarity statement").fill(STATEMENT)
    page.get_by_role("button", name="Forward").click()
    page.get_by_text("was forwarded to").wait_for()
    context.close()

    # The minister answers the cluster in the national inbox.
    context, page = _as(browser, live_server, world.minister.email)
    page.goto("/councils/health-england/inbox")
    assert_accessible(page, "national inbox")
    assert page.get_by_text(re.compile(r"waiting \d+ day")).first.is_visible()
    page.get_by_role("link", name="Book GP appointments days ahead").first.click()
    page.get_by_label("Accepted into national work").check()
    page.get_by_label("Reasons").fill(ANSWER)
    assert_accessible(page, "national cluster with the answer form")
    page.get_by_role("button", name="Send the answer").click()
    page.get_by_text("Send this answer?").wait_for()  # an answer is final: confirm (in place)
    assert_accessible(page, "confirming the answer")
    page.get_by_role("button", name="Send the answer now").click()
    page.locator("#answer .answer").get_by_text("next year's GP contract").wait_for()
    assert_accessible(page, "answered cluster")
    page.goto(f"/upward/map?proposal={proposal.id}")
    assert_accessible(page, "path on the forum map")
    assert page.locator(".edge-flow").count() >= 2
    context.close()

    # Back down: the answer shows on the original local proposal, for anyone.
    visitor = browser.new_context(base_url=live_server.url)
    page = visitor.new_page()
    page.goto(f"/proposals/{proposal.id}")
    answer = page.locator(".upward-answer")  # the answer leads the page, before its text
    answer.get_by_text("Accepted into national work").first.wait_for()
    assert "next year's GP contract" in answer.inner_text()
    assert "England" in answer.inner_text()
    assert page.locator("#upward").get_by_text("Accepted into national work").is_visible()
    assert_accessible(page, "original proposal with the answer")
    visitor.close()
    db.session.expire_all()
    assert db.session.query(Forward).count() == 2


def test_a_consultation_goes_down_and_positions_come_back(browser, live_server, make, db):
    world = build_world(make)

    context, page = _as(browser, live_server, world.minister.email)
    page.goto("/councils/health-england/consultations")
    assert_accessible(page, "national council's consultations")
    page.get_by_role("link", name="Publish a consultation").click()
    page.get_by_label("Draft requirement", exact=True).fill(
        "Same-day access standard for urgent GP care"
    )
    page.get_by_label("Text of the draft requirement").fill(
        "Every practice offers a same-day assessment to any patient with an urgent need."
    )
    assert_accessible(page, "new consultation")
    page.get_by_role("button", name=re.compile("Publish")).click()
    page.get_by_text("is published to 3 councils").wait_for()
    consultation_url = page.url
    context.close()

    context, page = _as(browser, live_server, world.manchester_clerk.email)
    page.goto("/councils/health-manchester/consultations")
    assert_accessible(page, "must-answer list")
    page.get_by_role("link", name=re.compile("Submit .*position")).first.click()
    page.get_by_label("Support with amendments").check()
    page.get_by_role("button", name="Submit the position").click()  # no text: refused
    page.get_by_text("Write the amendment you propose").first.wait_for()
    page.get_by_label("Text").fill("Include community pharmacies in the same-day standard.")
    assert_accessible(page, "position form with an error")
    page.get_by_role("button", name="Submit the position").click()
    page.get_by_text("position is submitted").wait_for()
    assert_accessible(page, "consultation with a position")
    assert page.get_by_text("community pharmacies").first.is_visible()
    page.goto(consultation_url.replace("/consultations/", "/upward/map?consultation="))
    assert_accessible(page, "spread on the forum map")
    page.goto(consultation_url + "/adoption")
    assert_accessible(page, "adoption page (still open)")
    context.close()
