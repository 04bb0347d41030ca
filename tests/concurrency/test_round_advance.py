"""Two clerks advancing the same round at the same moment, against a multi-process server
(granian, 2 workers, same database): exactly one transition happens, the other clerk gets
a clear "already advanced" message, and the side effects (phase log, audit event, the
voting phase's motions, notifications) happen once. Also: many readers hitting a round
whose planned end has passed move it exactly once.

Run on SQLite (default) and on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD, api_token
from tests.factories import rounds as shared
from tests.factories.rounds import start_round

hm = shared.hm  # the fixture

PHASES = ("briefing", "discussion", "refinement", "voting", "outcome")


def _race(calls):
    """Run the calls at the same instant (a barrier), return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _facts(db, round_id):
    from participate.audit.models import AuditEvent
    from participate.notifications.models import Notification
    from participate.rounds.models import AgendaItem, PhaseChange, Round
    from participate.votes.models import Motion

    db.session.expire_all()
    return {
        "phase": db.session.scalar(sa.select(Round.phase).where(Round.id == round_id)),
        "version": db.session.scalar(sa.select(Round.version).where(Round.id == round_id)),
        "changes": db.session.scalars(
            sa.select(PhaseChange.to_phase)
            .where(PhaseChange.round_id == round_id)
            .order_by(PhaseChange.id)
        ).all(),
        "events": db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.action == "round.phase_changed", AuditEvent.subject_id == round_id
            )
        ),
        "motions": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Motion)
            .where(Motion.origin == f"round:{round_id}")
        ),
        "items_with_motion": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AgendaItem)
            .where(AgendaItem.round_id == round_id, AgendaItem.motion_id.is_not(None))
        ),
        "told": db.session.scalar(
            sa.select(sa.func.count()).where(Notification.kind == "round_phase")
        ),
    }


def test_two_clerks_advance_at_once_by_api_and_one_wins_each_time(db, make, hm, live_server):
    second = make.clerk(hm["council"], "clerk2@example.org")
    round_ = start_round(hm)
    tokens = [api_token(hm["clerk"]), api_token(second)]
    url = f"{live_server.url}/api/v1/rounds/{round_.id}/advance"
    members = 9 + 1  # nine members and the other clerk are told of each change
    for step, phase in enumerate(PHASES[:-1], start=1):
        results = _race(
            [
                lambda t=t, p=phase: requests.post(
                    url, json={"from_phase": p}, headers=t, timeout=60
                )
                for t in tokens
            ]
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [(r.status_code, r.text[:300]) for r in results]
        loser = next(r for r in results if r.status_code == 409).json()["error"]
        assert loser["code"] == "phase_already_current"
        assert "already in the" in loser["message"] and "another clerk" in loser["message"]
        facts = _facts(db, round_.id)
        assert facts["phase"] == PHASES[step]
        assert facts["changes"] == list(PHASES[1 : step + 1])
        assert facts["events"] == step and facts["version"] == step + 1
        assert facts["told"] == members * step
        if PHASES[step] in ("voting", "outcome"):
            assert facts["motions"] == 3 and facts["items_with_motion"] == 3


def _signed_in_session(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def _advance_form(session: requests.Session, base: str, round_id: int):
    page = session.get(f"{base}/rounds/{round_id}", timeout=30).text
    form = re.search(rf'action="/rounds/{round_id}/advance">(.*?)</form>', page, re.S).group(1)
    fields = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form))
    fields.update(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields["confirm"] = "yes"  # as the confirmation page sends it
    return fields


def test_two_clerks_press_the_button_at_once_in_the_browser_form(db, make, hm, live_server):
    second = make.clerk(hm["council"], "clerk2@example.org")
    round_ = start_round(hm)
    base = live_server.url
    sessions = [_signed_in_session(base, u.email) for u in (hm["clerk"], second)]
    forms = [_advance_form(s, base, round_.id) for s in sessions]
    assert all(f["from_phase"] == "briefing" for f in forms)
    results = _race(
        [
            lambda s=s, f=f: s.post(
                f"{base}/rounds/{round_.id}/advance", data=f, allow_redirects=False, timeout=60
            )
            for s, f in zip(sessions, forms, strict=True)
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [302, 409], [(r.status_code, r.text[:300]) for r in results]
    loser = next(r for r in results if r.status_code == 409).text
    assert "already in the discussion phase (another clerk may just have advanced it)" in loser
    facts = _facts(db, round_.id)
    assert facts["phase"] == "discussion" and facts["changes"] == ["discussion"]
    assert facts["events"] == 1


def test_readers_of_a_round_past_its_planned_end_move_it_exactly_once(db, hm, live_server):
    from participate.rounds.models import Round
    from participate.util import utcnow

    round_ = start_round(hm)
    now = utcnow()
    db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id)
        .values(
            briefing_ends_at=now - timedelta(minutes=3),
            discussion_ends_at=now - timedelta(minutes=2),
            refinement_ends_at=now - timedelta(minutes=1),
        )
    )
    db.session.commit()
    base = live_server.url
    paths = [
        f"/rounds/{round_.id}",
        f"/api/v1/rounds/{round_.id}",
        "/councils/health-manchester/rounds",
    ]
    results = _race([lambda p=paths[i % 3]: requests.get(base + p, timeout=60) for i in range(8)])
    assert [r.status_code for r in results] == [200] * 8, [r.text[:300] for r in results]
    facts = _facts(db, round_.id)
    # Briefing, discussion and refinement are over: the round is in voting, once.
    assert facts["phase"] == "voting"
    assert facts["changes"] == ["discussion", "refinement", "voting"]
    assert facts["events"] == 3 and facts["version"] == 4
    assert facts["motions"] == 3 and facts["items_with_motion"] == 3
