"""The proposal page issues a fixed number of SQL queries whatever the size of its discussion
(comments in one query, authors by join, the thread built in Python), and the thread is built
right."""

# ruff: noqa: F811  (the fixture world comes from test_proposals)

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from participate.proposals import amendments, moderation, services
from participate.proposals.discussion import support
from participate.proposals.models import Comment, Proposal
from participate.proposals.reading import build_thread, stance_summary, thread_tree
from tests.factories.proposals import world  # noqa: F401


@contextmanager
def counting(engine):
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def discussion(db, world, n: int) -> Proposal:
    """A proposal with n comments from three members, a third of them replies, one hidden,
    an amendment and supports."""
    proposal = services.create_proposal(
        world.author, world.council, title=f"Thread of {n}", body="Body", themes="a-theme"
    )
    authors = [(world.member, "employee"), (world.leader, "leader"), (world.author, "citizen")]
    stances = ["for", "against", "neutral", "question"]
    ids: list[int] = []
    for i in range(n):
        user, constituency = authors[i % 3]
        ids.append(
            db.session.scalar(
                sa.insert(Comment)
                .values(
                    proposal_id=proposal.id,
                    parent_id=ids[i // 2] if i % 3 == 2 else None,
                    author_id=user.id,
                    author_constituency=constituency,
                    stance=stances[i % 4],
                    body=f"Comment {i}",
                    body_html=f"<p>Comment {i}</p>",
                )
                .returning(Comment.id)
            )
        )
    db.session.execute(
        sa.update(Proposal).where(Proposal.id == proposal.id).values(comments_count=n)
    )
    db.session.commit()
    moderation.hide(world.clerk, proposal, comment=db.session.get(Comment, ids[0]), reason="attack")
    amendments.propose_amendment(world.member, proposal, body="Other body", reason="Why")
    support(world.member, proposal)
    return proposal


@pytest.mark.parametrize("viewer", [None, "member", "author", "clerk"])
def test_the_proposal_page_query_count_does_not_grow_with_comments(
    app, client, db, login_as, world, viewer
):
    sizes = {discussion(db, world, 10).id: 10, discussion(db, world, 500).id: 500}
    if viewer:
        login_as(getattr(world, viewer))
    counts = {}
    for proposal_id, size in sizes.items():
        db.session.remove()  # nothing cached in the session: every query counts
        with counting(db.engine) as statements:
            response = client.get(f"/proposals/{proposal_id}")
        assert response.status_code == 200
        counts[size] = statements
        assert response.get_data(as_text=True).count('<li id="comment-') == size
    few, many = counts[10], counts[500]
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= 14, "\n".join(many)


def test_the_list_query_count_does_not_grow_with_the_page(client, db, world):
    for i in range(25):
        services.create_proposal(
            world.author, world.council, title=f"Idea {i}", body="x", themes="t1, t2"
        )
    url = "/councils/health-manchester/proposals"
    sizes = []
    for query in ("?page=2", "?page=1", "?page=1&sort=bridging", "?page=2&sort=bridging"):
        db.session.remove()
        with counting(db.engine) as statements:
            assert client.get(url + query).status_code == 200
        sizes.append(len(statements))
    assert sizes[0] == sizes[1] and sizes[2] == sizes[3]


# ---------------------------------------------------------------- the thread, in Python


def c(id, parent=None, stance="for", constituency="citizen", hidden=False):
    return SimpleNamespace(
        id=id,
        parent_id=parent,
        stance=stance,
        author_constituency=constituency,
        author_id=id,
        hidden_at=object() if hidden else None,
        hidden_reason="r" if hidden else "",
        created_at=__import__("datetime").datetime(2026, 1, 1),
        body=f"b{id}",
        body_html=f"<p>b{id}</p>",
    )


def shape(entries):
    return [(e.comment.id, e.depth, e.opens, e.closes) for e in entries]


def test_thread_order_and_nesting():
    rows = [(c(1), "A"), (c(2), "B"), (c(3, 1), "C"), (c(4, 3), "D"), (c(5, 1), "E")]
    assert shape(build_thread(rows)) == [
        (1, 0, True, 0),  # 1 opens a list for its replies
        (3, 1, True, 0),
        (4, 2, False, 1),  # closes 3's list
        (5, 1, False, 1),  # closes 1's list
        (2, 0, False, 0),
    ]


def test_thread_markup_balances(client):
    rows = [(c(i, (i - 1) if i % 2 else None), "X") for i in range(1, 40)]
    entries = build_thread(rows)
    opened = sum(1 for e in entries if e.opens)
    closed = sum(e.closes for e in entries)
    assert opened == closed


def test_deep_replies_are_capped_and_say_whom_they_answer():
    rows = [(c(1), "N1")] + [(c(i, i - 1), f"N{i}") for i in range(2, 12)]
    entries = build_thread(rows, max_depth=3)
    assert max(e.depth for e in entries) == 3
    deep = [e for e in entries if e.comment.id == 8][0]
    assert deep.depth == 3 and deep.reply_to == "N7"
    assert sum(1 for e in entries if e.opens) == sum(e.closes for e in entries)


def test_tree_for_the_api():
    rows = [(c(1), "A"), (c(2, 1, hidden=True), "B"), (c(3, 2), "C")]
    (root,) = thread_tree(rows)
    hidden = root["replies"][0]
    assert hidden["hidden"] and "body" not in hidden and hidden["replies"][0]["id"] == 3


def test_stance_summary_and_dissent():
    comments = [
        c(1, stance="for", constituency="citizen"),
        c(2, stance="for", constituency="citizen"),
        c(3, stance="against", constituency="employee"),
        c(4, stance="question", constituency="leader"),
        c(5, stance="against", constituency="citizen", hidden=True),
    ]
    summary = stance_summary(comments)
    assert summary.total == 4 and summary.lean == "for"
    assert [r.constituency for r in summary.dissent] == ["employee"]
    assert summary.as_json()["citizen"] == {"for": 2, "against": 0, "neutral": 0, "question": 0}
