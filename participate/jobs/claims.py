"""Claims in the database: what a worker holds, it alone applies, until the claim expires.

Both kinds of claim are one guarded UPDATE, which works alike on SQLite (one writer at a
time) and PostgreSQL (the second UPDATE waits for the first's row lock, then re-reads the
row and finds the claim taken): whoever's UPDATE matched the row holds it.

- Rows (``outgoing_mail``): ``claim_rows`` stamps a batch of free rows with a fresh token
  and a lease, commits, and returns the rows carrying that token.
- Scheduled jobs (``job_runs``): ``claim_job`` takes the job's row for one period (a
  minute, a day); ``finish_job`` records the period done; ``fail_job`` records the error and
  leaves the claim to expire, after which the job is tried again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.extensions import db
from participate.jobs.models import JobRun


def new_token() -> str:
    return secrets.token_hex(16)


def claim_rows(model, *, now: datetime, lease: timedelta, where=(), ids=None, limit: int = 100):
    """Claim up to ``limit`` free rows of ``model`` (those given by ``ids``, or any) matching
    ``where``; returns (token, rows). The claim is committed before the rows are returned."""
    free = sa.or_(model.claimed_until.is_(None), model.claimed_until <= now)
    candidates = sa.select(model.id).where(free, *where).order_by(model.id).limit(limit)
    if ids is not None:
        if not ids:
            return None, []
        candidates = candidates.where(model.id.in_(list(ids)))
    token = new_token()
    claimed = db.session.execute(
        sa.update(model)
        .where(model.id.in_(candidates.scalar_subquery()), free, *where)
        .values(claim_token=token, claimed_until=now + lease, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return token, []
    rows = db.session.scalars(
        sa.select(model).where(model.claim_token == token).order_by(model.id)
    ).all()
    return token, list(rows)


def _ensure_job_row(name: str) -> None:
    if db.session.get(JobRun, name) is not None:
        return
    try:
        db.session.add(JobRun(name=name))
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # another worker made it first


def claim_job(name: str, *, period: datetime, now: datetime, lease: timedelta) -> str | None:
    """Claim the job ``name`` for the period starting at ``period``; the token, or None when
    the period is done already or another worker holds an unexpired claim. A period other
    than the one last done is due (so a clock set back, or a run with --now, does not stop
    the job until the recorded period comes round again)."""
    _ensure_job_row(name)
    token = new_token()
    claimed = db.session.execute(
        sa.update(JobRun)
        .where(
            JobRun.name == name,
            sa.or_(JobRun.claimed_until.is_(None), JobRun.claimed_until <= now),
            sa.or_(JobRun.done_period.is_(None), JobRun.done_period != period),
        )
        .values(claim_token=token, claimed_until=now + lease, started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return token if claimed == 1 else None


def finish_job(name: str, token: str, *, period: datetime, now: datetime, result: int) -> bool:
    """Record the period done and release the claim; False if the claim was lost meanwhile
    (it expired and another worker took the job)."""
    done = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.name == name, JobRun.claim_token == token)
        .values(
            done_period=period,
            claim_token=None,
            claimed_until=None,
            finished_at=now,
            runs=JobRun.runs + 1,
            last_result=result,
            last_error="",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return done == 1


def fail_job(name: str, token: str, error: str) -> None:
    """Record a failure; the claim stays until it expires, then the job is tried again."""
    db.session.rollback()
    db.session.execute(
        sa.update(JobRun)
        .where(JobRun.name == name, JobRun.claim_token == token)
        .values(failures=JobRun.failures + 1, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
