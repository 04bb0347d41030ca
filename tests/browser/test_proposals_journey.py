"""A member writes a proposal; another member comments "against", supports it and proposes an
amendment; the author accepts the amendment, which becomes version 2. Every page reached passes
the axe check."""

import re

import pytest

from tests.browser.conftest import JOURNEY, assert_accessible, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, JOURNEY]


def _manchester(make):
    """Health-and-care Manchester with Amina (citizen), Tom (employee) and its clerk."""
    council = make.structure()["health-manchester"]
    author = make.user("amina@example.org", "Amina Hussain")
    make.member(author, council, "citizen")
    nurse = make.user("tom@example.org", "Tom Price")
    make.member(nurse, council, "employee")
    make.clerk(council, "clerk@example.org")
    return council, author, nurse


def test_write_discuss_support_and_amend(browser, live_server, make, db):
    _manchester(make)

    # The author writes a proposal.
    writer = browser.new_context(base_url=live_server.url).new_page()
    sign_in(writer, "amina@example.org", PASSWORD)
    writer.goto("/councils/health-manchester/proposals")
    assert_accessible(writer, "council proposals")
    writer.get_by_role("link", name="Write a proposal").click()
    assert_accessible(writer, "new proposal form")
    writer.get_by_label("Title").fill("Evening GP appointments in every neighbourhood")
    writer.get_by_label("Proposal").fill(
        "Practices should share **evening hubs**.\n\n- open until 8pm\n- bookable online"
    )
    writer.get_by_label("Themes (optional)").fill("GP access, waiting times")
    writer.get_by_role("button", name="Publish the proposal").click()
    writer.get_by_text("Your proposal is published").wait_for()
    assert writer.get_by_role(
        "heading", name="Evening GP appointments in every neighbourhood"
    ).is_visible()
    proposal_url = writer.url
    assert re.search(r"/proposals/\d+$", proposal_url)
    assert_accessible(writer, "proposal (author)")

    # Another member comments "against" (htmx, in place) and supports it (htmx, in place).
    member = browser.new_context(base_url=live_server.url).new_page()
    sign_in(member, "tom@example.org", PASSWORD)
    member.goto(proposal_url)
    assert_accessible(member, "proposal (member)")
    comment_form = member.locator("form.comment-form").first
    comment_form.get_by_label("Against").check()
    comment_form.get_by_label("Your comment").fill(
        "Who staffs the hubs? Evening rotas are already thin."
    )
    comment_form.get_by_role("button", name="Post comment").click()
    thread = member.locator("ol.thread")
    thread.get_by_text("Who staffs the hubs?").wait_for()
    assert "/proposals/" in member.url  # no page load: the discussion was swapped in place
    summary = member.locator(".stance-summary")
    assert summary.get_by_role("row", name=re.compile("Employees")).is_visible()
    member.get_by_role("button", name="Support this proposal").click()
    member.get_by_text("You support this proposal.").wait_for()
    assert (
        member.locator("#supports .support-total").inner_text().startswith("1 member supports this")
    )
    assert_accessible(member, "proposal after comment and support")

    # ... and proposes an amendment.
    member.get_by_role("link", name="Propose an amendment").first.click()
    assert_accessible(member, "amendment form")
    text = member.get_by_label("Amended text")
    text.fill(text.input_value().replace("- bookable online", "- bookable online and by phone"))
    member.get_by_label("Why this change").fill("Not everyone books online.")
    member.get_by_role("button", name="Propose the amendment").click()
    member.get_by_text("Your amendment is published").wait_for()

    # The author accepts the amendment: the proposal gets version 2.
    writer.goto(proposal_url)
    amendment = writer.locator("article.amendment").first
    amendment.get_by_text("Not everyone books online.").wait_for()
    amendment.get_by_label("Your reason (required to decline)").fill("Good point, thank you.")
    amendment.get_by_role("button", name=re.compile("Accept amendment")).click()
    writer.get_by_text("Amendment accepted").wait_for()
    assert writer.get_by_text("version 2").first.is_visible()
    assert writer.locator(".proposal-body").get_by_text("bookable online and by phone").is_visible()
    assert_accessible(writer, "proposal after the amendment")
    writer.get_by_role("link", name="version history").click()
    writer.get_by_role("heading", name="Version 2").wait_for()
    assert_accessible(writer, "version history")

    # Anyone can find it.
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto("/search?q=evening+hubs")
    visitor.get_by_role("link", name="Evening GP appointments in every neighbourhood").wait_for()
    assert_accessible(visitor, "search")


def test_flag_hide_appeal_and_the_authors_forms(browser, live_server, make, db):
    """Moderation from flag to the clerk's decision on an appeal, and the author's edit,
    withdraw and reply pages: every page reached passes the axe check."""
    import sqlalchemy as sa

    from participate.proposals import discussion, services
    from participate.proposals.models import Hiding

    council, author, nurse = _manchester(make)
    proposal = services.create_proposal(
        author,
        council,
        title="Evening GP appointments in every neighbourhood",
        body="Practices should share evening hubs.",
    )
    comment = discussion.add_comment(
        nurse, proposal, body="This is nonsense and so are you.", stance="against"
    )
    proposal_url = f"/proposals/{proposal.id}"

    # The author flags the comment for the clerk.
    writer = browser.new_context(base_url=live_server.url).new_page()
    sign_in(writer, "amina@example.org", PASSWORD)
    writer.goto(f"/comments/{comment.id}/flag")
    assert_accessible(writer, "flag a comment")
    writer.locator("textarea[name=reason]").fill("A personal attack, not an argument.")
    writer.get_by_role("button", name="Send to the clerk").click()
    writer.wait_for_load_state()

    # The clerk sees the queue and hides the comment with a public reason.
    clerk = browser.new_context(base_url=live_server.url).new_page()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    clerk.goto("/councils/health-manchester/moderation")
    clerk.get_by_text("A personal attack, not an argument.").wait_for()
    assert_accessible(clerk, "moderation queue")
    clerk.get_by_label("Public reason for hiding").first.fill("Personal attacks are not allowed.")
    clerk.get_by_role("button", name="Hide", exact=True).first.click()
    clerk.wait_for_load_state()
    writer.goto(proposal_url)
    writer.get_by_text("Personal attacks are not allowed.").first.wait_for()

    # The comment's author appeals once; the clerk decides.
    hiding = db.session.scalars(sa.select(Hiding).order_by(Hiding.id.desc())).first()
    commenter = browser.new_context(base_url=live_server.url).new_page()
    sign_in(commenter, "tom@example.org", PASSWORD)
    commenter.goto(f"/hidings/{hiding.id}/appeal")
    assert_accessible(commenter, "appeal")
    commenter.locator("textarea").first.fill("I was angry; I withdraw the insult, not the point.")
    commenter.get_by_role("button", name="Send the appeal").click()
    commenter.wait_for_load_state()
    clerk.goto("/councils/health-manchester/moderation")
    clerk.get_by_text("I withdraw the insult").wait_for()
    assert_accessible(clerk, "moderation queue with an appeal")
    clerk.locator("input[id^=decide-]").first.fill("The point stands; the insult does not.")
    clerk.get_by_role("button", name="Keep hidden").first.click()
    clerk.wait_for_load_state()
    commenter.goto(f"/hidings/{hiding.id}/appeal")
    commenter.get_by_text("kept it hidden").wait_for()
    assert_accessible(commenter, "appeal decided")

    # The author's own forms: reply, edit, withdraw.
    writer.goto(f"/proposals/{proposal.id}/comments/{comment.id}/reply")
    assert_accessible(writer, "reply form")
    writer.goto(f"/proposals/{proposal.id}/edit")
    assert_accessible(writer, "edit form")
    writer.goto(f"/proposals/{proposal.id}/withdraw")
    assert_accessible(writer, "withdraw form")
    writer.get_by_role("button", name="Withdraw the proposal").click()
    writer.wait_for_load_state()
    assert_accessible(writer, "withdrawn proposal")
