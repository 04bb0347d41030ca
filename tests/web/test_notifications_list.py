"""The notifications page (issue 15): plain sentences, grouped by day and by what they are
about, and marked read once shown, so the count in the header goes down."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import login


def _notify(user, kind, text, link="", *, days_ago=0):
    from participate.extensions import db
    from participate.notifications.models import Notification
    from participate.notifications.services import notify
    from participate.util import utcnow

    notify([user.id], kind, text, link)
    db.session.commit()
    if days_ago:
        newest = db.session.scalar(
            sa.select(Notification).order_by(Notification.id.desc()).limit(1)
        )
        newest.created_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()


def _unread(user):
    from participate.notifications.services import unread_count

    return unread_count(user.id)


def _header_count(html: str) -> str | None:
    match = re.search(r"Notifications <span class=\"badge\">(\d+)", html)
    return match.group(1) if match else None


def test_opening_the_list_marks_what_it_shows_read_and_the_header_count_drops(client, make, db):
    person = make.user("reader@example.org")
    for i in range(3):
        _notify(person, "vote_open", f"Voting is open: motion {i}", f"/motions/{i + 1}")
    login(client, person)
    before = client.get("/me/notifications").get_data(as_text=True)
    assert _header_count(before) == "3"

    page = client.get("/notifications").get_data(as_text=True)
    # shown as new this once, but the header already counts them as seen
    assert page.count('class="badge new"') == 3
    assert _header_count(page) is None
    assert _unread(person) == 0
    again = client.get("/notifications").get_data(as_text=True)
    assert 'class="badge new"' not in again


def test_several_notifications_about_one_thing_on_one_day_are_one_row(client, make, db):
    person = make.user("follower@example.org")
    for name in ("Ann", "Bo", "Cy"):
        _notify(
            person,
            "proposal_comment",
            f"{name} commented on “Longer GP hours”.",
            f"/proposals/7#comment-{len(name)}",
        )
    _notify(
        person,
        "proposal_edited",
        "Ann revised “Longer GP hours” (version 2).",
        "/proposals/7/history",
    )
    _notify(person, "vote_open", "Voting is open: Saturday opening", "/motions/4", days_ago=3)
    login(client, person)
    page = client.get("/notifications").get_data(as_text=True)
    assert "3 new comments on “Longer GP hours”." in page
    assert page.count("commented on “Longer GP hours”") == 3  # each behind the summary
    assert '<a href="/proposals/7">3 new comments' in page
    # another kind about the same proposal is its own row; an older day its own heading
    assert "Ann revised “Longer GP hours” (version 2)." in page
    assert page.index("<h2>Today</h2>") < page.index("Voting is open: Saturday opening.")
    assert page.count("<h2>") == 2


def test_each_row_is_a_plain_sentence(client, make, db):
    person = make.user("plain@example.org")
    _notify(
        person,
        "moderation",
        "The clerk hid your comment on “Parking”: **rude** remarks about [staff](http://x.org)",
        "/proposals/1",
    )
    login(client, person)
    page = client.get("/notifications").get_data(as_text=True)
    assert "**" not in page and "](" not in page
    assert "rude remarks about staff.</a>" in page


def test_the_round_phase_notices_read_as_sentences(app, db):
    from participate.rounds.lifecycle import phase_notice

    texts = {
        phase: phase_notice("Winter", "Health and care council, Leeds", phase, None)
        for phase in ("discussion", "refinement", "voting", "outcome", "closed")
    }
    assert "is now in discussion" in texts["discussion"]
    for text in texts.values():
        assert " in closed" not in text and " in outcome" not in text and " in voting" not in text
        assert text.endswith(".") and ".." not in text
    assert texts["closed"].startswith(
        "The round “Winter” in Health and care council, Leeds is closed"
    )


def test_every_kind_the_app_notifies_is_on_the_settings_page():
    """Each ``notify*(people, "kind", ...)`` in the code names a kind kinds.py lists, so a
    person can choose how it reaches them."""
    import ast
    from pathlib import Path

    from participate.notifications.kinds import KINDS

    senders = {"notify", "notify_members", "notify_followers", "notify_signers"}
    used: dict[str, str] = {}
    for path in Path("participate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            kind = node.args[1]
            if name in senders and isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                used[kind.value] = f"{path}:{node.lineno}"
    assert len(used) > 25
    assert {k: where for k, where in used.items() if k not in KINDS} == {}
