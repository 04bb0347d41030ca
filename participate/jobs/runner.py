"""Running scheduled jobs under their claims (the same code for cron, beat and the demo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from participate.extensions import db
from participate.jobs.claims import claim_job, fail_job, finish_job
from participate.jobs.schedule import BY_NAME, JOBS
from participate.util import utcnow


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # "done", "skipped" (period done, or another worker holds it), "failed"
    result: int = 0
    error: str = ""


def run_job(name: str, now: datetime | None = None) -> Outcome:
    """Run one job for the period ``now`` falls in, unless that period is done or another
    worker holds the job. A failure rolls back what the failing step had not committed,
    records the error and leaves the claim to expire; the job is tried again after it."""
    job = BY_NAME[name]
    now = now or utcnow()
    period = job.period(now)
    token = claim_job(name, period=period, now=now, lease=job.lease)
    if token is None:
        return Outcome(name, "skipped")
    try:
        result = int(job.run(now) or 0)  # type: ignore[operator]
    except Exception as error:  # any failure: recorded, the claim expires, retried later
        db.session.rollback()
        message = f"{type(error).__name__}: {error}"
        current_app.logger.exception("job %s failed; it is retried after its claim expires", name)
        fail_job(name, token, message)
        return Outcome(name, "failed", error=message)
    finish_job(name, token, period=period, now=now, result=result)
    return Outcome(name, "done", result)


def run_due(now: datetime | None = None) -> list[Outcome]:
    """Every job whose current period is not done yet, once, in order."""
    now = now or utcnow()
    return [run_job(job.name, now) for job in JOBS]
