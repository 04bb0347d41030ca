"""Background and scheduled work on Celery, with Redis as the broker (DESIGN §6).

Two modes, the same job functions:

- **Embedded** (the default, no ``JOBS_BROKER_URL``): Celery's ``task_always_eager`` runs
  every task in the process that sends it. Mail is delivered right after its transaction
  commits (over smtp, in a request, once the answer has been sent); the scheduled
  jobs run from ``participate jobs run`` (cron, every minute) or, in ``participate demo``,
  from a scheduler thread.
- **Broker** (``JOBS_BROKER_URL=redis://...``): tasks go to Redis; ``participate jobs
  worker`` processes run them and ``participate jobs beat`` (Celery beat, the library's own
  periodic scheduler) sends each scheduled job at the start of its period.

Whatever the mode, work is claimed in the database (participate.jobs.claims) before it is
applied, so a retried task, a second worker or a second beat never applies it twice.
"""

from __future__ import annotations

import threading
from datetime import datetime

from celery import Celery, Task
from flask import Flask, after_this_request, has_request_context
from kombu import serialization
from kombu.utils.uuid import uuid

from participate.mail import mail_queued

DELIVER_MAIL = "participate.jobs.deliver_mail"
RUN_JOB = "participate.jobs.run_job"

_lock = threading.Lock()


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to this Flask app (made on first use)."""
    celery = app.extensions.get("celery")
    if celery is None:
        with _lock:
            celery = app.extensions.get("celery")
            if celery is None:
                celery = _make_celery(app)
                app.extensions["celery"] = celery
    return celery


def _make_celery(app: Flask) -> Celery:
    from participate.jobs.schedule import JOBS

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

        def apply_async(
            self,
            args=None,
            kwargs=None,
            task_id=None,
            producer=None,
            link=None,
            link_error=None,
            shadow=None,
            **options,
        ):
            if not self.app.conf.task_always_eager:
                return super().apply_async(
                    args, kwargs, task_id, producer, link, link_error, shadow, **options
                )
            return _run_here(
                self, args, kwargs, task_id=task_id, link=link, link_error=link_error, **options
            )

    broker = app.config.get("JOBS_BROKER_URL") or None
    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    celery.conf.update(
        broker_url=broker or "memory://localhost/",  # unused: tasks run eagerly
        task_always_eager=broker is None,
        task_eager_propagates=True,
        task_ignore_result=True,
        # One broker may carry several deployments (or test runs): each its own queue.
        task_default_queue=app.config.get("JOBS_QUEUE") or "celery",
        # A worker that dies mid-task leaves the message for another worker: the claims
        # make a second run harmless.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            job.name: {"task": RUN_JOB, "schedule": job.beat, "args": (job.name,)} for job in JOBS
        },
    )
    celery.task(name=DELIVER_MAIL)(deliver_mail)
    celery.task(name=RUN_JOB)(run_job)
    return celery


def _run_here(task: Task, args, kwargs, **options):
    """Embedded mode: run ``task`` in this thread, its arguments first through the serializer
    (as a broker would carry them, so what works here works with a broker).

    Not Celery's own eager branch of ``apply_async``: that one runs ``apply`` inside
    ``denied_join_result()``, which saves, sets and restores a flag global to the process
    (``celery._state._task_join_will_block``) without a lock. Two threads sending at once (a
    threaded server delivering two answers' mail, two workers of a job) can restore it in the
    wrong order and leave it set, and then every ``result.get()`` in the process is refused
    ("Never call result.get() within a task!"). ``apply`` itself keeps its state per thread."""
    serializer = options.get("serializer") or task.app.conf.task_serializer
    content_type, encoding, data = serialization.dumps((args or (), kwargs or {}), serializer)
    args, kwargs = serialization.loads(data, content_type, encoding, accept=[content_type])
    options.setdefault("ignore_result", task.ignore_result)
    options["task_id"] = options.get("task_id") or uuid()
    return task.apply(args, kwargs, **options)


# ---------------------------------------------------------------- the tasks (one body for every app)


def deliver_mail(ids: list[int]) -> int:
    """Deliver the queued messages ``ids`` (claimed first; see participate.jobs.delivery)."""
    from participate.jobs.delivery import deliver

    return deliver(ids).sent


def run_job(name: str, now: str | None = None) -> int:
    """Run one scheduled job under its claim; a failure is raised for Celery to record."""
    from participate.jobs.runner import run_job as run

    outcome = run(name, datetime.fromisoformat(now) if now else None)
    if outcome.status == "failed":
        raise RuntimeError(f"job {name} failed: {outcome.error}")
    return outcome.result


# ---------------------------------------------------------------- mail after commit


def _on_mail_queued(app: Flask, *, ids: list[int], after_response: bool) -> None:
    celery = celery_for(app)
    task = celery.tasks[DELIVER_MAIL]

    def dispatch() -> None:
        try:
            task.delay(ids)
        except Exception:  # the rows are stored: the mail_delivery job sends them later
            app.logger.exception("mail %s queued; delivery left to the mail_delivery job", ids)

    eager = bool(celery.conf.task_always_eager)
    if eager and has_request_context() and app.config.get("MAIL_BACKEND") == "smtp":
        # In-process delivery over SMTP waits until the answer is sent (the response's close,
        # which the WSGI server calls): the mail server's time is not the visitor's, and for
        # account mail it tells nothing about whether an address has an account.
        @after_this_request
        def _later(response):
            response.call_on_close(dispatch)
            return response

        return
    dispatch()


mail_queued.connect(_on_mail_queued)
