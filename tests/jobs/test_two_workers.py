"""Two real Celery workers at once (separate processes, Redis db 5 as the broker) against one
database (the run's SQLite file, or TEST_DATABASE_URL's PostgreSQL): the same work is
enqueued twice and more, and still each mail is delivered exactly once and each phase end
is applied once."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import conftest
from tests.conftest import ROOT, _test_secret_key
from tests.factories import rounds as rounds_tests
from tests.factories.rounds import start_round

hm = rounds_tests.hm  # the fixture

pytestmark = pytest.mark.concurrency

BROKER = "redis://127.0.0.1:6379/5"  # this test's own Redis database
# Its own queue in it: the SQLite and PostgreSQL runs of `make test` run side by side, and
# neither's workers may take the other's tasks.
QUEUE = f"participate-test-{uuid.uuid4().hex[:12]}"
MAILS = 24
ROUNDS = 3


def _redis():
    import redis

    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379; CI needs it for the workers")
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


def _start_worker(name: str, database_url: str, home: Path, outbox: Path):
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "worker.log", "wb")  # noqa: SIM115  (closed by _stop)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PARTICIPATE_INSTANCE": str(home),
        "PARTICIPATE_MAIL_OUTBOX": str(outbox),
        "PARTICIPATE_JOBS_BROKER_URL": BROKER,
        "SECRET_KEY": "worker-test",
        "SECRET_KEY_FALLBACKS": _test_secret_key(),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "participate"),
        "jobs",
        "worker",
        "--concurrency",
        "2",
        "-n",
        f"{name}-{QUEUE}@localhost",
        "-Q",
        QUEUE,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    proc = subprocess.Popen(command, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
    return proc, log, home / "worker.log"


def _wait_for(condition, what: str, limit: float = 120) -> None:
    """Wait for the workers to finish (a bound, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"the workers did not {what} within {limit:.0f} s")


def _stop(proc, log) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


def test_two_workers_deliver_each_mail_once_and_apply_each_phase_end_once(
    db, hm, database_url, tmp_root
):
    from participate import create_app
    from participate.jobs import DELIVER_MAIL, RUN_JOB, celery_for
    from participate.mail import OutgoingMail, send_mail
    from participate.rounds.models import PhaseChange, Round
    from participate.util import utcnow
    from participate.votes.models import Motion

    redis = _redis()
    redis.delete(QUEUE)
    outbox = tmp_root / "workers-outbox"
    outbox.mkdir(exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()

    # Rounds whose briefing, discussion and refinement have ended: each must step into
    # voting once (three phase changes, a motion), whoever applies it.
    round_ids = []
    for n in range(ROUNDS):
        item = [("proposal", hm["proposals"][n].id)]
        round_ = start_round(hm, items=item, title=f"Winter pressures, part {n + 1}")
        round_ids.append(round_.id)
    now = utcnow()
    db.session.execute(
        sa.update(Round)
        .where(Round.id.in_(round_ids))
        .values(
            briefing_ends_at=now - timedelta(minutes=3),
            discussion_ends_at=now - timedelta(minutes=2),
            refinement_ends_at=now - timedelta(minutes=1),
        )
    )
    db.session.commit()

    workers = []
    try:
        for name in ("w1", "w2"):
            workers.append(_start_worker(name, database_url, tmp_root / f"jobs-{name}", outbox))
        _wait_for(
            lambda: all(b"ready." in path.read_bytes() for _, _, path in workers),
            "start",
        )

        # Mail sent by the app with the broker configured: each commit enqueues its delivery.
        broker_app = create_app(
            {
                **conftest.test_config(database_url, tmp_root),
                "JOBS_BROKER_URL": BROKER,
                "JOBS_QUEUE": QUEUE,
                "MAIL_OUTBOX": str(outbox),
            }
        )
        with broker_app.app_context():
            from participate.extensions import db as broker_db

            for i in range(MAILS):
                send_mail(f"person{i}@example.org", f"Message {i}", f"Body {i}")
                if i % 4 == 3:
                    broker_db.session.commit()  # six transactions, six delivery tasks
            broker_db.session.commit()
            ids = broker_db.session.scalars(sa.select(OutgoingMail.id)).all()
            celery = celery_for(broker_app)
            deliver, run_job = celery.tasks[DELIVER_MAIL], celery.tasks[RUN_JOB]
            # The same work again, several times over: as retries and a second beat would.
            for _ in range(2):
                deliver.delay(ids)
                for mail_id in ids:
                    deliver.delay([mail_id])
                run_job.delay("mail_delivery")
                run_job.delay("round_phases")
                # Another period too: its claim is free, so both sweeps really run.
                run_job.delay("round_phases", (now + timedelta(minutes=1)).isoformat())
                run_job.delay("round_phases", (now + timedelta(minutes=2)).isoformat())

        def finished() -> bool:
            db.session.expire_all()
            pending = db.session.scalar(
                sa.select(sa.func.count()).where(OutgoingMail.status != "sent")
            )
            phases = db.session.scalars(sa.select(Round.phase).where(Round.id.in_(round_ids)))
            return pending == 0 and set(phases) == {"voting"} and redis.llen(QUEUE) == 0

        _wait_for(finished, "finish the work")
    finally:
        for proc, log, _ in workers:
            _stop(proc, log)
        logs = [path.read_text(errors="replace") for _, _, path in workers]
        redis.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")

    # Each mail once: one file per recipient in the outbox, every row sent once.
    recipients = collections.Counter(
        message_from_bytes(path.read_bytes(), policy=default)["To"] for path in outbox.glob("*.eml")
    )
    assert recipients == {f"person{i}@example.org": 1 for i in range(MAILS)}
    db.session.expire_all()
    rows = db.session.scalars(sa.select(OutgoingMail)).all()
    assert len(rows) == MAILS and {r.status for r in rows} == {"sent"}
    assert {r.attempts for r in rows} == {1}  # claimed once: nobody took a claimed row

    # Each phase end once.
    for round_id in round_ids:
        changes = db.session.scalars(
            sa.select(PhaseChange.to_phase).where(PhaseChange.round_id == round_id)
        ).all()
        assert sorted(changes) == ["discussion", "refinement", "voting"]
        motions = db.session.scalar(
            sa.select(sa.func.count()).where(Motion.origin == f"round:{round_id}")
        )
        assert motions == 1

    # Both workers took part (the race was real), and none failed.
    for log in logs:
        assert "succeeded" in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
