"""The audit log reads as sentences (issue 15): every recorded action has words, the raw data
sits behind a "Recorded data" toggle, the hash and sequence stay, and a page of events costs a
few queries, not one per row."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlalchemy as sa

from participate.audit.models import AuditEvent
from participate.audit.services import record_event
from participate.audit.wording import SENTENCES, describe, fallback
from participate.core.proposals import STATUSES as PROPOSAL_STATUSES
from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from tests.factories import votes as factory
from tests.factories.votes import open_motion

hm = factory.hm  # the fixture (tests/factories/votes.py)

SOURCE = Path(__file__).resolve().parents[2] / "participate"
# What the f-string action names put in their braces: every value the code can pass.
FSTRING_VALUES = {
    "role": ("clerk", "minister", "member"),  # councils/memberships.py: appoint
    "what": ("proposal", "comment"),  # proposals/moderation.py: _what
    "status": PROPOSAL_STATUSES,  # proposals/services.py: _change_status
    "step": PROPOSAL_STATUSES,  # seed/proposals.py
}
# Actions appended again as they were recorded (seed/__init__.py: chain_in_story_order): each
# came from one of the calls with a name found here.
REPLAYED = {"event.action"}


def _names(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _names(node.body, where) | _names(node.orelse, where)
    if isinstance(node, ast.JoinedStr):
        names = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                names = {n + part.value for n in names}
                continue
            variable = ast.unparse(part.value)
            assert variable in FSTRING_VALUES, (
                f"{where}: the action name takes {{{variable}}}; list its values in FSTRING_VALUES"
            )
            names = {n + v for n in names for v in FSTRING_VALUES[variable]}
        return names
    if ast.unparse(node) in REPLAYED:
        return set()
    raise AssertionError(f"{where}: record_event's action is {ast.unparse(node)}; use a string")


def recorded_actions() -> dict[str, str]:
    """Every action name ``record_event`` is called with anywhere in participate/, with where."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "record_event" or not node.args:
                continue
            where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
            for action in _names(node.args[0], where):
                found.setdefault(action, where)
    return found


def test_every_recorded_action_has_a_sentence():
    actions = recorded_actions()
    assert len(actions) >= 51, sorted(actions)  # the parse found the calls
    missing = {a: where for a, where in actions.items() if a not in SENTENCES}
    assert not missing, f"actions without words in participate/audit/wording.py: {missing}"


def test_each_sentence_reads_even_with_no_data(app):
    """An event whose data lacks keys (an older shape) still gets its sentence, never an error."""
    events = [
        AuditEvent(seq=i, action=action, data="{}", subject_type="", hash="", prev_hash="")
        for i, action in enumerate(sorted(SENTENCES), 1)
    ]
    with app.test_request_context():
        lines = describe(events)
    for line in lines:
        text = str(line.sentence)
        assert text != fallback(line.event.action), line.event.action
        assert text.endswith((".", "”")) and "{" not in text and "None" not in text, text


def test_an_unknown_action_reads_as_its_name(app):
    event = AuditEvent(seq=1, action="petition.moon_landed", data="[1]", subject_type="")
    with app.test_request_context():
        (line,) = describe([event])
    assert str(line.sentence) == "Petition moon landed."


def test_audit_page_shows_sentences_with_the_data_behind_details(client, db, hm):
    motion = open_motion(hm, title="Open the walk-in centre on Sundays")
    cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    cast_ballot(hm["members"]["employee"][0], motion, choice="yes")
    close_voting(hm["clerk"], motion)
    clerk = hm["clerk"].name

    for url in ("/audit", "/councils/health-manchester/audit"):
        html = client.get(url).get_data(as_text=True)
        assert "<table" not in html  # a list of sentences reflows at 390 px
        link = f'<a href="/motions/{motion.id}">Open the walk-in centre on Sundays</a>'
        assert f"{clerk} opened the vote “{link}”" in html, html
        assert f"{clerk} closed the vote “{link}”: 2 ballots." in html
        assert f"{clerk} counted the vote “{link}”: it passed." in html
        # The raw form only inside the toggle; the sequence and hash stay visible.
        shown = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(sa.true() if url == "/audit" else AuditEvent.council_id == hm["council"].id)
        )
        assert html.count("<summary>Recorded data</summary>") == shown >= 3
        body = re.sub(r"<details.*?</details>", "", html, flags=re.S)
        assert "motion.closed" not in body and "&#34;ballots&#34;" not in body
        assert "motion.closed" in html and "&#34;ballots&#34;: 2" in html
        last = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert f"Entry {last.seq}" in body and last.hash[:12] in body


def test_empty_log_says_so(client, db):
    html = client.get("/audit").get_data(as_text=True)
    assert "<p>No events yet.</p>" in html and "audit-log" not in html


def test_names_are_escaped_and_a_missing_subject_does_not_break(client, db, hm):
    motion = open_motion(hm, title="<script>alert(1)</script> & more")
    record_event("round.phase_changed", council=hm["council"], data={"from": "x"})
    record_event("no.such_thing", council=hm["council"])
    db.session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert (
        f'“<a href="/motions/{motion.id}">&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</a>”'
        in html
    )
    assert "No such thing." in html
    assert "The system moved the round  from x to the next." in html


def test_a_page_of_events_costs_a_few_queries(client, db, hm, app):
    """Fifty events naming different people, votes and councils: the page's queries do not
    grow with its rows."""
    for i in range(8):
        motion = open_motion(hm, title=f"Motion {i}")
        close_voting(hm["clerk"], motion)
    for member in hm["members"]["citizen"]:
        record_event(
            "membership.suspended",
            actor=hm["clerk"],
            council=hm["council"],
            data={"user": member.id, "reason": "test"},
        )
    db.session.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        html = client.get("/audit").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert html.count('class="audit-event"') >= 30
    assert "suspended" in html and "from Health" in html
    assert len(statements) <= 15, "\n".join(statements)


def test_every_event_of_the_demo_reads_as_a_sentence(demo):
    """The demo's whole log: each event has its own sentence (none falls back to its name)."""
    events = demo.db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    with demo.app.test_request_context():
        lines = describe(events)
    assert len(lines) > 50
    fallen = {
        line.event.action for line in lines if str(line.sentence) == fallback(line.event.action)
    }
    assert not fallen, fallen
    for line in lines:
        assert "None" not in str(line.sentence) and "{" not in str(line.sentence), line.sentence


def test_an_appointment_is_logged_without_the_persons_e_mail_address(client, db, hm, make):
    """The log is public: it names the person appointed, never their e-mail address."""
    from participate.councils.memberships import appoint, end_appointment

    admin = make.user("ops@example.org", admin=True)
    person = make.user("grace@example.org", name="Dr Grace Okafor")
    appoint(admin, person, hm["council"], "clerk", "leader")
    end_appointment(admin, person, hm["council"])
    html = client.get("/audit").get_data(as_text=True)
    assert "Dr Grace Okafor" in html
    assert "grace@example.org" not in html
