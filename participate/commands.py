"""The ``participate`` commands, added to the app's CLI by ``create_app`` (so also
``flask --app participate ...``); the ``participate`` program itself is `participate.cli`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
import yaml
from flask import current_app
from flask.cli import with_appcontext

from participate.extensions import db


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("init")
@with_appcontext
def init_command():
    """Create or migrate the database (DATABASE_URL; default an SQLite file under instance/)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
    _complete_structure()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


def _complete_structure() -> None:
    """What a database made by an earlier release lacks: a place forum for every local
    place (DESIGN §2; new places get theirs when they are made)."""
    from participate.councils.structure import StructureError, complete_place_forums

    try:
        made = complete_place_forums()
    except StructureError as error:
        _fail("; ".join(error.problems))
    if made:
        click.echo(f"place forums created for local places that had none: {', '.join(made)}")


def database_is_empty() -> bool:
    from participate.councils.models import Service

    return db.session.scalar(sa.select(sa.func.count()).select_from(Service)) == 0


@click.command("seed")
@click.option(
    "--scale",
    default=1,
    type=click.IntRange(1, 1000),
    show_default=True,
    help="1: a real-looking small deployment; larger scales for benchmarks.",
)
@click.option(
    "--password",
    default="participate-demo",
    show_default=True,
    help="Password of every demo account.",
)
@with_appcontext
def seed_command(scale: int, password: str):
    """Fill an empty database with the demo data set (and write the open-data zip)."""
    from participate.opendata.bulk import build_bulk_zip
    from participate.seed import seed

    if not database_is_empty():
        _fail(
            "the database already has data; seed only fills an empty one (remove instance/ or use another DATABASE_URL)"
        )
    summary = seed(scale=scale, password=password)
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    click.echo(f"open data zip: {build_bulk_zip()}")


DEMO_SIGNINS = [
    ("citizen", "citizen@example.org"),
    ("employee", "employee@example.org"),
    ("leader", "leader@example.org"),
    ("elected member", "elected@example.org"),
    ("clerk", "clerk@example.org"),
    ("minister", "minister@example.org"),
    ("admin", "admin@example.org"),
]


def _serve(host: str, port: int, workers: int, threads: int = 2) -> None:
    from participate.server import granian_command

    args = granian_command(host=host, port=port, workers=workers, threads=threads, access_log=True)
    os.execvp(args[0], args)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--workers", default=2, type=click.IntRange(1, 64), show_default=True)
@click.option(
    "--threads",
    default=2,
    type=click.IntRange(1, 64),
    show_default=True,
    help="WSGI threads per worker process.",
)
def serve_command(host: str, port: int, workers: int, threads: int):
    """Serve the site with granian (WSGI)."""
    _serve(host, port, workers, threads)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--password", default="participate-demo", show_default=True)
@with_appcontext
def demo_command(host: str, port: int, password: str):
    """init + seed when empty + serve, printing the address and the demo sign-ins."""
    from flask_migrate import upgrade

    from participate.opendata.bulk import build_bulk_zip, bulk_info
    from participate.seed import seed

    if not os.environ.get("PARTICIPATE_BASE_URL"):
        # the links in the demo's mail open this server (its jobs, started below, inherit it)
        base = os.environ["PARTICIPATE_BASE_URL"] = f"http://{host}:{port}"
        current_app.config["BASE_URL"] = base
    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
    _complete_structure()
    if database_is_empty():
        click.echo("seeding the demo data set (first run only)...")
        seed(scale=1, password=password)
    if bulk_info() is None:
        click.echo(f"open data zip: {build_bulk_zip()}")
    click.echo("")
    click.echo(f"participate is running at http://{host}:{port}/")
    click.echo(f"demo sign-ins (password: {password}):")
    for role, email in DEMO_SIGNINS:
        click.echo(f"  {role:<15} {email}")
    click.echo(f"mail (confirmation links) is written to {current_app.config['MAIL_OUTBOX']}")
    click.echo("scheduled jobs (phase ends, deadlines, counts, mail) run every minute")
    click.echo("")
    db.session.remove()
    db.engine.dispose()
    from participate.jobs.scheduler import start_child

    start_child()  # stops when the server does
    _serve(host, port, 2)


def _load_structured(path: str):
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".json") or text.lstrip().startswith("{"):
        return json.loads(text)
    return yaml.safe_load(text)


@click.command("import-structure")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_structure_command(file: str):
    """Import services, places, councils and links from a YAML or JSON file, all or nothing.

    A new local place comes with its place forum (forum-<place>) unless the file lists one; a
    changed place population is applied and recorded in the audit log; other changed facts of
    existing entries are refused by name.
    """
    from participate.councils.structure import StructureError, import_structure

    try:
        data = _load_structured(file)
    except (ValueError, yaml.YAMLError) as exc:
        _fail(f"{file} is not valid YAML or JSON: {exc}")
    try:
        counts = import_structure(data)
    except StructureError as exc:
        click.echo(f"error: {file} was refused whole; nothing was changed:", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(2)
    changed = counts.pop("changed")
    click.echo("imported: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    for line in changed:
        click.echo(f"updated {line} (recorded in the audit log)")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's display name.")
@click.option("--admin", is_flag=True, help="Make the account a platform admin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, name: str, admin: bool, password_stdin: bool):
    """Create a confirmed account (prompts for the password unless --password-stdin)."""
    from participate.accounts.services import create_user
    from participate.errors import DomainError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, name, password, admin=admin, confirmed=True)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"created {'admin ' if admin else ''}account {user.email} (id {user.id})")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
@with_appcontext
def create_token_command(email: str, name: str):
    """Print a new personal API token for an account."""
    from participate.accounts.services import create_token, user_by_email

    user = user_by_email(email)
    if user is None:
        _fail(f"no account uses {email}; create it with 'participate create-user'")
    click.echo(create_token(user, name))


def _acting_admin(by: str | None):
    """The admin account the CLI acts as (recorded in the audit chain): ``--by``, or the only
    admin account when there is exactly one."""
    import sqlalchemy as sa

    from participate.accounts.models import User
    from participate.accounts.services import user_by_email
    from participate.extensions import db

    if by:
        admin = user_by_email(by)
        if admin is None or not admin.is_admin:
            _fail(f"{by} is not an admin account; name an admin with --by")
        return admin
    admins = db.session.scalars(sa.select(User).where(User.is_admin.is_(True)).limit(2)).all()
    if len(admins) != 1:
        _fail("name the admin who acts (recorded in the audit chain) with --by ADMIN_EMAIL")
    return admins[0]


def _person_and_council(email: str, council_slug: str):
    from participate.accounts.services import user_by_email
    from participate.councils.services import council_by_slug
    from participate.errors import DomainError

    user = user_by_email(email)
    if user is None:
        _fail(f"no account uses {email}; create it with 'participate create-user'")
    try:
        return user, council_by_slug(council_slug)
    except DomainError:
        _fail(f"there is no council '{council_slug}'; the slugs are listed on /councils")


@click.command("appoint")
@click.argument("email")
@click.argument("council")
@click.option("--role", type=click.Choice(["clerk", "minister"]), required=True)
@click.option(
    "--constituency",
    default="leader",
    show_default=True,
    help="The constituency the person sits in.",
)
@click.option("--by", "by", default=None, help="The admin who appoints (default: the only one).")
@with_appcontext
def appoint_command(email: str, council: str, role: str, constituency: str, by: str | None):
    """Appoint a clerk (any council) or a minister (a national service council)."""
    from participate.councils.memberships import appoint
    from participate.errors import DomainError

    admin = _acting_admin(by)
    user, found = _person_and_council(email, council)
    try:
        appoint(admin, user, found, role, constituency)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"{user.email} appointed {role} of {found.slug}")


@click.command("unappoint")
@click.argument("email")
@click.argument("council")
@click.option("--by", "by", default=None, help="The admin who acts (default: the only one).")
@with_appcontext
def unappoint_command(email: str, council: str, by: str | None):
    """End a clerk's or minister's appointment (the person stays a member)."""
    from participate.councils.memberships import end_appointment
    from participate.errors import DomainError

    admin = _acting_admin(by)
    user, found = _person_and_council(email, council)
    try:
        end_appointment(admin, user, found)
    except DomainError as exc:
        _fail(exc.message)
    click.echo(f"{user.email} is no longer a clerk or minister of {found.slug}")


@click.group("audit")
def audit_group():
    """The append-only audit chain."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command():
    """Check the hash chain; non-zero exit naming the first broken link."""
    from participate.audit.services import verify_chain

    result = verify_chain()
    if not result.ok:
        _fail(f"audit chain broken after {result.checked} good events: {result.message}")
    click.echo(result.message)


@click.command("tally")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def tally_command(file: str):
    """Re-tally a published ballot file; prints the result JSON."""
    from participate.core.ballot_file import BallotFileError, tally_ballot_file

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        data = json.loads(text)
    except (ValueError, OSError) as exc:
        _fail(f"{file} is not a JSON ballot file: {exc}")
    try:
        result = tally_ballot_file(data)
    except BallotFileError as exc:
        _fail(str(exc))
    click.echo(json.dumps(result, indent=2, sort_keys=True))


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def export_command(directory: str):
    """Write the whole database as one JSON file per table."""
    from participate.dump import DumpError, export_database

    try:
        counts = export_database(Path(directory))
    except DumpError as exc:
        _fail(str(exc))
    click.echo(f"exported {sum(counts.values())} rows from {len(counts)} tables to {directory}")


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--force", is_flag=True, help="Replace everything in a database that already has data."
)
@with_appcontext
def import_command(directory: str, force: bool):
    """Load an export into an empty, initialised database (round-trip exact, SQLite and
    PostgreSQL alike); all or nothing."""
    from participate.dump import DumpError, import_database

    try:
        counts = import_database(Path(directory), replace=force)
    except DumpError as exc:
        _fail(str(exc))
    click.echo(f"imported {sum(counts.values())} rows into {len(counts)} tables")


COMMANDS = [
    init_command,
    seed_command,
    demo_command,
    serve_command,
    import_structure_command,
    create_user_command,
    create_token_command,
    appoint_command,
    unappoint_command,
    audit_group,
    tally_command,
    export_command,
    import_command,
]


def register_cli(app) -> None:
    from participate.features import parts

    for command in COMMANDS + [c for m in parts("cli") for c in m.COMMANDS]:
        app.cli.add_command(command)
