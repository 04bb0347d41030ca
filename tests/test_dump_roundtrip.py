"""participate export / import across databases: SQLite to PostgreSQL and back, file for file.

The demo data set is exported from a copy of the run's demo database (``demo_copy``), imported
into an empty database of the other kind, exported again (the files must be identical), then
imported back into the emptied copy and exported a third time (identical again). At each stop
the restored platform must work as before: proposal search finds what it found (the full-text
index is rebuilt), the sealed ballots open and tally with the same SECRET_KEY, and the audit
chain verifies.

The trip goes both ways (SQLite to PostgreSQL and back), so one run carries it: the SQLite run,
whose other side is a temporary PostgreSQL database on TEST_DATABASE_URL's server (or the
Makefile's default one). Without a reachable server it is skipped, except in CI, where it fails.
The PostgreSQL run leaves it to the SQLite run.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import _clean
from tests.conftest import test_config as config_for

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Words whose results must survive a restore. SQLite (FTS5, porter) and PostgreSQL (tsvector,
# english) stem and match prefixes differently, so across kinds only "dental" is compared.
SEARCHES = ("dental", "school", "bus", "housing")

pytestmark = pytest.mark.skipif(
    os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the SQLite run carries the round trip both ways (SQLite to PostgreSQL and back)",
)


@contextmanager
def other_database(db):
    """The URL of an empty PostgreSQL database (the test database is SQLite), removed after."""
    assert db.engine.dialect.name == "sqlite"
    from participate.config import normalise_database_url

    url = sa.make_url(
        normalise_database_url(os.environ.get("TEST_DATABASE_URL") or MAKEFILE_POSTGRES)
    )
    admin = sa.create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        conn = admin.connect()
    except sa.exc.OperationalError:
        admin.dispose()
        message = f"no PostgreSQL server reachable at {url.host}:{url.port}"
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the round trip to PostgreSQL: {message}")
        pytest.skip(message)
    # A name of its own: other runs share the server (and its database "test").
    name = f"participate_dump_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        # An ICU collation where the server has one, so rows whose keys are text
        # (themes, session ids) sort differently from SQLite's byte order.
        conn.execute(
            sa.text(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'"
            )
        )
    except sa.exc.DBAPIError:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.close()
        admin.dispose()


def files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.glob("*.json"))}


def run(app, *args: str) -> str:
    """A participate command on ``app`` (its app context pushed, so the command uses it)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def platform(app, words=SEARCHES) -> dict:
    """What people see of the data: search results, every motion's opened ballots and tally."""
    from participate.extensions import db
    from participate.proposals.search import search_proposals
    from participate.votes.models import Ballot, Motion
    from participate.votes.results import opened_ballots, tally_motion

    with app.app_context():
        found = {
            word: sorted(hit.proposal.id for hit in search_proposals(word, per_page=500).hits)
            for word in words
        }
        voted = db.session.scalars(
            sa.select(Motion).where(Motion.id.in_(sa.select(Ballot.motion_id))).order_by(Motion.id)
        ).all()
        ballots = {
            m.id: sorted((b.receipt, b.choice, str(b.ranking)) for b in opened_ballots(m))
            for m in voted
        }
        tallies = {m.id: tally_motion(m) for m in voted}
        db.session.remove()
    return {"search": found, "ballots": ballots, "tallies": tallies}


def test_export_import_round_trips_between_sqlite_and_postgresql(demo_copy, tmp_path):
    from flask_migrate import upgrade

    from participate import create_app
    from participate.proposals.models import Proposal, ProposalTheme

    app, db = demo_copy.app, demo_copy.db
    # Text keys that a language-aware collation (PostgreSQL's ICU or glibc) orders otherwise
    # than SQLite's bytes: the files must not depend on it.
    proposal = db.session.scalars(sa.select(Proposal).order_by(Proposal.id)).first()
    for theme in ("Zebra", "apple", "a-z", "ab"):
        db.session.add(
            ProposalTheme(proposal_id=proposal.id, council_id=proposal.council_id, theme=theme)
        )
    db.session.commit()
    db.session.remove()
    before = platform(app)
    assert len(before["search"]["dental"]) >= 10 and before["ballots"]
    run(app, "export", str(tmp_path / "first"))

    with other_database(db) as url:
        other = create_app(config_for(url, tmp_path))
        with other.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
        run(other, "import", str(tmp_path / "first"))
        run(other, "export", str(tmp_path / "second"))
        assert files(tmp_path / "second") == files(tmp_path / "first")
        assert platform(other, ["dental"]) == {
            **before,
            "search": {"dental": before["search"]["dental"]},
        }
        run(other, "audit", "verify")
        with other.app_context():
            other.extensions["sqlalchemy"].engine.dispose()

    _clean(db)
    assert platform(app)["search"]["dental"] == []
    run(app, "import", str(tmp_path / "second"))
    run(app, "export", str(tmp_path / "third"))
    assert files(tmp_path / "third") == files(tmp_path / "first")
    assert platform(app) == before
    run(app, "audit", "verify")
