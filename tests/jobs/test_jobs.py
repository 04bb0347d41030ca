"""Background and scheduled jobs (participate.jobs): mail queued in the sender's
transaction and delivered after commit under a claim; scheduled jobs claimed per period,
idempotent, retried after a failure and never half-applied; time-based changes applied by
the jobs without anyone reading a page. The embedded (eager) mode throughout; the broker
mode with two real workers is in test_two_workers.py."""

from __future__ import annotations

import dataclasses
import smtplib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import petitions as petitions_tests
from tests.factories import rounds as rounds_tests
from tests.factories.mail import FakeSMTP
from tests.factories.petitions import events, opened, sign_many
from tests.factories.rounds import start_round

hm = rounds_tests.hm  # the fixtures
world = petitions_tests.world


def _mails(db):
    from participate.mail import OutgoingMail

    db.session.expire_all()
    return db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)).all()


def _eml(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("*.eml"))


def _queue_rows(db, n: int) -> list[int]:
    """Pending rows written directly (no after-commit delivery), as a lost task leaves them."""
    from participate.mail import OutgoingMail
    from participate.util import utcnow

    rows = [
        OutgoingMail(
            to_address=f"person{i}@example.org",
            subject=f"Message {i}",
            body="Hello",
            created_at=utcnow(),
            status="pending",
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    FakeSMTP.sent, FakeSMTP.fail = [], False
    return FakeSMTP


# ---------------------------------------------------------------- mail off the request path


def test_mail_is_written_in_the_transaction_and_delivered_once_it_commits(db, outbox):
    from participate.mail import send_mail

    message = send_mail("ada@example.org", "Hello", "The body")
    assert message["To"] == "ada@example.org" and message["Message-ID"]
    assert _eml(outbox) == []  # nothing leaves before the commit
    (row,) = _mails(db)
    assert row.status == "pending"
    db.session.commit()
    (path,) = _eml(outbox)
    assert b"The body" in path.read_bytes()
    (row,) = _mails(db)
    assert row.status == "sent" and row.sent_at is not None and row.claim_token is None
    assert row.attempts == 1


def test_extra_header_fields_are_kept_and_addressing_fields_or_new_lines_refused(db, outbox):
    from participate.mail import send_mail

    link = "<http://localhost/unsubscribe/abc>"
    send_mail("ada@example.org", "Hello", "Body", headers={"List-Unsubscribe": link})
    db.session.commit()
    (path,) = _eml(outbox)
    assert f"List-Unsubscribe: {link}" in path.read_text()
    for bad in ({"Bcc": "eve@example.org"}, {"X-Note": "a\r\nBcc: eve@example.org"}, {"": "x"}):
        with pytest.raises(ValueError):
            send_mail("ada@example.org", "Hello", "Body", headers=bad)
    db.session.rollback()


def test_mail_of_a_transaction_that_rolls_back_is_never_sent(db, outbox):
    from participate.mail import send_mail

    send_mail("ada@example.org", "Hello", "The body")
    db.session.rollback()
    assert _eml(outbox) == [] and _mails(db) == []
    db.session.commit()  # a later commit does not resurrect it
    assert _eml(outbox) == []


def test_a_claimed_row_is_not_taken_again_until_its_claim_expires(db):
    from participate.jobs.claims import claim_rows
    from participate.mail import OutgoingMail
    from participate.util import utcnow

    ids = _queue_rows(db, 3)
    now = utcnow()
    lease = timedelta(minutes=5)
    first_token, first = claim_rows(OutgoingMail, now=now, lease=lease, ids=ids)
    assert [r.id for r in first] == ids
    _, second = claim_rows(OutgoingMail, now=now + timedelta(minutes=4), lease=lease, ids=ids)
    assert second == []  # held by the first claim
    later_token, later = claim_rows(OutgoingMail, now=now + lease, lease=lease, ids=ids)
    assert [r.id for r in later] == ids and later_token != first_token
    assert {r.attempts for r in _mails(db)} == {2}


def test_delivering_the_same_rows_twice_sends_each_once(db, outbox):
    from participate.jobs.delivery import deliver

    ids = _queue_rows(db, 4)
    assert deliver(ids).sent == 4
    assert deliver(ids).sent == 0  # a retried task finds them sent
    assert deliver().sent == 0  # and so does the periodic sweep
    assert len(_eml(outbox)) == 4
    assert {m.status for m in _mails(db)} == {"sent"}


def test_a_failed_delivery_keeps_its_claim_then_is_retried_and_sent_once(db, smtp, caplog):
    from participate.jobs.delivery import LEASE, deliver
    from participate.util import utcnow

    (mail_id,) = _queue_rows(db, 1)
    now = utcnow()
    smtp.fail = True
    assert deliver([mail_id], now=now).failed == 1
    assert "not sent" in caplog.text
    (row,) = _mails(db)
    assert row.status == "pending" and row.claimed_until == now + LEASE
    assert "went away" in row.last_error
    smtp.fail = False
    assert deliver(now=now + LEASE - timedelta(seconds=1)).sent == 0  # claim still held
    assert deliver(now=now + LEASE).sent == 1
    assert deliver(now=now + 3 * LEASE).sent == 0
    assert smtp.sent == ["person0@example.org"]
    (row,) = _mails(db)
    assert row.status == "sent" and row.attempts == 2


def test_a_message_that_keeps_failing_is_marked_failed_and_left_alone(db, smtp):
    from participate.jobs.delivery import LEASE, MAX_ATTEMPTS, deliver
    from participate.util import utcnow

    _queue_rows(db, 1)
    smtp.fail = True
    now = utcnow()
    for attempt in range(MAX_ATTEMPTS):
        assert deliver(now=now + attempt * LEASE).failed == 1
    (row,) = _mails(db)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    smtp.fail = False
    assert deliver(now=now + 10 * LEASE).sent == 0 and smtp.sent == []


def test_mail_queued_by_a_request_goes_after_commit_with_the_smtp_backend(app, db, smtp, make):
    """Account mail over smtp: queued in the request, handed to the server at the
    response's close (test_account_mail.py checks the timing); recorded as sent."""
    from participate.mail import OutgoingMail

    make.user("known@example.org")
    client = app.test_client()
    response = client.post("/reset", data={"email": "known@example.org"})
    assert response.status_code == 302
    assert smtp.sent == []
    (row,) = _mails(db)
    assert row.status == "pending" and row.to_address == "known@example.org"
    response.close()
    assert smtp.sent == ["known@example.org"]
    assert db.session.scalar(sa.select(OutgoingMail.status)) == "sent"


# ---------------------------------------------------------------- the embedded (eager) mode


def test_without_a_broker_the_celery_tasks_run_eagerly_in_process(app, db, outbox):
    from participate.jobs import DELIVER_MAIL, RUN_JOB, celery_for

    celery = celery_for(app)
    assert celery.conf.task_always_eager is True
    ids = _queue_rows(db, 2)
    result = celery.tasks[DELIVER_MAIL].delay(ids)
    assert result.get() == 2 and len(_eml(outbox)) == 2
    assert celery.tasks[RUN_JOB].delay("mail_delivery").get() == 0
    assert set(celery.conf.beat_schedule) >= {"round_phases", "petition_reconcile"}


def test_two_threads_sending_eager_tasks_at_once_leave_celery_as_it_was(app, monkeypatch):
    """Two threads (a threaded server's two answers) deliver mail at the same time, their
    tasks overlapping in the order that, on Celery's own eager path, leaves its process-wide
    "within a task" flag set: the flag is as it was, and a result can still be read."""
    import threading

    from celery.result import _set_task_join_will_block, task_join_will_block

    from participate.jobs import DELIVER_MAIL, celery_for, delivery

    first_in, second_in, first_back = threading.Event(), threading.Event(), threading.Event()

    def deliver(ids):  # the first task waits for the second; the second outlasts the first
        if ids == [1]:
            first_in.set()
            second_in.wait(5)
        else:
            second_in.set()
            first_back.wait(5)
        return delivery.Delivered(sent=len(ids))

    monkeypatch.setattr(delivery, "deliver", deliver)
    task = celery_for(app).tasks[DELIVER_MAIL]
    errors: list[BaseException] = []

    def send(ids, after=None, then=None):
        try:
            if after:
                after.wait(5)
            task.delay(ids)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            if then:
                then.set()

    before = task_join_will_block()
    threads = [
        threading.Thread(target=send, args=([1],), kwargs={"then": first_back}),
        threading.Thread(target=send, args=([2, 3],), kwargs={"after": first_in}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        assert first_in.is_set() and second_in.is_set() and first_back.is_set()
        assert task_join_will_block() is before is False
        assert task.delay([4, 5]).get() == 2
    finally:
        _set_task_join_will_block(before)  # a failure here must not fail the tests after it


def test_jobs_run_from_the_command_line(app, db):
    from participate.jobs.models import JobRun
    from participate.jobs.schedule import JOBS

    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run", "--now", "2030-01-01T10:00:00Z"])
    assert first.exit_code == 0, first.output
    assert all(f"{job.name}: done" in first.output for job in JOBS)
    again = runner.invoke(args=["jobs", "run", "--now", "2030-01-01T10:00:30Z"])
    assert again.exit_code == 0 and "round_phases: skipped" in again.output
    assert db.session.scalar(sa.select(JobRun.runs).where(JobRun.name == "round_phases")) == 1
    bad = runner.invoke(args=["jobs", "run", "--now", "tomorrow"])
    assert bad.exit_code == 2 and "not an ISO date-time" in bad.output
    unknown = runner.invoke(args=["jobs", "run", "--job", "nope"])
    assert unknown.exit_code == 2 and "no job nope" in unknown.output
    listed = runner.invoke(args=["jobs", "list"])
    assert "petition_reconcile" in listed.output and "daily" in listed.output


def test_a_worker_without_a_broker_is_refused_with_the_cron_alternative(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker"])
    assert result.exit_code == 2
    assert "PARTICIPATE_JOBS_BROKER_URL" in result.output and "jobs run" in result.output


# ---------------------------------------------------------------- claims per period


def test_a_job_runs_once_per_period_and_again_in_the_next(db):
    from participate.jobs.runner import run_job
    from participate.util import utcnow

    now = utcnow().replace(second=0, microsecond=0)
    assert run_job("round_phases", now).status == "done"
    assert run_job("round_phases", now + timedelta(seconds=59)).status == "skipped"
    assert run_job("round_phases", now + timedelta(minutes=1)).status == "done"
    # The nightly job: one period a day, starting 03:00 UTC.
    day = now.replace(hour=4, minute=0)
    assert run_job("petition_reconcile", day).status == "done"
    assert run_job("petition_reconcile", day + timedelta(hours=22)).status == "skipped"
    assert run_job("petition_reconcile", day + timedelta(hours=23)).status == "done"


def _due_round(hm, db):
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
    return round_.id


def _round_facts(db, round_id):
    from participate.rounds.models import PhaseChange, Round
    from participate.votes.models import Motion

    db.session.expire_all()
    return (
        db.session.scalar(sa.select(Round.phase).where(Round.id == round_id)),
        db.session.scalars(
            sa.select(PhaseChange.to_phase).where(PhaseChange.round_id == round_id)
        ).all(),
        db.session.scalar(sa.select(sa.func.count()).where(Motion.origin == f"round:{round_id}")),
    )


def test_a_phase_end_is_applied_by_the_job_without_anyone_reading_the_round(db, hm):
    from participate.jobs.runner import run_due, run_job
    from participate.util import utcnow

    round_id = _due_round(hm, db)
    assert _round_facts(db, round_id)[0] == "briefing"  # nothing read it
    outcomes = {o.name: o for o in run_due()}
    assert outcomes["round_phases"].status == "done" and outcomes["round_phases"].result == 1
    expected = ("voting", ["discussion", "refinement", "voting"], 3)
    assert _round_facts(db, round_id) == expected
    # Again in the next minute (a second worker, a retried task): nothing more happens.
    assert run_job("round_phases", utcnow() + timedelta(minutes=1)).result == 0
    assert _round_facts(db, round_id) == expected
    assert len(events(db, "round.phase_changed")) == 3


def test_a_failing_job_is_not_half_applied_and_is_retried_after_its_claim_expires(
    db, hm, monkeypatch
):
    from participate.jobs import schedule
    from participate.jobs.models import JobRun
    from participate.jobs.runner import run_job
    from participate.rounds import voting
    from participate.util import utcnow

    round_id = _due_round(hm, db)

    def broken(*args, **kwargs):
        raise RuntimeError("the motions could not open")

    monkeypatch.setattr(voting, "open_motions", broken)
    now = utcnow()
    failed = run_job("round_phases", now)
    assert failed.status == "failed" and "could not open" in failed.error
    # Nothing of the step into voting was kept: the round has not moved at all, since the
    # three steps due are one transaction.
    assert _round_facts(db, round_id) == ("briefing", [], 0)
    assert events(db, "round.phase_changed") == []
    run = db.session.get(JobRun, "round_phases")
    assert run.failures == 1 and run.claimed_until is not None
    assert "could not open" in run.last_error
    monkeypatch.undo()
    lease = schedule.BY_NAME["round_phases"].lease
    # The claim is left to expire: the next minutes find it held ...
    assert run_job("round_phases", now + timedelta(minutes=1)).status == "skipped"
    assert _round_facts(db, round_id)[0] == "briefing"
    # ... and once it has expired the job is tried again and applies the step once.
    assert run_job("round_phases", now + lease).status == "done"
    assert _round_facts(db, round_id) == ("voting", ["discussion", "refinement", "voting"], 3)
    db.session.expire_all()
    assert db.session.get(JobRun, "round_phases").last_error == ""


def test_a_job_raising_is_reported_by_jobs_run_with_a_non_zero_exit(app, db, monkeypatch):
    from participate.jobs import schedule

    def broken(now):
        raise RuntimeError("boom")

    job = dataclasses.replace(schedule.BY_NAME["motion_closes"], run=broken)
    monkeypatch.setitem(schedule.BY_NAME, "motion_closes", job)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--job", "motion_closes"])
    assert result.exit_code == 1 and "motion_closes: failed: RuntimeError: boom" in result.output


# ---------------------------------------------------------------- time-based changes on time


def test_a_petition_past_its_deadline_is_closed_by_the_job(db, world):
    from participate.jobs.runner import run_job
    from participate.petitions.models import Petition

    petition = opened(world)
    sign_many(world, petition, 1)
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id)
        .values(signing_deadline=petition.opened_at - timedelta(seconds=9))
    )
    db.session.commit()
    assert run_job("petition_deadlines").result == 1
    db.session.expire_all()
    assert db.session.get(Petition, petition.id).status == "closed_unsuccessful"
    assert len(events(db, "petition.closed_unsuccessful")) == 1


def test_new_signatures_are_counted_by_the_job(db, world):
    from participate.jobs.runner import run_job
    from participate.petitions import signature_counter
    from participate.util import utcnow

    petition = opened(world)
    sign_many(world, petition, 2)
    assert signature_counter.current(petition.id).count == 0  # nobody read the petition since
    now = utcnow() + timedelta(minutes=5)  # the counter is stale by then
    assert run_job("petition_counters", now).result == 1
    assert signature_counter.current(petition.id).count == 2
    assert run_job("petition_counters", now + timedelta(minutes=1)).result == 0


def test_a_motion_whose_voting_time_is_over_is_closed_by_the_job(db, make):
    from participate.jobs.runner import run_job
    from participate.util import utcnow
    from participate.votes import services
    from participate.votes.models import Motion

    council = make.structure()["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    make.members(council, {"citizen": 2})
    motion = services.create_motion(clerk, council, title="Open on Saturdays", method="binary")
    services.open_voting(clerk, motion, utcnow() + timedelta(hours=1))
    assert run_job("motion_closes").result == 0
    assert run_job("motion_closes", utcnow() + timedelta(hours=2)).result == 1
    db.session.expire_all()
    closed = db.session.get(Motion, motion.id)
    assert closed.status == "closed" and closed.result is not None
    assert len(events(db, "motion.closed")) == 1


@pytest.mark.commits  # the scheduler's thread has its own session and connection
def test_the_demo_scheduler_applies_a_due_phase_end_without_a_page_read(app, db, hm):
    """`participate demo` runs this loop in a child process (participate.jobs.scheduler)."""
    import threading

    from participate.jobs.scheduler import loop

    round_id = _due_round(hm, db)
    stop, lines = threading.Event(), []

    def echo(line: str) -> None:
        lines.append(line)
        stop.set()  # after the first run's report

    thread = threading.Thread(target=loop, args=(app,), kwargs={"echo": echo, "stop_event": stop})
    thread.start()
    thread.join(120)
    stop.set()  # whatever happened, the loop ends
    assert not thread.is_alive()
    assert "jobs: round_phases: 1 changed" in lines
    assert _round_facts(db, round_id)[0] == "voting"


def test_the_open_data_zip_is_rebuilt_nightly_by_its_job(app, db):
    import json

    from participate.jobs.runner import run_job
    from participate.util import utcnow

    pointer = Path(app.config["INSTANCE_PATH"]) / "opendata" / "current.json"
    night = utcnow().replace(hour=2, minute=30, second=0, microsecond=0)
    assert run_job("open_data_zip", night).status == "done"
    first = json.loads(pointer.read_text())
    assert (pointer.parent / first["file"]).is_file() and len(first["sha256"]) == 64
    assert run_job("open_data_zip", night + timedelta(hours=20)).status == "skipped"
    assert run_job("open_data_zip", night + timedelta(days=1)).status == "done"


def test_digests_and_reminders_run_on_their_schedules(db):
    from participate.jobs.runner import run_job
    from participate.util import utcnow

    morning = utcnow().replace(hour=7, minute=0, second=0, microsecond=0)
    assert run_job("digests", morning).status == "done"
    assert run_job("digests", morning + timedelta(hours=12)).status == "skipped"
    assert run_job("reminders", morning).status == "done"
    assert run_job("reminders", morning + timedelta(minutes=4)).status == "skipped"
    assert run_job("reminders", morning + timedelta(minutes=5)).status == "done"


def test_with_the_broker_away_a_commit_still_succeeds_and_the_sweep_sends_later(
    app, db, outbox, caplog
):
    from participate import create_app
    from participate.extensions import db as the_db
    from participate.jobs.runner import run_job
    from participate.mail import send_mail

    away = create_app({**app.config, "JOBS_BROKER_URL": "redis://127.0.0.1:1/5"})
    with away.app_context():
        send_mail("ada@example.org", "Hello", "The body")
        the_db.session.commit()  # does not raise: the row is stored
    assert "delivery left to the mail_delivery job" in caplog.text
    assert [m.status for m in _mails(db)] == ["pending"] and _eml(outbox) == []
    assert run_job("mail_delivery").result == 1  # cron's sweep, in the embedded app
    assert [m.status for m in _mails(db)] == ["sent"] and len(_eml(outbox)) == 1
