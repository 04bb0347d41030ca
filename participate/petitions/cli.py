"""``participate petitions reconcile``: recount from the signatures table, repair drift."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("petitions")
def petitions_group():
    """Governance-change petitions."""


@petitions_group.command("reconcile")
@click.option(
    "--petition",
    "petition_ids",
    type=int,
    multiple=True,
    help="Only this petition (repeatable). Default: every published petition.",
)
@with_appcontext
def reconcile_command(petition_ids: tuple[int, ...]):
    """Recount every petition from its signatures and repair the counters, printing changes.

    Drift is a stored count or tally that differs from the signatures it claims to cover;
    catching up counts signatures that arrived after the last batch (not drift).
    """
    from participate.extensions import db
    from participate.petitions.models import Petition
    from participate.petitions.recount import reconcile

    if petition_ids:
        missing = sorted(
            set(petition_ids) - {p for p in petition_ids if db.session.get(Petition, p)}
        )
        if missing:
            raise click.ClickException(f"no petition with id {', '.join(map(str, missing))}")
    results = reconcile(list(petition_ids) or None)
    drifted = 0
    for r in results:
        if not r.changed:
            continue
        parts = []
        if r.drift:
            drifted += 1
            parts.append(f"count {r.before:,} -> {r.after:,} (drift {r.drift:+,} repaired)")
        elif r.caught_up:
            parts.append(
                f"count {r.before:,} -> {r.after:,} ({r.caught_up:,} newer signatures counted)"
            )
        for dimension, key, have, want in r.tally_changes:
            parts.append(f"{dimension} {key}: {have:,} -> {want:,}")
        if r.milestones_recorded:
            parts.append(
                "milestones recorded: " + ", ".join(f"{m:,}" for m in r.milestones_recorded)
            )
        if r.threshold_reached:
            parts.append("threshold reached")
        click.echo(f"petition {r.petition_id} ({r.title}): " + "; ".join(parts))
    repaired = sum(1 for r in results if r.drift or r.tally_changes)
    click.echo(
        f"checked {len(results)} petition{'s' if len(results) != 1 else ''}: "
        + (f"{repaired} repaired" if repaired else "no drift")
    )


COMMANDS = [petitions_group]
