"""A whole round in real browsers, from briefing to minutes: the clerk and two members each in
their own browser context, every page checked with axe.

The clerk opens a round with two proposals and publishes the evidence pack (text, a link, a
PDF); a member asks a question and the clerk answers it; the other member's open page learns
by htmx polling that the round moved to discussion; both comment; in refinement one proposes
an amendment and the author accepts it; in voting both vote; the clerk records the decisions
(the minority report pre-filled) and closes the round; everyone reads the minutes.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from participate.rounds.models import AgendaItem
from participate.votes import services as votes
from participate.votes.ballots import cast_ballot
from tests.browser.conftest import JOURNEY, assert_accessible, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, JOURNEY]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _world(make):
    from participate.proposals import services as proposals

    councils = make.structure()
    council = councils["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    amina = make.user("amina@example.org", "Amina Hussain")
    make.member(amina, council, "citizen")
    tom = make.user("tom@example.org", "Tom Price")
    make.member(tom, council, "employee")
    others = make.members(council, {"citizen": 2, "employee": 2, "leader": 2})
    first = proposals.create_proposal(
        amina,
        council,
        title="Evening GP appointments in every neighbourhood",
        body="Open GP hubs until 8pm on weekdays in every neighbourhood of Manchester.",
    )
    second = proposals.create_proposal(
        tom,
        council,
        title="Publish A&E handover waits every week",
        body="Publish ambulance handover waits for each hospital every Monday.",
    )
    return {
        "clerk": clerk,
        "amina": amina,
        "tom": tom,
        "others": others,
        "proposals": (first, second),
    }


def _context(browser, live_server, email):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, email, PASSWORD)
    return context, page


def _advance(clerk, round_url, to_phase):
    clerk.goto(round_url)
    button = clerk.get_by_role("button", name=re.compile(r"^(Move to|Close the round)"))
    button.click()
    clerk.get_by_role("heading", name=re.compile(r"^(Move to .*|Close the round)\?$")).wait_for()
    clerk.get_by_role("button", name=re.compile(r"^(Move to|Close the round)")).click()  # confirm
    clerk.wait_for_load_state()
    clerk.get_by_text(re.compile(r"The round moved from .* to " + to_phase)).wait_for()


def test_a_whole_round_from_briefing_to_minutes(browser, live_server, make, db, tmp_path):
    world = _world(make)
    first, second = world["proposals"]
    clerk_context, clerk = _context(browser, live_server, "clerk@example.org")
    amina_context, amina = _context(browser, live_server, "amina@example.org")
    tom_context, tom = _context(browser, live_server, "tom@example.org")
    try:
        # -- The clerk opens the round from the council's Rounds tab.
        clerk.goto("/councils/health-manchester")
        clerk.get_by_role("link", name="Rounds").first.click()
        assert_accessible(clerk, "rounds tab")
        clerk.get_by_role("link", name="New round").click()
        assert_accessible(clerk, "new round")
        clerk.get_by_label("Title").fill("Winter access to GP and urgent care")
        clerk.get_by_label("Purpose").fill("Decide what the council asks for before next winter.")
        clerk.get_by_label(first.title).fill("1")
        clerk.get_by_label(second.title).fill("2")
        clerk.get_by_role("button", name="Open the round").click()
        clerk.get_by_text("is open: it starts with the briefing").wait_for()
        round_url = re.sub(r"^https?://[^/]+", "", clerk.url).split("#")[0]
        assert re.fullmatch(r"/rounds/\d+", round_url)
        assert_accessible(clerk, "round page (clerk, briefing)")

        # -- The evidence pack: text, a link and a PDF.
        clerk.get_by_text("Publish the evidence pack (briefing only)").click()
        clerk.get_by_role("textbox", name="Evidence pack").fill(
            "## Demand\n\nA&E attendances rose **9%** last winter."
        )
        clerk.get_by_role("button", name="Publish the text").click()
        clerk.get_by_text("The evidence pack is published.").wait_for()
        clerk.get_by_text("Publish the evidence pack (briefing only)").click()
        clerk.get_by_label("Link title").fill("NHS England A&E statistics")
        clerk.get_by_label("Web address").fill("https://www.england.nhs.uk/statistics/")
        clerk.get_by_role("button", name="Add the link").click()
        clerk.get_by_text("The link is in the evidence pack.").wait_for()
        pdf = tmp_path / "winter-briefing.pdf"
        pdf.write_bytes(PDF)
        clerk.get_by_text("Publish the evidence pack (briefing only)").click()
        clerk.get_by_label("File", exact=True).set_input_files(str(pdf))
        clerk.get_by_role("button", name="Attach the file").click()
        clerk.get_by_text("is attached to the evidence pack").wait_for()
        assert clerk.get_by_role("link", name="winter-briefing.pdf").is_visible()

        # -- Amina reads it and asks a question; Tom keeps the page open.
        amina.goto(round_url)
        assert amina.get_by_role("heading", name="Demand").is_visible()
        assert_accessible(amina, "round page (member, briefing)")
        amina.get_by_label("Your question").fill(
            "Would evening appointments be at my own practice?"
        )
        amina.get_by_label("About").select_option(label=f"1. {first.title}")
        amina.get_by_role("button", name="Ask the question").click()
        amina.get_by_text("Your question is published").wait_for()
        tom.goto(round_url)

        clerk.goto(round_url)
        clerk.get_by_label("Your answer to Amina Hussain").fill(
            "At a hub shared by nearby practices."
        )
        clerk.get_by_role("button", name="Publish the answer").click()
        clerk.get_by_text("Your answer is published.").wait_for()

        # -- Discussion: Tom's open page learns it by polling (every 2 s on the live server).
        _advance(clerk, round_url, "discussion")
        tom.get_by_text("This round has moved to the discussion phase").wait_for(timeout=25_000)
        assert_accessible(tom, "round page after the live update")
        for page, stance, text in (
            (amina, "For", "Evenings matter for working parents."),
            (tom, "Against", "Without new staff this burns people out."),
        ):
            page.goto(f"/proposals/{first.id}")
            page.get_by_label(stance, exact=True).check()
            page.get_by_label("Your comment").fill(text)
            page.get_by_role("button", name="Post comment").click()
            page.get_by_text(text).first.wait_for()
        assert_accessible(tom, "proposal page in discussion")

        # -- Refinement: Tom amends, Amina (the author) accepts.
        _advance(clerk, round_url, "refinement")
        tom.goto(f"/proposals/{first.id}")
        tom.get_by_role("link", name="Propose an amendment").first.click()
        tom.get_by_label("Amended text").fill(
            "Open GP hubs until 8pm on weekdays and on Saturday mornings in every neighbourhood."
        )
        tom.get_by_label("Why this change").fill("Saturday mornings suit working parents best.")
        tom.get_by_role("button", name="Propose the amendment").click()
        tom.wait_for_load_state()
        amina.goto(f"/proposals/{first.id}")
        amina.get_by_role("button", name=re.compile(r"^Accept amendment")).click()
        amina.wait_for_load_state()
        amina.get_by_text(re.compile("Resolved amendments")).first.wait_for()

        # -- Voting: both members vote on the first item's motion.
        _advance(clerk, round_url, "voting")
        assert_accessible(clerk, "round page in voting")
        for page, choice in ((amina, "Yes"), (tom, "No")):
            page.goto(round_url)
            page.get_by_role("link", name="vote on the motion on item 1").click()
            page.get_by_label(choice, exact=True).check()
            page.get_by_role("button", name="Cast my ballot").click()
            page.get_by_text(re.compile("receipt", re.I)).first.wait_for()
        db.session.expire_all()
        motion_id = db.session.scalar(
            sa.select(AgendaItem.motion_id).where(AgendaItem.proposal_id == first.id)
        )
        for member in world["others"]:  # the rest of the council votes too
            cast_ballot(member, votes.get_motion(motion_id), choice="yes")

        # -- Outcome: the clerk records both decisions and closes the round.
        _advance(clerk, round_url, "outcome")
        clerk.get_by_role("link", name="Record the decision on item 1").click()
        assert_accessible(clerk, "outcome form")
        assert clerk.get_by_label("Adopted", exact=True).is_checked()
        clerk.get_by_label("Reasons").fill("Passed with support from citizens and service leaders.")
        clerk.get_by_role("button", name="Record and publish the decision").click()
        clerk.get_by_role("heading", name="Record this decision?").wait_for()
        clerk.get_by_role("button", name="Record and publish the decision").click()  # confirm
        clerk.get_by_text("is recorded and published").wait_for()
        clerk.get_by_role("link", name="Record the decision on item 2").click()
        clerk.get_by_label("Deferred to a later round").check()
        clerk.get_by_label("Reasons").fill("Nobody voted on it: it goes to the spring round.")
        clerk.get_by_role("button", name="Record and publish the decision").click()
        clerk.get_by_role("heading", name="Record this decision?").wait_for()
        clerk.get_by_role("button", name="Record and publish the decision").click()  # confirm
        clerk.get_by_text("is recorded and published").wait_for()
        clerk.get_by_role("button", name="Close the round and publish the minutes").click()
        clerk.get_by_role("button", name="Close the round", exact=True).click()  # confirm
        clerk.get_by_text(re.compile("moved from outcome to closed")).wait_for()

        # -- Everyone reads the minutes.
        amina.goto(round_url)
        amina.get_by_role("link", name="Read the minutes").first.click()
        amina.get_by_role("heading", name="Minutes: Winter access to GP and urgent care").wait_for()
        assert_accessible(amina, "minutes")
        body = amina.locator("main").inner_text()
        for text in (
            "Participants by constituency",
            "Would evening appointments be at my own",
            "Saturday mornings suit working parents best.",
            "accepted",
            "Passed with support",
            "Nobody voted on it",
        ):
            assert text in body, text
        with amina.expect_download() as download:
            amina.get_by_role("link", name="Markdown").click()
        assert download.value.suggested_filename.endswith("-minutes.md")
        db.session.expire_all()
        first_status = db.session.get(type(first), first.id).status
        assert first_status == "adopted"
    finally:
        for context in (clerk_context, amina_context, tom_context):
            context.close()
