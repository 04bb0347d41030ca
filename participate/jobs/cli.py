"""``participate jobs``: run the scheduled jobs (cron), or start Celery's worker and beat."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date-time; write e.g. 2026-09-30T17:00:00Z",
            param_hint="--now",
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _broker_or_fail(what: str):
    from participate.jobs import celery_for

    if not current_app.config.get("JOBS_BROKER_URL"):
        click.echo(
            f"error: {what} needs a broker: set PARTICIPATE_JOBS_BROKER_URL (e.g. "
            "redis://127.0.0.1:6379/1). Without one, the jobs run in-process: put "
            "'participate jobs run' in cron, every minute.",
            err=True,
        )
        sys.exit(2)
    return celery_for(current_app._get_current_object())


@click.group("jobs")
def jobs_group():
    """Background and scheduled jobs (Celery; embedded without a broker)."""


@jobs_group.command("run")
@click.option("--now", "now", default=None, help="Run as at this ISO date-time (UTC).")
@click.option("--job", "names", multiple=True, help="Only this job (repeatable).")
@with_appcontext
def run_command(now: str | None, names: tuple[str, ...]):
    """Run every job that is due once, in this process (for cron, every minute).

    A job whose period is already done, or that another worker holds, is skipped; exit
    status 1 if a job failed (it is tried again once its claim expires)."""
    from participate.jobs.runner import run_due, run_job
    from participate.jobs.schedule import BY_NAME

    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise click.BadParameter(
            f"no job {', '.join(unknown)}; the jobs are {', '.join(BY_NAME)}", param_hint="--job"
        )
    moment = _parse_now(now)
    outcomes = [run_job(name, moment) for name in names] if names else run_due(moment)
    for outcome in outcomes:
        detail = f" ({outcome.result} changed)" if outcome.status == "done" else ""
        if outcome.status == "failed":
            detail = f": {outcome.error}"
        click.echo(f"{outcome.name}: {outcome.status}{detail}")
    if any(outcome.status == "failed" for outcome in outcomes):
        sys.exit(1)


@jobs_group.command("list")
@with_appcontext
def list_command():
    """The scheduled jobs, how often they run and their last run."""
    from participate.extensions import db
    from participate.jobs.models import JobRun
    from participate.jobs.schedule import JOBS

    for job in JOBS:
        row = db.session.get(JobRun, job.name)
        every = "daily" if job.every.days else f"every {int(job.every.total_seconds() // 60)} min"
        last = (
            f"last done {row.finished_at:%Y-%m-%d %H:%M:%S} UTC ({row.last_result} changed)"
            if row and row.finished_at
            else "not run yet"
        )
        failing = f"; failing: {row.last_error}" if row and row.last_error else ""
        click.echo(f"{job.name:<22} {every:<14} {last}{failing}\n  {job.description}")


@jobs_group.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the due jobs every minute in this process, without a broker (a single machine
    without cron; `participate demo` starts one itself)."""
    from participate.jobs.scheduler import loop

    click.echo("running the scheduled jobs every minute; stop with Ctrl-C")
    loop(current_app._get_current_object(), echo=click.echo)


@jobs_group.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", default=2, type=click.IntRange(1, 64), show_default=True)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker_command(concurrency: int, celery_args: tuple[str, ...]):
    """Start a Celery worker (needs PARTICIPATE_JOBS_BROKER_URL); extra arguments go to
    `celery worker`."""
    from participate.extensions import db

    celery = _broker_or_fail("a worker")
    db.session.remove()
    db.engine.dispose()  # no connection is shared with the forked pool processes
    celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", *celery_args])


@jobs_group.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def beat_command(celery_args: tuple[str, ...]):
    """Start Celery beat, which sends each scheduled job to the workers on time (run one;
    a second one does no harm, the claims see to that)."""
    celery = _broker_or_fail("beat")
    schedule = Path(current_app.config["INSTANCE_PATH"]) / "celerybeat-schedule"
    celery.start(["beat", "--loglevel=INFO", f"--schedule={schedule}", *celery_args])


COMMANDS = [jobs_group]
