"""Entry point for Celery's own command: ``celery -A participate.worker worker``
(or ``beat``), with the app configured from the environment like ``participate``."""

from __future__ import annotations

from participate import create_app
from participate.jobs import celery_for

flask_app = create_app()
celery = celery_for(flask_app)
