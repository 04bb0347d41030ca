"""Atom feeds (issue 16): a council's proposals, rounds and decisions, a petition's
milestones and a council's answers to forwarded proposals. Each feed is parsed with feedparser:
well-formed, the required elements of RFC 4287, newest first, nothing hidden, a 404 for what
does not exist, and each page announces its feed."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import feedparser
import pytest
from sqlalchemy import event

from participate.extensions import db
from participate.markup import render_markdown
from participate.util import utcnow

ATOM = "application/atom+xml; charset=utf-8"
HOST = "http://localhost"


def _at(days_ago: float):
    return (utcnow() - timedelta(days=days_ago)).replace(microsecond=0)


def _proposal(council, author, title, days_ago, **kw):
    from participate.proposals.models import Proposal

    proposal = Proposal(
        council_id=council.id,
        author_id=author.id,
        author_constituency="citizen",
        title=title,
        body=f"Body of {title} <script>alert(1)</script>",
        body_html=render_markdown(f"Body of **{title}** <script>alert(1)</script>"),
        created_at=_at(days_ago),
        updated_at=_at(days_ago),
        **kw,
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def _round(council, title, days_ago, phase="discussion"):
    from participate.rounds.models import Round

    start = _at(days_ago)
    round_ = Round(
        council_id=council.id,
        title=title,
        purpose=f"Purpose of {title}",
        purpose_html=render_markdown(f"Purpose of {title}"),
        phase=phase,
        phase_started_at=start,
        briefing_ends_at=start + timedelta(days=1),
        discussion_ends_at=start + timedelta(days=2),
        refinement_ends_at=start + timedelta(days=3),
        voting_ends_at=start + timedelta(days=4),
        outcome_ends_at=start + timedelta(days=5),
        created_at=start,
        updated_at=start,
        closed_at=start + timedelta(days=5) if phase == "closed" else None,
    )
    db.session.add(round_)
    db.session.commit()
    return round_


def _decide(round_, position, proposal, decision, days_ago):
    from participate.rounds.models import AgendaItem

    item = AgendaItem(
        round_id=round_.id,
        position=position,
        kind="proposal",
        proposal_id=proposal.id,
        title=proposal.title,
        decision=decision,
        reasons=f"Reasons for {proposal.title}",
        decided_at=_at(days_ago),
    )
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def world(make):
    councils = make.structure()
    council = councils["health-manchester"]
    author = make.user(name="Ada <Author>")
    make.member(author, council)
    old = _proposal(council, author, "Older proposal", 5)
    new = _proposal(council, author, "Newer proposal & more", 1)
    hidden = _proposal(
        council, author, "Hidden proposal", 0.5, hidden_at=_at(0.1), hidden_reason="Abuse"
    )
    _proposal(councils["health-salford"], author, "Salford proposal", 0.2)
    first = _round(council, "First round", 20, phase="closed")
    _round(council, "Second round", 3)
    _decide(first, 1, old, "adopted", 15)
    _decide(first, 2, new, "rejected", 14)
    _decide(first, 3, hidden, "adopted", 13)
    return {"councils": councils, "council": council, "author": author, "first": first}


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == ATOM
    parsed = feedparser.parse(response.get_data())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    feed = parsed.feed
    assert feed.id and feed.title and feed.updated_parsed and feed.author
    rels = {link.rel: link.href for link in feed.links}
    assert rels["self"] == HOST + url
    assert rels["alternate"].startswith(HOST + "/")
    for entry in parsed.entries:
        # RFC 4287 4.1.2: an entry has an id, a title, an updated and (no content) a link.
        assert entry.id and entry.title and entry.updated_parsed and entry.link
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)
    return parsed, response


def test_proposals_feed_lists_visible_proposals_newest_first(client, world):
    parsed, _ = _feed(client, "/councils/health-manchester/feeds/proposals.atom")
    assert [e.title for e in parsed.entries] == ["Newer proposal & more", "Older proposal"]
    newer = parsed.entries[0]
    assert newer.link.startswith(f"{HOST}/proposals/")
    assert newer.author == "Ada <Author>"
    assert newer.published_parsed is not None
    html = newer.content[0].value
    assert "<strong>Newer proposal &amp; more</strong>" in html
    assert "<script" not in html
    assert parsed.feed.title == f"{world['council'].name}: proposals"
    assert parsed.feed.link == f"{HOST}/councils/health-manchester/proposals"


def test_rounds_feed(client, world):
    parsed, _ = _feed(client, "/councils/health-manchester/feeds/rounds.atom")
    assert [e.title for e in parsed.entries] == [
        "Second round (Discussion)",
        "First round (Closed)",
    ]
    assert parsed.entries[1].link == f"{HOST}/rounds/{world['first'].id}"


def test_decisions_feed_leaves_out_hidden_proposals(client, world):
    parsed, _ = _feed(client, "/councils/health-manchester/feeds/decisions.atom")
    assert [e.title for e in parsed.entries] == [
        "Rejected: Newer proposal & more",
        "Adopted: Older proposal",
    ]
    assert parsed.entries[0].link.startswith(f"{HOST}/rounds/{world['first'].id}#item-")
    assert parsed.feed.link == f"{HOST}/councils/health-manchester/rounds"
    assert "Reasons for Newer proposal" in parsed.entries[0].summary
    body = client.get("/councils/health-manchester/feeds/decisions.atom").get_data(as_text=True)
    assert "Hidden proposal" not in body


def test_an_empty_feed_is_still_valid(client, world):
    for what in ("proposals", "rounds", "decisions"):
        parsed, _ = _feed(client, f"/councils/health-england/feeds/{what}.atom")
        assert parsed.entries == []
    parsed, _ = _feed(client, "/councils/health-england/inbox/answers.atom")
    assert parsed.entries == []


@pytest.mark.parametrize(
    "url",
    [
        "/councils/nowhere/feeds/proposals.atom",
        "/councils/nowhere/feeds/rounds.atom",
        "/councils/nowhere/feeds/decisions.atom",
        "/councils/nowhere/inbox/answers.atom",
        "/petitions/999999/feed.atom",
    ],
)
def test_unknown_council_or_petition_is_404(client, world, url):
    assert client.get(url).status_code == 404


def test_conditional_get_answers_304(client, world):
    url = "/councils/health-manchester/feeds/proposals.atom"
    first = client.get(url)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _petition(council, author, status="open", **kw):
    from participate.petitions.models import Petition

    fields = dict(
        council_id=council.id,
        author_id=author.id,
        kind="early_scrutiny",
        title="Inspect the walk-in centre",
        change_text="Inspect it.",
        reason_text="Waits are long.",
        change_html=render_markdown("Inspect **it**."),
        reason_html=render_markdown("Waits are long."),
        status=status,
        sponsors_needed=5,
        created_at=_at(40),
        updated_at=_at(1),
    )
    if status != "draft":
        fields.update(
            opened_at=_at(30),
            signing_deadline=_at(-60),
            threshold=100,
            threshold_explanation="max(100, 1% of 568,996)",
        )
    fields.update(kw)
    petition = Petition(**fields)
    db.session.add(petition)
    db.session.commit()
    return petition


def _milestone(petition, n, days_ago, threshold=False):
    from participate.petitions.models import PetitionMilestone

    db.session.add(
        PetitionMilestone(
            petition_id=petition.id, milestone=n, is_threshold=threshold, reached_at=_at(days_ago)
        )
    )
    db.session.commit()


def test_petition_feed_has_its_milestones_newest_first(client, world):
    petition = _petition(
        world["council"],
        world["author"],
        status="closed",
        threshold_reached_at=_at(10),
        responded_at=_at(2),
        response_decision="adopted",
        response_html=render_markdown("We will **inspect** it."),
    )
    _milestone(petition, 10, 25)
    _milestone(petition, 50, 20)
    _milestone(petition, 100, 10, threshold=True)
    parsed, _ = _feed(client, f"/petitions/{petition.id}/feed.atom")
    assert [e.title for e in parsed.entries] == [
        "The council answered: Adopted",
        "100 signatures: the threshold is reached and the council must answer",
        "50 signatures",
        "10 signatures",
        "Open for signatures",
    ]
    assert all(e.link == f"{HOST}/petitions/{petition.id}" for e in parsed.entries)
    assert "<strong>inspect</strong>" in parsed.entries[0].content[0].value


def test_a_draft_petition_has_no_feed(client, world):
    draft = _petition(world["council"], world["author"], status="draft")
    assert client.get(f"/petitions/{draft.id}/feed.atom").status_code == 404


def _answer(council, clerk, title, days_ago, kind="accept", referred=None):
    from participate.upward.models import Answer, Cluster

    cluster = Cluster(council_id=council.id, title=title, supporters={}, members={}, size=1)
    db.session.add(cluster)
    db.session.flush()
    answer = Answer(
        council_id=council.id,
        cluster_id=cluster.id,
        number=1,
        kind=kind,
        reasons=f"Because of {title}",
        reasons_html=render_markdown(f"Because of *{title}*"),
        referred_council_id=referred.id if referred else None,
        title=title,
        forwards=2,
        answered_by_id=clerk.id,
        answered_at=_at(days_ago),
    )
    db.session.add(answer)
    db.session.commit()
    return cluster


def test_answers_feed(client, world, make):
    england = world["councils"]["health-england"]
    minister = make.clerk(england)
    _answer(england, minister, "Community pharmacies", 4)
    cluster = _answer(
        england, minister, "Dental access", 1, kind="refer", referred=world["council"]
    )
    _answer(world["councils"]["health-north-west"], minister, "Elsewhere", 0.5)
    parsed, _ = _feed(client, "/councils/health-england/inbox/answers.atom")
    assert [e.title for e in parsed.entries] == [
        "Referred to another council: Dental access",
        "Accepted into national work: Community pharmacies",
    ]
    referred = parsed.entries[0]
    assert referred.link == f"{HOST}/councils/health-england/inbox/clusters/{cluster.id}"
    assert "Referred to " + world["council"].name in referred.summary
    assert "<em>Dental access</em>" in referred.content[0].value


def _alternates(html: str) -> list[str]:
    import re

    return re.findall(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', html
    )


@pytest.mark.parametrize(
    ("page", "feeds"),
    [
        (
            "/councils/health-manchester/proposals",
            ["/councils/health-manchester/feeds/proposals.atom"],
        ),
        (
            "/councils/health-manchester/rounds",
            [
                "/councils/health-manchester/feeds/rounds.atom",
                "/councils/health-manchester/feeds/decisions.atom",
            ],
        ),
        ("/councils/health-england/inbox", ["/councils/health-england/inbox/answers.atom"]),
    ],
)
def test_pages_announce_their_feeds(client, world, page, feeds):
    html = client.get(page).get_data(as_text=True)
    assert _alternates(html) == feeds
    for url in feeds:
        assert f'href="{url}" type="application/atom+xml">Subscribe to' in html
        assert "(Atom feed)" in html


def test_petition_page_announces_its_feed_only_when_public(client, world, login_as):
    petition = _petition(world["council"], world["author"])
    html = client.get(f"/petitions/{petition.id}").get_data(as_text=True)
    assert _alternates(html) == [f"/petitions/{petition.id}/feed.atom"]
    assert "Subscribe to this petition" in html
    draft = _petition(world["council"], world["author"], status="draft")
    login_as(world["author"])
    html = client.get(f"/petitions/{draft.id}").get_data(as_text=True)
    assert _alternates(html) == []


@contextmanager
def _counting(engine):
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def test_a_feed_costs_the_same_queries_however_many_entries(app, client, world, make):
    """One query per feed, whatever it holds: no query per entry (no N+1)."""
    england = world["councils"]["health-england"]
    minister = make.clerk(england)
    petition = _petition(world["council"], world["author"])
    urls = [
        "/councils/health-manchester/feeds/proposals.atom",
        "/councils/health-manchester/feeds/rounds.atom",
        "/councils/health-manchester/feeds/decisions.atom",
        "/councils/health-england/inbox/answers.atom",
        f"/petitions/{petition.id}/feed.atom",
    ]

    def cost() -> list[int]:
        counts = []
        for url in urls:
            with _counting(db.engine) as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    _answer(england, minister, "First cluster", 3)
    before = cost()
    round_ = _round(world["council"], "Third round", 2, phase="closed")
    for i in range(4):
        proposal = _proposal(world["council"], make.user(), f"More {i}", 0.01 * i)
        _decide(round_, i + 1, proposal, "adopted", 1 + i)
        _answer(england, make.clerk(england), f"Cluster {i}", 2 + i)
        _milestone(petition, 10 * (i + 1), 20 - i)
    after = cost()
    assert after == before


def test_a_rejected_petition_feed_says_why(client, world):
    petition = _petition(
        world["council"],
        world["author"],
        status="rejected",
        opened_at=None,
        signing_deadline=None,
        threshold=None,
        moderated_at=_at(3),
        rejection_standard="remit",
        rejection_reason="It is about <another> service.",
    )
    parsed, _ = _feed(client, f"/petitions/{petition.id}/feed.atom")
    assert [e.title for e in parsed.entries] == [
        "Not published: it does not meet the petition standards"
    ]
    assert parsed.entries[0].summary == "It is about <another> service."
