"""The ``participate`` program (``[project.scripts]``): Flask's command group on an app from
``create_app``, whose CLI carries the commands (`participate.commands` and each feature's
``cli.py``)."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():
    from participate import create_app

    return create_app()


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def cli():
    """participate: deliberative participation for public-service councils."""


def main() -> None:
    cli(prog_name="participate")
