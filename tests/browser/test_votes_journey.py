"""A clerk opens a motion; members cast, change and rank; the clerk closes; everyone reads the
results and checks a receipt. Accessibility (axe) on every page on the way."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
import sqlalchemy as sa

from tests.browser.conftest import JOURNEY, assert_accessible, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, JOURNEY]

LIVE_SECRET = "live-test"  # the live server's SECRET_KEY (tests/conftest.py LiveServer)


def _stored_ballot(db, motion_id, user_id):
    """(choice, ranking, receipt) as the live server, holding its key, would open them."""
    from flask import current_app

    from participate.votes import seal
    from participate.votes.models import Ballot, Motion

    ref = hmac.new(
        LIVE_SECRET.encode(), f"{motion_id}:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    db.session.expire_all()
    row = db.session.execute(
        sa.select(Ballot.ref, Ballot.constituency, Ballot.receipt_sealed, Ballot.sealed).where(
            Ballot.motion_id == motion_id, Ballot.ref == ref
        )
    ).one_or_none()
    if row is None:
        return None
    options = db.session.get(Motion, motion_id).options
    key = current_app.config["SECRET_KEY"]
    current_app.config["SECRET_KEY"] = LIVE_SECRET
    try:
        [ballot] = seal.open_ballots(motion_id, options, [tuple(row)])
    finally:
        current_app.config["SECRET_KEY"] = key
    return ballot.choice, ballot.ranking, ballot.receipt


def test_cast_change_rank_close_and_read_results(browser, live_server, make, db):
    from participate.votes import services
    from participate.votes.models import Motion

    councils = make.structure()
    council = councils["health-manchester"]
    make.clerk(council, "clerk@example.org")
    amina = make.user("amina@example.org", "Amina Hussain")
    make.member(amina, council, "citizen")
    tom = make.user("tom@example.org", "Tom Price")
    make.member(tom, council, "employee")
    grace = make.user("grace@example.org", "Grace Okafor")
    make.member(grace, council, "leader")

    # ---- the clerk opens a yes/no motion from the Votes tab
    clerk_context = browser.new_context(base_url=live_server.url)
    clerk = clerk_context.new_page()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    clerk.goto("/councils/health-manchester")
    clerk.get_by_role("link", name="Votes", exact=True).click()
    assert_accessible(clerk, "votes tab (clerk)")
    clerk.get_by_role("link", name="New motion").click()
    assert_accessible(clerk, "new motion form")
    clerk.get_by_label("Motion", exact=True).fill("Open the walk-in centre on Saturdays")
    clerk.get_by_label("Background (optional)").fill("Demand is **highest** at weekends.")
    clerk.get_by_label("Yes / no").check()
    clerk.get_by_role("button", name="Open voting now").click()
    clerk.get_by_text("Voting is open on").wait_for()
    assert_accessible(clerk, "motion page (clerk, open)")
    motion_url = clerk.url
    motion_id = int(re.search(r"/motions/(\d+)", motion_url).group(1))
    assert clerk.get_by_role("button", name="Close voting now").is_visible()

    # ---- a member casts (htmx swaps the panel in place), then changes the ballot
    member_context = browser.new_context(base_url=live_server.url)
    page = member_context.new_page()
    sign_in(page, "amina@example.org", PASSWORD)
    page.goto("/councils/health-manchester/votes")
    assert_accessible(page, "votes tab (member)")
    page.get_by_role("link", name="Open the walk-in centre on Saturdays").click()
    assert_accessible(page, "motion page (member, before voting)")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Cast my ballot").click()
    page.get_by_text("Your ballot was recorded").wait_for()
    receipt = page.locator("code.receipt").first.inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", receipt)
    assert page.get_by_text("You have voted.").is_visible()
    assert_accessible(page, "motion page (member, voted)")
    assert _stored_ballot(db, motion_id, amina.id)[0] == "yes"

    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Change my ballot").click()
    page.get_by_text("Your ballot was changed").wait_for()
    assert page.locator("code.receipt").first.inner_text() == receipt
    assert _stored_ballot(db, motion_id, amina.id)[0] == "no"
    # Without JavaScript's help the page still says the same after a reload, and never
    # shows the choice.
    page.reload()
    assert page.get_by_text("You have voted.").is_visible()
    assert page.locator("input[name=choice]:checked").count() == 0

    # A bad ballot (nothing chosen) gets a clear message and writes nothing.
    page.get_by_role("button", name="Change my ballot").click()
    page.get_by_text("Choose yes, no or abstain").wait_for()
    assert _stored_ballot(db, motion_id, amina.id)[0] == "no"

    # Two more members vote so that two constituencies count.
    for email in ("tom@example.org", "grace@example.org"):
        other = browser.new_context(base_url=live_server.url)
        other_page = other.new_page()
        sign_in(other_page, email, PASSWORD)
        other_page.goto(motion_url)
        other_page.get_by_label("Yes", exact=True).check()
        other_page.get_by_role("button", name="Cast my ballot").click()
        other_page.get_by_text("Your ballot was recorded").wait_for()
        other.close()

    # ---- a ranked motion: the select-per-rank form, reordered with the JS buttons
    ranked = services.open_motion(
        _clerk_of(db, council),
        council,
        title="Which service to extend first",
        method="schulze",
        options=["Dentistry", "Physiotherapy", "Mental health"],
        closes_at=_later(),
    )
    page.goto(f"/motions/{ranked.id}")
    assert_accessible(page, "ranked ballot form")
    page.get_by_label("1st choice").select_option("Dentistry")
    page.get_by_label("2nd choice").select_option("Mental health")
    # Choosing an option already placed swaps the two places instead of ranking it twice.
    page.get_by_label("3rd choice").select_option("Dentistry")
    assert page.get_by_label("1st choice").input_value() == ""
    page.get_by_label("1st choice").select_option("Physiotherapy")
    # Move Mental health (2nd) up to 1st with the keyboard-reachable button.
    page.get_by_role("button", name=re.compile(r"^Move up\W+2nd choice$")).click()
    assert page.get_by_label("1st choice").input_value() == "Mental health"
    assert page.get_by_label("2nd choice").input_value() == "Physiotherapy"
    page.get_by_role("button", name="Cast my ballot").click()
    page.get_by_text("Your ballot was recorded").wait_for()
    assert _stored_ballot(db, ranked.id, amina.id)[1] == [
        "Mental health",
        "Physiotherapy",
        "Dentistry",
    ]

    # ---- results stay hidden until the clerk closes
    page.goto(motion_url)
    assert page.locator("#results").count() == 0
    clerk.goto(motion_url)
    clerk.get_by_role("button", name="Close voting now").click()
    clerk.get_by_role("button", name="Close voting and publish the result").click()  # confirm
    clerk.get_by_text("Voting closed and the result is published").wait_for()
    assert_accessible(clerk, "results (clerk)")
    db.session.expire_all()
    result = db.session.get(Motion, motion_id).result
    assert result["passed"] is True  # citizens no, employees yes, leaders yes: S = 2/3
    assert result["minority"] == ["citizen"]

    # ---- anyone reads the results and checks a receipt
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(motion_url)
    assert visitor.get_by_text("Passed").first.is_visible()
    assert visitor.get_by_text("Minority note").is_visible()
    assert visitor.locator("svg.vote-bar").count() >= 3
    assert visitor.get_by_role("link", name="ballot file (JSON)").is_visible()
    assert_accessible(visitor, "results (visitor)")
    visitor.get_by_label("Receipt code").fill(receipt.lower())
    visitor.get_by_role("button", name="Check").click()
    visitor.get_by_text("Counted.").wait_for()
    assert visitor.get_by_text(receipt).first.is_visible()
    assert_accessible(visitor, "receipt lookup")
    for context in (clerk_context, member_context):
        context.close()


def _clerk_of(db, council):
    from participate.councils.models import Membership

    return (
        db.session.scalars(
            sa.select(Membership).where(
                Membership.council_id == council.id, Membership.role == "clerk"
            )
        )
        .first()
        .user
    )


def _later():
    from datetime import timedelta

    from participate.util import utcnow

    return utcnow() + timedelta(days=3)
