"""``participate data build``: write the site-wide open-data zip now (the job engine does it
nightly)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from participate.opendata.bulk import build_bulk_zip, bulk_info


@click.group("data")
def data_group():
    """Open data: the files on /data and the bulk zip."""


@data_group.command("build")
@with_appcontext
def build_command():
    """Write the bulk zip of every open-data file under the instance folder."""
    build_bulk_zip()
    info = bulk_info()
    if info is None:  # another build removed it at this very moment
        raise click.ClickException("the zip was replaced while it was written; run it again")
    click.echo(f"open data zip: {info.path}")
    click.echo(f"generated at: {info.generated_at.isoformat()}Z")
    click.echo(f"size: {info.size} bytes")
    click.echo(f"sha256: {info.sha256}")


COMMANDS = [data_group]
