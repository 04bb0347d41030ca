"""Proposal threads through the pages: each action, its permissions (visitor, account, member,
author, clerk), htmx fragments and bad input (a clear message and nothing written)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participate.errors import DomainError
from participate.proposals import amendments, discussion, gates, moderation, search, services
from participate.proposals.listing import council_themes, list_proposals
from participate.proposals.models import (
    Amendment,
    Comment,
    Follow,
    Proposal,
    ProposalTheme,
    ProposalVersion,
    Support,
)
from tests.conftest import htmx_headers
from tests.factories import proposals as factory
from tests.factories.proposals import BODY, count, page_of

world = factory.world  # the fixture (tests/factories/proposals.py)
proposal = factory.proposal  # the fixture (tests/factories/proposals.py)


# ---------------------------------------------------------------- reading


def test_visitor_reads_the_proposal_page(client, world, proposal):
    discussion.add_comment(world.member, proposal, body="Who staffs it?", stance="question")
    discussion.support(world.member, proposal)
    html = page_of(client, proposal.id)
    assert "Evening GP appointments" in html
    assert "<strong>evening hubs</strong>" in html  # Markdown rendered on save
    assert "Amina Author" in html and "(Citizens)" in html
    assert "Open" in html and "gp access" in html and "waiting times" in html
    assert "Who staffs it?" in html and "How each constituency leans" in html
    assert "<strong>1</strong> member supports this" in html
    assert "Sign in</a> to comment" in html
    assert f'action="/proposals/{proposal.id}/support"' not in html


def test_council_has_a_proposals_tab_and_the_menu_a_search(client, world, proposal):
    html = client.get("/councils/health-manchester").get_data(as_text=True)
    assert 'href="/councils/health-manchester/proposals"' in html
    assert 'href="/search"' in html
    listing = client.get("/councils/health-manchester/proposals").get_data(as_text=True)
    assert "Evening GP appointments" in listing and 'aria-current="page">Proposals' in listing


def test_unknown_proposal_is_a_404_with_a_message(client, world):
    response = client.get("/proposals/999999")
    assert response.status_code == 404
    assert "There is no proposal 999999" in response.get_data(as_text=True)


# ---------------------------------------------------------------- writing a proposal


def test_member_writes_a_proposal(client, db, login_as, world):
    login_as(world.member)
    assert client.get("/councils/health-manchester/proposals/new").status_code == 200
    response = client.post(
        "/councils/health-manchester/proposals/new",
        data={
            "title": "  Open  the walk-in centre ",
            "body": BODY,
            "themes": "Urgent care, GP access",
        },
    )
    assert response.status_code == 303
    proposal = db.session.scalar(sa.select(Proposal))
    assert response.location.endswith(f"/proposals/{proposal.id}")
    assert proposal.title == "Open the walk-in centre"
    assert proposal.author_constituency == "employee"
    assert proposal.status == "open" and proposal.version == 1
    assert "<strong>evening hubs</strong>" in proposal.body_html
    themes = set(db.session.scalars(sa.select(ProposalTheme.theme)))
    assert themes == {"urgent-care", "gp-access"}
    assert count(db, ProposalVersion) == 1
    assert count(db, Follow, Follow.user_id == world.member.id) == 1


@pytest.mark.parametrize("who", ["visitor", "account"])
def test_only_members_write_proposals(client, db, login_as, world, who):
    if who == "account":
        login_as(world.account)
    response = client.post(
        "/councils/health-manchester/proposals/new", data={"title": "A title", "body": BODY}
    )
    if who == "visitor":
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == 403
        assert "Only members of this council can write proposals" in response.get_data(as_text=True)
        page = client.get("/councils/health-manchester/proposals/new")
        assert page.status_code == 403 and "Ask to join" in page.get_data(as_text=True)
    assert count(db, Proposal) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "   ", "body": BODY}, "Give the proposal a title."),
        ({"title": "x" * 201, "body": BODY}, "the limit is 200"),
        ({"title": "Fine", "body": ""}, "The text is empty"),
        ({"title": "Fine", "body": "x" * 20_001}, "20,001 characters long; the limit is 20,000"),
        (
            {"title": "Fine", "body": BODY, "themes": ",".join(f"t{i}" for i in range(9))},
            "at most 8",
        ),
    ],
)
def test_bad_proposals_are_refused_and_nothing_is_written(
    client, db, login_as, world, data, message
):
    login_as(world.member)
    response = client.post("/councils/health-manchester/proposals/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, Proposal) == 0 and count(db, ProposalTheme) == 0
    assert count(db, ProposalVersion) == 0


XSS = [
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    '<p onclick="alert(1)">hi</p>',
    "<iframe src='https://evil.example'></iframe>",
]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_is_sanitised_on_save(client, db, login_as, world, payload):
    login_as(world.member)
    client.post(
        "/councils/health-manchester/proposals/new",
        data={"title": "<script>alert(2)</script>", "body": f"Intro\n\n{payload}\n\nEnd"},
    )
    proposal = db.session.scalar(sa.select(Proposal))
    stored = proposal.body_html.lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in stored
    html = page_of(client, proposal.id).lower()
    for bad in ("<script>alert", "onerror=", "onclick=", "javascript:", "<iframe"):
        assert bad not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html  # the title is escaped
    discussion.add_comment(world.member, proposal, body=payload, stance="for")
    comment = db.session.scalar(sa.select(Comment))
    assert not any(b in comment.body_html.lower() for b in ("<script", "onerror", "javascript:"))


# ---------------------------------------------------------------- editing and withdrawing


def test_author_edits_and_the_history_shows_the_diff(client, db, login_as, world, proposal):
    login_as(world.author)
    form = client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert "Evening GP appointments" in form
    response = client.post(
        f"/proposals/{proposal.id}/edit",
        data={
            "title": "Evening and weekend GP appointments",
            "body": BODY + "\nAnd Saturday mornings.",
            "themes": "GP access",
            "note": "Added Saturdays",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert proposal.version == 2 and proposal.title == "Evening and weekend GP appointments"
    assert count(db, ProposalVersion) == 2
    history = client.get(f"/proposals/{proposal.id}/history").get_data(as_text=True)
    assert "Version 2" in history and "Added Saturdays" in history
    assert "<ins" in history and "And Saturday mornings." in history
    assert "Title changed from" in history


def test_edit_with_no_change_is_refused(client, db, login_as, world, proposal):
    login_as(world.author)
    response = client.post(
        f"/proposals/{proposal.id}/edit",
        data={"title": proposal.title, "body": BODY, "themes": "gp-access, waiting-times"},
    )
    assert response.status_code == 400 and "Nothing changed" in response.get_data(as_text=True)
    assert count(db, ProposalVersion) == 1


@pytest.mark.parametrize("who", ["member", "clerk", "account"])
def test_only_the_author_edits_or_withdraws(client, db, login_as, world, proposal, who):
    login_as(getattr(world, who))
    data = {"title": "Hijacked", "body": "Other text", "themes": ""}
    assert client.post(f"/proposals/{proposal.id}/edit", data=data).status_code == 403
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403
    assert client.post(f"/proposals/{proposal.id}/withdraw", data={}).status_code == 403
    db.session.expire_all()
    assert proposal.title == "Evening GP appointments" and proposal.status == "open"


def test_editing_on_the_agenda_points_to_amendments(client, db, login_as, world, proposal):
    services.set_status(world.clerk, proposal, "on_agenda")
    login_as(world.author)
    response = client.post(
        f"/proposals/{proposal.id}/edit", data={"title": "New", "body": "New text"}
    )
    assert response.status_code == 409
    assert "amendments" in response.get_data(as_text=True)


def test_author_withdraws(client, db, login_as, world, proposal):
    from participate.audit.models import AuditEvent
    from participate.notifications.models import Notification

    discussion.follow(world.member, proposal)
    login_as(world.author)
    assert client.get(f"/proposals/{proposal.id}/withdraw").status_code == 200
    response = client.post(f"/proposals/{proposal.id}/withdraw", data={"reason": "Done anyway"})
    assert response.status_code == 303
    db.session.expire_all()
    assert proposal.status == "withdrawn" and proposal.status_reason == "Done anyway"
    assert count(db, AuditEvent, AuditEvent.action == "proposal.withdrawn") == 1
    assert count(db, Notification, Notification.user_id == world.member.id) == 1
    html = page_of(client, proposal.id)
    assert "Withdrawn by its author" in html and "Done anyway" in html


# ---------------------------------------------------------------- comments


def test_member_comments_plain_post(client, db, login_as, world, proposal):
    login_as(world.member)
    response = client.post(
        f"/proposals/{proposal.id}/comments",
        data={"body": "Against: staffing.", "stance": "against"},
    )
    assert response.status_code == 303
    comment = db.session.scalar(sa.select(Comment))
    assert response.location.endswith(f"/proposals/{proposal.id}#comment-{comment.id}")
    assert comment.stance == "against" and comment.author_constituency == "employee"
    db.session.expire_all()
    assert proposal.comments_count == 1
    assert count(db, Follow, Follow.user_id == world.member.id) == 1  # commenting follows


def test_member_comments_with_htmx_gets_the_discussion_fragment(
    client, db, login_as, world, proposal
):
    login_as(world.member)
    response = client.post(
        f"/proposals/{proposal.id}/comments",
        data={"body": "I *like* it.", "stance": "for"},
        headers=htmx_headers(),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="discussion"' in html
    assert "<em>like</em>" in html and "just-posted" in html
    assert response.headers["HX-Retarget"] == "#discussion"
    assert count(db, Comment) == 1


def test_reply_forms_and_threads(client, db, login_as, world, proposal):
    first = discussion.add_comment(world.member, proposal, body="Root comment", stance="question")
    login_as(world.leader)
    fragment = client.get(
        f"/proposals/{proposal.id}/comments/{first.id}/reply", headers=htmx_headers()
    )
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and f'name="parent_id" value="{first.id}"' in text
    full = client.get(f"/proposals/{proposal.id}/comments/{first.id}/reply")
    assert "<html" in full.get_data(as_text=True) and "Reply to Tom Member" in full.get_data(
        as_text=True
    )
    response = client.post(
        f"/proposals/{proposal.id}/comments",
        data={"body": "A reply", "stance": "for", "parent_id": str(first.id)},
    )
    assert response.status_code == 303
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == first.id))
    assert reply is not None
    html = page_of(client, proposal.id)
    assert '<ol class="replies">' in html
    assert html.index("Root comment") < html.index("A reply")


@pytest.mark.parametrize("who", ["visitor", "account"])
def test_only_members_comment(client, db, login_as, world, proposal, who):
    if who == "account":
        login_as(world.account)
    response = client.post(
        f"/proposals/{proposal.id}/comments", data={"body": "Hello", "stance": "for"}
    )
    if who == "visitor":
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == 403
        assert "Only members of this council can comment" in response.get_data(as_text=True)
    assert count(db, Comment) == 0


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"body": "   ", "stance": "for"}, 400, "The comment is empty"),
        ({"body": "x" * 5_001, "stance": "for"}, 400, "the limit is 5,000"),
        (
            {"body": "Fine", "stance": "maybe"},
            400,
            "Choose a stance: for, against, neutral or question.",
        ),
    ],
)
def test_bad_comments_are_refused(client, db, login_as, world, proposal, data, status, message):
    login_as(world.member)
    for headers in ({}, htmx_headers()):
        response = client.post(f"/proposals/{proposal.id}/comments", data=data, headers=headers)
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
        if headers:
            assert "<html" not in response.get_data(as_text=True)
    assert count(db, Comment) == 0
    db.session.expire_all()
    assert proposal.comments_count == 0


def test_comment_on_a_withdrawn_proposal_is_refused(client, db, login_as, world, proposal):
    services.withdraw_proposal(world.author, proposal)
    login_as(world.member)
    response = client.post(
        f"/proposals/{proposal.id}/comments", data={"body": "Late", "stance": "for"}
    )
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Comments are not allowed on a proposal that is withdrawn" in text
    assert count(db, Comment) == 0


def test_reply_to_a_comment_on_another_proposal_is_refused(client, db, login_as, world, proposal):
    other = services.create_proposal(world.leader, world.council, title="Other", body="Other text")
    elsewhere = discussion.add_comment(world.leader, other, body="Elsewhere", stance="neutral")
    login_as(world.member)
    response = client.post(
        f"/proposals/{proposal.id}/comments",
        data={"body": "Reply", "stance": "for", "parent_id": str(elsewhere.id)},
    )
    # 404, as the reply page answers and the API: no such comment in this discussion
    assert response.status_code == 404
    assert "You can only reply to a comment in this proposal" in response.get_data(as_text=True)
    assert count(db, Comment) == 1
    response = client.get(f"/proposals/{proposal.id}/comments/{elsewhere.id}/reply")
    assert response.status_code == 404


def test_the_database_refuses_a_cross_proposal_reply(db, world, proposal):
    other = services.create_proposal(world.leader, world.council, title="Other", body="Other text")
    elsewhere = discussion.add_comment(world.leader, other, body="Elsewhere", stance="neutral")
    db.session.add(
        Comment(
            proposal_id=proposal.id,
            parent_id=elsewhere.id,
            author_id=world.member.id,
            author_constituency="employee",
            stance="for",
            body="x",
            body_html="x",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_stance_summary_names_a_minority_view(client, world, proposal):
    discussion.add_comment(world.author, proposal, body="Yes", stance="for")
    discussion.add_comment(world.leader, proposal, body="Yes too", stance="for")
    discussion.add_comment(world.member, proposal, body="No", stance="against")
    html = page_of(client, proposal.id)
    assert "minority view" in html
    assert (
        "<strong>Employees</strong> lean against, while the discussion as a whole leans for."
        in html
    )


# ---------------------------------------------------------------- supports


def test_member_supports_and_withdraws_plain(client, db, login_as, world, proposal):
    login_as(world.member)
    response = client.post(f"/proposals/{proposal.id}/support", data={"action": "support"})
    assert response.status_code == 303 and response.location.endswith("#supports")
    assert count(db, Support) == 1
    assert services.supports_by_constituency(proposal.id)["employee"] == 1
    assert "Withdraw my support" in page_of(client, proposal.id)
    response = client.post(f"/proposals/{proposal.id}/support", data={"action": "withdraw"})
    assert response.status_code == 303
    assert count(db, Support) == 0
    db.session.expire_all()
    assert proposal.supports_count == 0


def test_support_with_htmx_returns_the_counts_fragment(client, db, login_as, world, proposal):
    login_as(world.leader)
    response = client.post(
        f"/proposals/{proposal.id}/support", data={"action": "support"}, headers=htmx_headers()
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="supports"' in html
    assert "<strong>1</strong> member supports this" in html and "You support this proposal" in html


def test_second_support_is_refused_and_nothing_written(client, db, login_as, world, proposal):
    discussion.support(world.member, proposal)
    login_as(world.member)
    for headers in ({}, htmx_headers()):
        response = client.post(
            f"/proposals/{proposal.id}/support", data={"action": "support"}, headers=headers
        )
        assert response.status_code == 409
        assert "You already support this proposal" in response.get_data(as_text=True)
    assert count(db, Support) == 1
    db.session.expire_all()
    assert proposal.supports_count == 1


def test_one_support_per_member_is_a_database_constraint(db, world, proposal):
    discussion.support(world.member, proposal)
    db.session.add(
        Support(proposal_id=proposal.id, user_id=world.member.id, constituency="employee")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_support_from_a_non_member_is_refused(client, db, login_as, world, proposal):
    login_as(world.account)
    response = client.post(f"/proposals/{proposal.id}/support", data={"action": "support"})
    assert response.status_code == 403
    assert "Only members of this council can support proposals" in response.get_data(as_text=True)
    assert count(db, Support) == 0
    assert client.post(f"/proposals/{proposal.id}/support").status_code == 403


def test_withdrawing_a_support_you_never_gave_is_refused(client, db, login_as, world, proposal):
    login_as(world.member)
    response = client.post(f"/proposals/{proposal.id}/support", data={"action": "withdraw"})
    assert response.status_code == 409
    assert "You do not support this proposal" in response.get_data(as_text=True)


def test_supports_are_counted_by_constituency_on_the_page(client, world, proposal):
    for user in (world.member, world.leader, world.author):
        discussion.support(user, proposal)
    html = page_of(client, proposal.id)
    assert "<strong>3</strong> members support this, from 3 constituencies" in html
    assert services.supports_by_constituency(proposal.id) == {
        "citizen": 1,
        "employee": 1,
        "leader": 1,
        "elected": 0,
        "partner": 0,
    }


# ---------------------------------------------------------------- amendments


def test_amendment_accepted_makes_a_new_version(client, db, login_as, world, proposal):
    login_as(world.member)
    assert client.get(f"/proposals/{proposal.id}/amend").status_code == 200
    new_body = BODY + "\n\nPilot it in two practices first."
    response = client.post(
        f"/proposals/{proposal.id}/amend", data={"body": new_body, "reason": "Start small"}
    )
    assert response.status_code == 303
    amendment = db.session.scalar(sa.select(Amendment))
    assert amendment.status == "pending" and amendment.base_version == 1
    html = page_of(client, proposal.id)
    assert f"Amendment {amendment.id} by Tom Member" in html and "Start small" in html
    login_as(world.author)
    assert f"Accept amendment {amendment.id}" in page_of(client, proposal.id)
    response = client.post(
        f"/amendments/{amendment.id}/resolve", data={"decision": "accept", "reason": "Sensible"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert amendment.status == "accepted" and amendment.resulting_version == 2
    assert proposal.version == 2 and proposal.body == new_body
    assert "Pilot it in two practices first." in proposal.body_html
    version = db.session.scalar(sa.select(ProposalVersion).where(ProposalVersion.number == 2))
    assert version.amendment_id == amendment.id and version.author_id == world.member.id
    assert search.search_proposals("pilot").total == 1  # the index follows the new text


def test_amendment_declined_needs_a_reason(client, db, login_as, world, proposal):
    amendment = amendments.propose_amendment(
        world.member, proposal, body=BODY + " Until 7pm.", reason="Earlier finish"
    )
    login_as(world.author)
    response = client.post(f"/amendments/{amendment.id}/resolve", data={"decision": "decline"})
    assert response.status_code == 400
    assert "Give a reason for declining" in response.get_data(as_text=True)
    db.session.expire_all()
    assert amendment.status == "pending"
    response = client.post(
        f"/amendments/{amendment.id}/resolve",
        data={"decision": "decline", "reason": "Shift workers need 8pm"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert amendment.status == "declined" and amendment.response == "Shift workers need 8pm"
    assert proposal.version == 1
    again = client.post(f"/amendments/{amendment.id}/resolve", data={"decision": "accept"})
    assert again.status_code == 409


@pytest.mark.parametrize("who", ["member", "clerk", "account"])
def test_only_the_author_resolves_amendments(client, db, login_as, world, proposal, who):
    amendment = amendments.propose_amendment(world.leader, proposal, body="Other", reason="Why not")
    login_as(getattr(world, who))
    response = client.post(f"/amendments/{amendment.id}/resolve", data={"decision": "accept"})
    assert response.status_code == 403
    db.session.expire_all()
    assert amendment.status == "pending" and proposal.version == 1


def test_amendment_to_a_closed_proposal_is_refused(client, db, login_as, world, proposal):
    services.set_status(world.clerk, proposal, "on_agenda")
    services.set_status(world.clerk, proposal, "adopted", reason="Passed")
    login_as(world.member)
    response = client.post(
        f"/proposals/{proposal.id}/amend", data={"body": "Changed", "reason": "Because"}
    )
    assert response.status_code == 409
    assert "Amendments are not allowed on a proposal that is adopted" in response.get_data(
        as_text=True
    )
    assert count(db, Amendment) == 0
    assert client.get(f"/proposals/{proposal.id}/amend").status_code == 409


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": BODY, "reason": "Same"}, "The amendment is the same as the current text"),
        ({"body": "Changed", "reason": " "}, "Give a reason for the amendment"),
        ({"body": "", "reason": "Why"}, "The text is empty"),
    ],
)
def test_bad_amendments_are_refused(client, db, login_as, world, proposal, data, message):
    login_as(world.member)
    response = client.post(f"/proposals/{proposal.id}/amend", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, Amendment) == 0


def test_pending_amendments_lapse_when_the_proposal_is_decided(db, world, proposal):
    amendment = amendments.propose_amendment(world.member, proposal, body="Other", reason="Why")
    services.set_status(world.clerk, proposal, "on_agenda")
    services.set_status(world.clerk, proposal, "rejected", reason="Lost the vote")
    db.session.expire_all()
    assert amendment.status == "lapsed"


# ---------------------------------------------------------------- follow and notifications


def test_follow_and_notifications(client, db, login_as, world, proposal):
    from participate.notifications.models import Notification

    login_as(world.account)
    response = client.post(
        f"/proposals/{proposal.id}/follow", data={"action": "follow"}, headers=htmx_headers()
    )
    assert response.status_code == 200 and "Stop following" in response.get_data(as_text=True)
    discussion.add_comment(world.member, proposal, body="A comment", stance="for")
    amendments.propose_amendment(world.member, proposal, body="Other text", reason="Why")
    services.set_status(world.clerk, proposal, "on_agenda", reason="Spring round")
    texts = list(
        db.session.scalars(
            sa.select(Notification.text).where(Notification.user_id == world.account.id)
        )
    )
    assert len(texts) == 3
    assert any("commented" in t for t in texts) and any("amendment" in t for t in texts)
    assert any("is now on the agenda: Spring round" in t for t in texts)
    # The author heard of the comment and the amendment too (authors follow their proposals).
    assert count(db, Notification, Notification.user_id == world.author.id) == 3
    response = client.post(f"/proposals/{proposal.id}/follow", data={"action": "unfollow"})
    assert response.status_code == 303
    assert count(db, Follow, Follow.user_id == world.account.id) == 0


def test_visitors_cannot_follow(client, world, proposal):
    response = client.post(f"/proposals/{proposal.id}/follow", data={"action": "follow"})
    assert response.status_code == 302 and "/login" in response.location


# ---------------------------------------------------------------- status (for rounds)


def test_set_status_records_events_and_refuses_what_the_rules_refuse(db, world, proposal):
    from participate.audit.models import AuditEvent
    from participate.errors import Forbidden

    with pytest.raises(Forbidden):
        services.set_status(world.member, proposal, "on_agenda")
    with pytest.raises(DomainError) as refused:
        services.set_status(world.clerk, proposal, "adopted")
    assert refused.value.code == "status_change_not_allowed"
    with pytest.raises(DomainError) as refused:
        services.set_status(world.clerk, proposal, "withdrawn")
    assert refused.value.code == "author_only"
    services.set_status(world.clerk, proposal, "on_agenda", reason="Round 1")
    services.set_status(world.clerk, proposal, "open", reason="Deferred")
    services.set_status(world.clerk, proposal, "on_agenda", commit=False)
    db.session.commit()
    actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-3:] == ["proposal.on_agenda", "proposal.open", "proposal.on_agenda"]
    assert services.get_proposal(proposal.id).status == "on_agenda"


def test_agenda_gates_are_asked_while_on_the_agenda(client, db, login_as, world, proposal):
    seen = []

    def gate(p, action, actor):
        seen.append(action)
        if action == "comment":
            raise DomainError(
                "Comments are closed in the voting phase.", code="phase_closed", status=409
            )

    gates.AGENDA_GATES.append(gate)
    try:
        discussion.add_comment(world.member, proposal, body="While open", stance="for")
        assert seen == []  # gates only apply on the agenda
        services.set_status(world.clerk, proposal, "on_agenda")
        login_as(world.member)
        response = client.post(
            f"/proposals/{proposal.id}/comments", data={"body": "Now", "stance": "for"}
        )
        assert response.status_code == 409
        assert "Comments are closed in the voting phase." in response.get_data(as_text=True)
        amendment = amendments.propose_amendment(world.member, proposal, body="New", reason="Why")
        amendments.resolve_amendment(world.author, amendment, accept=True)
        assert seen == ["comment", "propose_amendment", "resolve_amendment"]
        assert count(db, Comment) == 1
    finally:
        gates.AGENDA_GATES.remove(gate)


# ---------------------------------------------------------------- the list


@pytest.fixture
def many(db, make, world):
    """Four proposals with different supports, comments, themes and authors.

    Members: 4 citizens, 2 employees (one is the clerk), 1 leader. "narrow" has 4 citizens
    behind it, "broad" one member of each constituency: fewer supports, broader support.
    """
    made = {}
    for key, author, themes in (
        ("narrow", world.author, "housing"),
        ("broad", world.member, "gp-access"),
        ("talked", world.leader, "gp-access, mental-health"),
        ("quiet", world.author, "mental-health"),
    ):
        made[key] = services.create_proposal(
            author, world.council, title=f"The {key} one", body=f"Body of {key}", themes=themes
        )
    extra = [make.user(), make.user(), make.user()]
    for user in extra:
        make.member(user, world.council, "citizen")
    discussion.support(world.author, made["narrow"])
    for user in extra:
        discussion.support(user, made["narrow"])
    for user in (world.author, world.member, world.leader):
        discussion.support(user, made["broad"])
    for i in range(4):
        discussion.add_comment(world.member, made["talked"], body=f"Comment {i}", stance="neutral")
    return made


def titles(listing) -> list[str]:
    return [i.proposal.title for i in listing.items]


def test_list_sorts(world, many):
    council = world.council
    assert titles(list_proposals(council))[0] == "The quiet one"
    assert titles(list_proposals(council, sort="supported"))[:2] == [
        "The narrow one",
        "The broad one",
    ]
    assert titles(list_proposals(council, sort="discussed"))[0] == "The talked one"
    # three constituencies behind "broad" outrank three citizens behind "narrow"
    assert titles(list_proposals(council, sort="bridging"))[:2] == [
        "The broad one",
        "The narrow one",
    ]


def test_list_filters(world, many):
    council = world.council
    assert set(titles(list_proposals(council, theme="GP access"))) == {
        "The broad one",
        "The talked one",
    }
    assert set(titles(list_proposals(council, constituency="citizen"))) == {
        "The narrow one",
        "The quiet one",
    }
    services.withdraw_proposal(world.author, many["quiet"])
    assert titles(list_proposals(council, status="withdrawn")) == ["The quiet one"]
    assert list_proposals(council, status="adopted").total == 0


def test_list_pages(client, world):
    for i in range(23):
        services.create_proposal(world.author, world.council, title=f"Idea {i:02d}", body="Text")
    first = list_proposals(world.council)
    assert first.total == 23 and first.pages == 2 and len(first.items) == 20
    second = list_proposals(world.council, page=2)
    assert len(second.items) == 3
    assert not set(titles(first)) & set(titles(second))
    bridging = list_proposals(world.council, sort="bridging", page=2)
    assert len(bridging.items) == 3
    html = client.get("/councils/health-manchester/proposals?page=2").get_data(as_text=True)
    assert "page 2 of 2" in html and "Previous page" in html


def test_list_htmx_fragment_and_bad_filters(client, world, many):
    response = client.get(
        "/councils/health-manchester/proposals?sort=discussed&theme=mental-health",
        headers=htmx_headers(),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="proposal-list"' in html
    assert "The talked one" in html and "The broad one" not in html
    for query, message in (
        ("sort=loudest", "Unknown sort"),
        ("status=draft", "Unknown status"),
        ("constituency=aliens", "Unknown constituency"),
        ("page=zero", "Page must be a whole number"),
    ):
        response = client.get(f"/councils/health-manchester/proposals?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True)


# ---------------------------------------------------------------- search


def test_search_across_councils(client, db, make, world, proposal):
    salford = world.councils["health-salford"]
    someone = make.user(name="Sal Ford")
    make.member(someone, salford, "citizen")
    services.create_proposal(
        someone,
        salford,
        title="Weekend appointments in Salford",
        body="Open surgeries on Saturdays.",
    )
    services.create_proposal(someone, salford, title="Bus routes", body="Nothing about doctors.")
    results = search.search_proposals("appointment")  # stemming: appointments
    assert {h.proposal.title for h in results.hits} == {
        "Evening GP appointments",
        "Weekend appointments in Salford",
    }
    assert results.hits[0].snippet is not None
    assert search.search_proposals("appointment", council=salford).total == 1
    assert search.search_proposals("waiting").total == 1  # themes are indexed
    assert search.search_proposals("saturd").total == 1  # the last word is a prefix
    assert search.search_proposals("").total == 0
    html = client.get("/search?q=evening+hubs").get_data(as_text=True)
    assert "1 proposal found across all councils" in html and "<mark>" in html
    fragment = client.get("/search?q=bus", headers=htmx_headers()).get_data(as_text=True)
    assert "<html" not in fragment and "Bus routes" in fragment
    assert client.get("/search?q=" + "x" * 201).status_code == 400


def test_search_index_follows_edits_and_skips_hidden(db, world, proposal):
    services.edit_proposal(
        world.author,
        proposal,
        title="Evening GP appointments",
        body="Completely rewritten about pharmacists.",
        themes=[],
    )
    assert search.search_proposals("pharmacists").total == 1
    assert search.search_proposals("hubs").total == 0
    assert search.search_proposals("waiting").total == 0  # themes removed
    moderation.hide(world.clerk, proposal, reason="Off-topic")
    assert search.search_proposals("pharmacists").total == 0


def test_council_themes_leave_out_themes_only_hidden_proposals_use(client, world, many):
    assert council_themes(world.council) == ["gp-access", "housing", "mental-health"]
    moderation.hide(world.clerk, many["narrow"], reason="Advertising")  # the only "housing" one
    moderation.hide(world.clerk, many["quiet"], reason="Off-topic")  # "talked" keeps mental-health
    assert council_themes(world.council) == ["gp-access", "mental-health"]
    html = client.get("/councils/health-manchester/proposals").get_data(as_text=True)
    assert '<option value="housing"' not in html and '<option value="mental-health"' in html
