"""WSGI entry point for gunicorn: ``gunicorn participate.wsgi:app``."""

from participate import create_app

app = create_app()
