"""The scheduled jobs: what runs, how often, and which service does the work.

Each job is a function ``(now) -> int`` (how many things it changed) that calls the
feature's own service; none copies a feature's rules. Every one is idempotent: run twice
at the same moment, the second run changes nothing (each service guards its own writes,
and `participate.jobs.runner` claims the job for its period besides).

``every`` and ``at`` fix the periods: a minute job has one period a minute; the nightly
reconcile's period starts at 03:00 UTC each day. `participate jobs run` (cron) runs the jobs
whose current period is not done yet; Celery beat sends each job at the start of its period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.schedules import crontab

from participate.extensions import db
from participate.jobs.models import JobEffect

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    run: object  # (now: datetime) -> int
    description: str
    every: timedelta = MINUTE
    at: timedelta = timedelta(0)  # the period's offset from midnight UTC (daily jobs)
    lease: timedelta = timedelta(minutes=5)

    @property
    def beat(self) -> crontab:
        """Celery beat's schedule, from the same ``every`` and ``at`` (a start each period)."""
        if self.every == DAY:
            minutes = int(self.at.total_seconds()) // 60
            return crontab(minute=minutes % 60, hour=minutes // 60)
        step = int(self.every.total_seconds()) // 60
        return crontab() if step == 1 else crontab(minute=f"*/{step}")

    def period(self, now: datetime) -> datetime:
        """The start of the period ``now`` falls in."""
        epoch = datetime(2000, 1, 1) + self.at
        return epoch + ((now - epoch) // self.every) * self.every


# ---------------------------------------------------------------- the jobs


def round_phases(now: datetime) -> int:
    from participate.rounds.lifecycle import sync_due_rounds

    return sync_due_rounds(now)


def motion_closes(now: datetime) -> int:
    from participate.votes.closing import close_due_motions

    return close_due_motions(now)


def petition_counters(now: datetime) -> int:
    from participate.petitions.signature_counter import catch_up

    return catch_up(now)


def petition_deadlines(now: datetime) -> int:
    from participate.petitions.closing import close_expired

    return close_expired(now)


def consultation_closes(now: datetime) -> int:
    """Tell each consultation's publishers, once, that it closed (a JobEffect row per
    consultation, written in the same transaction as the notice)."""
    import sqlalchemy as sa

    from participate.upward.consultations import announce_close, recently_closed
    from participate.upward.models import Consultation

    due = recently_closed(now)
    if not due:
        return 0
    told = set(
        db.session.scalars(
            sa.select(JobEffect.subject_id).where(
                JobEffect.kind == "consultation_closed", JobEffect.subject_id.in_(due)
            )
        )
    )
    announced = 0
    for consultation_id in due:
        if consultation_id in told:
            continue
        try:
            db.session.add(
                JobEffect(kind="consultation_closed", subject_id=consultation_id, applied_at=now)
            )
            db.session.flush()  # a second worker's row is refused here, before any notice
        except sa.exc.IntegrityError:
            db.session.rollback()
            continue
        consultation = db.session.get(Consultation, consultation_id)
        if consultation is not None:
            announce_close(consultation, now=now)
        db.session.commit()
        announced += 1
    return announced


def mail_delivery(now: datetime) -> int:
    """Send what is still pending: mail whose delivery failed (its claim expired) or whose
    delivery task was lost (a broker that was away)."""
    from participate.jobs.delivery import deliver

    return deliver(now=now).sent


def reminders(now: datetime) -> int:
    from participate.jobs.reminders import send_due_reminders

    return send_due_reminders(now)


def digests(now: datetime) -> int:
    from participate.jobs.digests import send_due_digests

    return send_due_digests(now)


def open_data_zip(now: datetime) -> int:
    from participate.opendata.bulk import build_bulk_zip

    build_bulk_zip()
    return 1


def petition_reconcile(now: datetime) -> int:
    from participate.petitions.recount import reconcile

    return sum(1 for result in reconcile() if result.changed)


JOBS: tuple[Job, ...] = (
    Job("round_phases", round_phases, "Move rounds whose phase has ended to the next phase."),
    Job("motion_closes", motion_closes, "Close and tally motions whose voting time is over."),
    Job(
        "petition_counters",
        petition_counters,
        "Count new signatures: milestones and thresholds on time.",
    ),
    Job(
        "petition_deadlines",
        petition_deadlines,
        "Close petitions whose signing deadline passed short of their threshold.",
    ),
    Job(
        "consultation_closes",
        consultation_closes,
        "Tell a consultation's publishers, once, that it has closed.",
    ),
    Job(
        "reminders",
        reminders,
        "Remind people: voting closes in 24 hours, a petition to answer, a consultation closing.",
        every=timedelta(minutes=5),
    ),
    Job("mail_delivery", mail_delivery, "Send mail still pending (retries after a failure)."),
    Job(
        "digests",
        digests,
        "Send each person's daily digest of notifications (07:00 UTC).",
        every=DAY,
        at=timedelta(hours=7),
        lease=timedelta(hours=1),
    ),
    Job(
        "open_data_zip",
        open_data_zip,
        "Regenerate the site-wide open-data zip with its checksum (nightly).",
        every=DAY,
        at=timedelta(hours=2),
        lease=timedelta(hours=1),
    ),
    Job(
        "petition_reconcile",
        petition_reconcile,
        "Recount every petition from its signatures and repair drift (nightly).",
        every=DAY,
        at=timedelta(hours=3),
        lease=timedelta(hours=1),
    ),
)

BY_NAME = {job.name: job for job in JOBS}
