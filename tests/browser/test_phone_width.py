"""On a phone (390 and 320 px) every main page fits its width: nothing scrolls sideways
but a wide table inside its own box. The header's links sit behind a Menu disclosure that
opens without JavaScript; on a wide screen the full links show and the Menu does not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import PAGES, assert_accessible, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, PAGES]

# An unbroken word and a bare URL longer than a phone's line: they must wrap, not widen the page.
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
LONG_URL = "https://example.org/" + "very-long-path-segment-" * 6 + "briefing.pdf"

VISITOR_PAGES = [
    "/",
    "/councils",
    "/councils/health-manchester",
    "/councils/health-manchester/proposals",
    "/councils/health-manchester/rounds",
    "/councils/health-manchester/votes",
    "/councils/health-manchester/petitions",
    "/councils/health-manchester/consultations",
    "/councils/health-manchester/members",
    "/councils/health-manchester/constitution",
    "/councils/health-manchester/audit",
    "/services",
    "/places",
    "/forums/map",
    "/petitions",
    "/consultations",
    "/audit",
]
SIGNED_IN_PAGES = ["/", "/me", "/notifications", "/petitions", "/petitions/mine"]
CLERK_PAGES = [
    "/councils/health-manchester/members",
    "/councils/health-manchester/moderation",
    "/councils/health-manchester/inbox",
    "/councils/health-manchester/petitions/moderation",
]


def _world(make):
    from participate.councils.services import new_constitution_version
    from participate.petitions import drafting, moderating, sponsoring
    from participate.proposals import services as proposals
    from participate.rounds import services as rounds
    from participate.util import utcnow
    from participate.votes import services as votes

    council = make.structure()["health-manchester"]
    new_constitution_version(None, council, settings={"petition_sponsors": 2}, reason="tests")
    clerk = make.clerk(council, "clerk@example.org")
    amina = make.user("amina@example.org", "Amina Hussain")
    make.member(amina, council, "citizen")
    long = proposals.create_proposal(
        amina,
        council,
        title="Evening GP appointments in every neighbourhood",
        body=f"Open GP hubs until 8pm. {LONG_WORD} and the pilot's figures at {LONG_URL}.",
    )
    other = proposals.create_proposal(
        amina, council, title="Publish A&E handover waits", body="Publish them every Monday."
    )
    now = utcnow().replace(microsecond=0)
    phases = ("briefing", "discussion", "refinement", "voting", "outcome")
    round_ = rounds.create_round(
        clerk,
        council,
        title="Getting a GP appointment this winter",
        purpose=f"Decide what the council asks for. Evidence: {LONG_URL}",
        agenda=[("proposal", other.id)],
        schedule={p: now + timedelta(days=1 + i) for i, p in enumerate(phases)},
    )
    motion = votes.open_motion(
        clerk,
        council,
        title="Open the walk-in centre on Saturdays",
        method="binary",
        closes_at=now + timedelta(days=7),
    )
    petition = drafting.start_petition(
        amina,
        council,
        kind="early_scrutiny",
        title="Inspect the out-of-hours GP service",
        change_text=f"Ask for an early inspection. {LONG_WORD}",
        reason_text="People waited over four hours on many Saturdays this year.",
    )
    sponsoring.invite_sponsors(amina, petition)
    while petition.status == "collecting_sponsors":
        sponsoring.sponsor_petition(make.user(), petition)
    moderating.publish(clerk, petition)
    return [
        f"/proposals/{long.id}",
        f"/rounds/{round_.id}",
        f"/motions/{motion.id}",
        f"/petitions/{petition.id}",
    ]


def _too_wide(page, urls, width) -> list[str]:
    page.set_viewport_size({"width": width, "height": 800})
    wide = []
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            wide.append(f"{url} is {scroll} px wide at {inner} px")
    return wide


def test_every_main_page_fits_a_phone(browser, live_server, make, db):
    objects = _world(make)
    wide = []

    visitor = browser.new_context(base_url=live_server.url)
    page = visitor.new_page()
    wide += _too_wide(page, VISITOR_PAGES + objects, 390)
    wide += _too_wide(page, ["/", "/councils", "/audit", *objects], 320)
    assert_accessible(page, "/petitions/<id> at 320 px (visitor)")
    page.goto("/audit")
    assert_accessible(page, "/audit at 320 px: its table scrolls in a focusable box")
    visitor.close()

    for email, pages in (
        ("amina@example.org", SIGNED_IN_PAGES),
        ("clerk@example.org", SIGNED_IN_PAGES + CLERK_PAGES),
    ):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        sign_in(page, email, PASSWORD)
        wide += _too_wide(page, pages + objects, 390)
        wide += _too_wide(page, objects[:2], 320)
        context.close()

    assert not wide, "pages wider than the phone:\n" + "\n".join(wide)


def test_the_menu_opens_on_a_phone_and_the_full_links_show_on_a_wide_screen(
    browser, live_server, make, db
):
    make.user("amina@example.org", "Amina Hussain")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/")
    menu = page.locator("header summary", has_text="Menu")
    header = page.locator("header.site-header")
    councils = header.get_by_role("link", name="Councils", exact=True)
    sign_in_link = header.get_by_role("link", name="Sign in", exact=True)
    assert menu.is_visible()
    assert not councils.is_visible() and not sign_in_link.is_visible()
    header_height = page.locator("header.site-header").bounding_box()["height"]
    assert header_height < 70, f"the closed header takes {header_height} px"

    menu.click()  # a <details>: opens without JavaScript
    for name in ("Councils", "Services", "Places", "Forum map", "Petitions", "Audit", "Sign in"):
        assert header.get_by_role("link", name=name, exact=True).is_visible(), name
    assert header.get_by_role("navigation", name="Main").is_visible()
    councils.click()
    page.get_by_role("heading", name="Councils", exact=True).wait_for()
    context.close()

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, "amina@example.org", PASSWORD)
    header = page.locator("header.site-header")
    header.locator("summary", has_text="Menu").click()
    for name in ("What needs you", "Notifications", "Amina Hussain"):
        assert header.get_by_role("link", name=name, exact=True).is_visible(), name
    assert header.get_by_role("button", name="Sign out").is_visible()

    page.set_viewport_size({"width": 1280, "height": 800})
    assert not header.locator("summary", has_text="Menu").is_visible()
    for name in ("Councils", "Forum map", "Audit", "What needs you", "Amina Hussain"):
        assert header.get_by_role("link", name=name, exact=True).is_visible(), name
    assert (
        page.get_by_role("navigation", name="Main").count() == 1
    )  # the hidden copy is not exposed
    context.close()
