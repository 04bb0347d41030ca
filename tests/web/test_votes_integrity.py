"""Votes integrity: the database guards (triggers and constraints), ballot secrecy, and the
round trip page result == `participate tally` on the published ballot file."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from participate.votes import results
from participate.votes.ballots import cast_ballot, my_vote_status
from participate.votes.closing import close_voting
from tests.conftest import api_token
from tests.factories.votes import counts, make_hm, open_motion


@pytest.fixture
def hm(make):
    return make_hm(make)


# ---------------------------------------------------------------- database guards


def _raw_ballot(motion_id, ref="f" * 64, receipt_digest="d" * 64, **kw):
    return {
        "motion_id": motion_id,
        "ref": ref,
        "receipt_digest": receipt_digest,
        "receipt_sealed": b"sealed receipt",
        "constituency": kw.get("constituency", "citizen"),
        "sealed": b"sealed choice",
    }


INSERT = sa.text(
    "INSERT INTO ballots (motion_id, ref, receipt_digest, receipt_sealed, constituency, sealed) "
    "VALUES (:motion_id, :ref, :receipt_digest, :receipt_sealed, :constituency, :sealed)"
)


def test_database_refuses_ballot_writes_after_close(db, hm):
    motion = open_motion(hm)
    cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    close_voting(hm["clerk"], motion)
    with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
        db.session.execute(INSERT, _raw_ballot(motion.id))
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
        db.session.execute(
            sa.text("UPDATE ballots SET sealed = sealed WHERE motion_id = :m"), {"m": motion.id}
        )
    db.session.rollback()
    assert counts(db, motion.id) == (1, 1)
    from participate.votes.results import opened_ballots

    assert [b.choice for b in opened_ballots(motion)] == ["yes"]


def test_database_refuses_ballots_on_a_draft_and_after_the_closing_time(db, hm):
    from participate.votes import services
    from participate.votes.models import Motion

    draft = services.create_motion(hm["clerk"], hm["council"], title="Draft", method="binary")
    with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
        db.session.execute(INSERT, _raw_ballot(draft.id))
    db.session.rollback()
    motion = open_motion(hm)
    # Past its closing time but not yet closed (nobody has read it since): still refused.
    db.session.execute(
        sa.update(Motion)
        .where(Motion.id == motion.id)
        .values(closes_at=_just_after(motion.opens_at))
    )
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
        db.session.execute(INSERT, _raw_ballot(motion.id))
    db.session.rollback()


def _just_after(moment):
    from datetime import timedelta

    return moment + timedelta(microseconds=1)


def test_database_keeps_receipt_and_constituency_of_a_ballot(db, hm):
    motion = open_motion(hm)
    cast_ballot(hm["members"]["citizen"][0], motion, choice="yes")
    for column, value in (
        ("receipt_digest", "a" * 64),
        ("receipt_sealed", b"another receipt"),
        ("constituency", "leader"),
    ):
        with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
            db.session.execute(
                sa.text(f"UPDATE ballots SET {column} = :v WHERE motion_id = :m"),
                {"v": value, "m": motion.id},
            )
        db.session.rollback()


def test_database_freezes_rules_question_and_eligibility_once_open(db, hm):
    motion = open_motion(hm)
    for statement in (
        "UPDATE motions SET rules = '{\"quorum\": 0}' WHERE id = :m",
        "UPDATE motions SET title = 'Something else' WHERE id = :m",
        "UPDATE motions SET method = 'consent' WHERE id = :m",
        "UPDATE motions SET status = 'draft' WHERE id = :m",
    ):
        with pytest.raises(sa.exc.IntegrityError, match="motion_frozen"):
            db.session.execute(sa.text(statement), {"m": motion.id})
        db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError, match="eligibility_frozen"):
        db.session.execute(
            sa.text(
                "INSERT INTO motion_eligibility (motion_id, user_id, constituency) "
                "VALUES (:m, :u, 'citizen')"
            ),
            {"m": motion.id, "u": _new_user(db).id},
        )
    db.session.rollback()
    close_voting(hm["clerk"], motion)
    for statement in (
        "UPDATE motions SET status = 'open' WHERE id = :m",
        "UPDATE motions SET result = '{\"passed\": true}' WHERE id = :m",
    ):
        with pytest.raises(sa.exc.IntegrityError, match="motion_frozen"):
            db.session.execute(sa.text(statement), {"m": motion.id})
        db.session.rollback()


def _new_user(db):
    from participate.accounts.models import User

    user = User(email="late@example.org", name="Late", password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def test_ballot_check_constraints(db, hm):
    motion = open_motion(hm)
    with pytest.raises(sa.exc.IntegrityError, match="constituency"):
        db.session.execute(INSERT, _raw_ballot(motion.id, constituency="robots"))
    db.session.rollback()


def test_one_ballot_per_ref_and_unique_receipts(db, hm):
    motion = open_motion(hm)
    db.session.execute(INSERT, _raw_ballot(motion.id))
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(INSERT, _raw_ballot(motion.id, receipt_digest="e" * 64))
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(INSERT, _raw_ballot(motion.id, ref="e" * 64))
    db.session.rollback()


# ---------------------------------------------------------------- secrecy


def test_ballot_table_has_no_user_column_and_participation_no_choice_or_time(db):
    inspector = sa.inspect(db.engine)
    ballot_columns = {c["name"] for c in inspector.get_columns("ballots")}
    # No choice, receipt or time in the clear: they are sealed (participate.votes.seal).
    assert ballot_columns == {
        "motion_id",
        "ref",
        "receipt_digest",
        "receipt_sealed",
        "constituency",
        "sealed",
    }
    assert all(fk["referred_table"] == "motions" for fk in inspector.get_foreign_keys("ballots"))
    participation = {c["name"] for c in inspector.get_columns("motion_participation")}
    assert participation == {"motion_id", "user_id"}


def test_ref_is_an_hmac_of_motion_and_user_and_receipts_are_random(app, db, hm):
    from participate.votes.models import Ballot

    voter = hm["members"]["citizen"][0]
    first, second = open_motion(hm), open_motion(hm)
    r1 = cast_ballot(voter, first, choice="yes").receipt
    r2 = cast_ballot(voter, second, choice="yes").receipt
    assert r1 != r2
    key = app.config["SECRET_KEY"].encode()
    expected = hmac.new(key, f"{first.id}:{voter.id}".encode(), hashlib.sha256).hexdigest()
    ref = db.session.scalar(sa.select(Ballot.ref).where(Ballot.motion_id == first.id))
    assert ref == expected
    assert ref != hashlib.sha256(f"{first.id}:{voter.id}".encode()).hexdigest()
    # Receipts are drawn at random: 16 characters of an unambiguous alphabet.
    import re

    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}", r1)


def test_no_page_api_or_export_links_a_choice_to_a_person(client, db, login_as, hm, tmp_path):
    from participate.dump import export_database

    voter = hm["members"]["employee"][1]
    secret_reason = "Quokka-zebra reason nobody else would write"
    motion = open_motion(hm, method="consent")
    cast = cast_ballot(voter, motion, objection=secret_reason)
    cast_ballot(hm["members"]["citizen"][0], motion, choice="consent")

    def pages(*urls):
        return {url: client.get(url).get_data(as_text=True) for url in urls}

    public = [
        f"/motions/{motion.id}",
        "/councils/health-manchester/votes",
        f"/api/v1/motions/{motion.id}",
        "/api/v1/councils/health-manchester/motions",
        "/audit",
        "/councils/health-manchester/audit",
        "/councils/health-manchester/members",
        f"/people/{voter.id}",
    ]
    # While open: nobody sees the choice or the reason, not even the voter or the clerk;
    # the receipt is shown to its voter only.
    for who in (None, hm["clerk"], voter):
        if who is not None:
            login_as(who)
        for url, body in pages(*public, "/notifications").items():
            assert secret_reason not in body, (who, url)
            if who is not voter:
                assert cast.receipt not in body, (who, url)
    client.post("/logout")

    close_voting(hm["clerk"], motion)
    # After close the reason is published, but never next to the voter's name or e-mail.
    for url, body in pages(*public, f"/api/v1/motions/{motion.id}/ballots.json").items():
        if secret_reason in body:
            assert voter.name not in body and voter.email not in body, url
    ballot_file = client.get(f"/api/v1/motions/{motion.id}/ballots.json").get_json()
    text = json.dumps(ballot_file)
    for person in hm["members"]["employee"] + hm["members"]["citizen"] + [hm["clerk"]]:
        assert person.name not in text and person.email not in text
    assert all(
        set(b) <= {"constituency", "receipt", "choice", "ranking", "reason"}
        for b in ballot_file["ballots"]
    )
    assert "ref" not in text and "user" not in text
    # The whole-database export keeps ballots free of people too.
    export_database(tmp_path)
    exported = json.loads((tmp_path / "ballots.json").read_text())["rows"]
    assert exported and all("user_id" not in row for row in exported)


def test_voter_sees_that_they_voted_but_not_their_choice(client, db, login_as, hm):
    motion = open_motion(hm, method="schulze", options=["Rooftop garden", "Night bus"])
    voter = hm["members"]["citizen"][0]
    cast_ballot(voter, motion, ranking=["Night bus", "Rooftop garden"])
    login_as(voter)
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "You have voted." in html
    # The options appear in the form, but nothing is pre-selected from the ballot.
    assert "selected" not in html


# ---------------------------------------------------------------- round trip with the CLI


def _cast_many(setup, motion, ballots):
    people = {c: list(users) for c, users in setup["members"].items()}
    people["employee"].append(setup["clerk"])
    for constituency, kwargs in ballots:
        cast_ballot(people[constituency].pop(0), motion, **kwargs)


ROUND_TRIPS = {
    "binary": [
        ("citizen", {"choice": "yes"}),
        ("citizen", {"choice": "yes"}),
        ("citizen", {"choice": "no"}),
        ("citizen", {"choice": "abstain"}),
        ("employee", {"choice": "no"}),
        ("employee", {"choice": "no"}),
        ("employee", {"choice": "yes"}),
        ("leader", {"choice": "yes"}),
    ],
    "schulze": [
        ("citizen", {"ranking": ["Alpha", "Beta", "Gamma"]}),
        ("citizen", {"ranking": ["Beta", "Gamma"]}),
        ("citizen", {"ranking": ["Gamma"]}),
        ("employee", {"ranking": ["Gamma", "Beta", "Alpha"]}),
        ("employee", {"ranking": ["Beta"]}),
        ("leader", {"ranking": ["Alpha", "Gamma", "Beta"]}),
        ("leader", {"ranking": ["Alpha"]}),
    ],
    "consent": [
        ("citizen", {"choice": "consent"}),
        ("citizen", {"choice": "consent"}),
        ("employee", {"objection": "Not costed."}),
        ("leader", {"choice": "consent"}),
    ],
}


@pytest.mark.parametrize("method", ["binary", "schulze", "consent"])
@pytest.mark.parametrize("kind", ["ordinary", "governance"])
def test_page_result_equals_participate_tally_on_the_downloaded_file(
    app, client, db, hm, tmp_path, method, kind
):
    from participate.votes.models import Motion

    motion = open_motion(hm, method=method, kind=kind)
    _cast_many(hm, motion, ROUND_TRIPS[method])
    close_voting(hm["clerk"], motion)
    stored = db.session.get(Motion, motion.id).result

    download = client.get(f"/motions/{motion.id}")
    assert download.status_code == 200
    response = client.get(f"/api/v1/motions/{motion.id}/ballots.json")
    path = tmp_path / f"motion-{motion.id}-ballots.json"
    path.write_bytes(response.data)
    result = app.test_cli_runner().invoke(args=["tally", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == stored
    # And the API publishes the same result the page shows.
    assert client.get(f"/api/v1/motions/{motion.id}").get_json()["result"] == stored


def test_page_shows_the_figures_of_the_stored_result(client, db, hm):
    motion = open_motion(hm)
    _cast_many(hm, motion, ROUND_TRIPS["binary"])
    result = close_voting(hm["clerk"], motion)
    html = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    # In prose, in whole numbers ("just under 50%" when it only rounds to the threshold).
    from participate.wording import percent_against

    assert percent_against(result["weighted_support"], result["rules"]["threshold"]) in html
    for row in result["constituencies"].values():
        if row["eligible"]:
            assert (
                f'<td class="num">{row["eligible"]}</td><td class="num">{row["voted"]}</td>' in html
            )


def test_tally_cli_refuses_a_malformed_file_naming_the_first_bad_entry(app, db, hm, tmp_path):
    motion = open_motion(hm)
    _cast_many(hm, motion, ROUND_TRIPS["binary"][:3])
    close_voting(hm["clerk"], motion)
    data = results.ballot_file(motion)
    data["ballots"][1]["choice"] = "maybe"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(args=["tally", str(path)])
    assert result.exit_code != 0
    output = result.output + (getattr(result, "stderr", "") or "")
    assert "ballots[1]" in output and "maybe" in output
    path.write_text("{not json")
    result = app.test_cli_runner().invoke(args=["tally", str(path)])
    assert result.exit_code != 0


def test_api_token_cast_is_counted_in_the_file(client, db, hm):
    motion = open_motion(hm)
    response = client.post(
        f"/api/v1/motions/{motion.id}/ballots",
        json={"choice": "yes"},
        headers=api_token(hm["members"]["leader"][0]),
    )
    close_voting(hm["clerk"], motion)
    data = results.ballot_file(motion)
    assert data["ballots"] == [
        {"constituency": "leader", "receipt": response.get_json()["receipt"], "choice": "yes"}
    ]


# ---------------------------------------------------------------- export / import


def test_export_import_round_trip_keeps_closed_motions_and_their_ballots(db, hm, tmp_path):
    """The guards refuse live writes to a closed motion, not a restore of one."""
    from flask_migrate import upgrade

    from participate import create_app
    from participate.config import TestConfig
    from participate.dump import export_database, import_database
    from participate.votes.models import Motion
    from participate.votes.results import opened_ballots

    motion = open_motion(hm, method="consent")
    cast_ballot(hm["members"]["citizen"][0], motion, objection="Kept on restore.")
    close_voting(hm["clerk"], motion)
    still_open = open_motion(hm)
    cast_ballot(hm["members"]["citizen"][0], still_open, choice="yes")
    export_database(tmp_path / "dump")
    before = sorted((b.receipt, b.choice) for m in (motion, still_open) for b in opened_ballots(m))

    fresh_url = _fresh_database(db, tmp_path)

    class FreshConfig(TestConfig):  # the engine is made at create_app: set the URL before
        SQLALCHEMY_DATABASE_URI = fresh_url
        INSTANCE_PATH = str(tmp_path)

    fresh = create_app(FreshConfig)
    from pathlib import Path

    with fresh.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[2] / "migrations"), revision="heads")
        import_database(tmp_path / "dump")
        from participate.extensions import db as fresh_db

        assert fresh_db.engine.url.render_as_string(hide_password=False) == fresh_url

        after = sorted(
            (b.receipt, b.choice)
            for m in (motion, still_open)
            for b in opened_ballots(fresh_db.session.get(Motion, m.id))
        )
        restored = fresh_db.session.get(Motion, motion.id)
        assert restored.status == "closed" and restored.result == motion.result
        # The guards are back in force after the import.
        with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
            fresh_db.session.execute(
                sa.text("UPDATE ballots SET sealed = receipt_sealed WHERE motion_id = :m"),
                {"m": motion.id},
            )
        fresh_db.session.rollback()
        fresh_db.session.remove()
        fresh_db.engine.dispose()
    assert after == before


def _fresh_database(db, tmp_path) -> str:
    """An empty database of the same kind as the test database (SQLite file or PostgreSQL)."""
    url = db.engine.url
    if url.get_backend_name() != "postgresql":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    name = f"{url.database}_restore"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_a_changed_server_key_never_lets_a_member_vote_twice(app, client, db, hm):
    from participate.errors import Conflict

    motion = open_motion(hm)
    voter = hm["members"]["citizen"][0]
    cast_ballot(voter, motion, choice="yes")
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "rotated-while-voting-was-open"
    try:
        with pytest.raises(Conflict, match="cannot be changed"):
            cast_ballot(voter, motion, choice="no")
    finally:
        app.config["SECRET_KEY"] = old
    assert counts(db, motion.id) == (1, 1)
    cast_ballot(voter, motion, choice="no")  # with the key back, changing works
    assert counts(db, motion.id) == (1, 1)


def test_migration_0007_seals_the_ballots_already_cast(app, db, hm):
    """A database from before sealed ballots: its plaintext ballots are sealed by the
    upgrade, and the ballot file, the receipts and each voter's ballot are as they were."""
    import importlib.util
    from pathlib import Path

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from participate.votes.ballots import ballot_ref
    from participate.votes.results import opened_ballots

    binary, ranked = open_motion(hm), open_motion(hm, method="schulze")
    consent = open_motion(hm, method="consent")
    citizens = hm["members"]["citizen"]
    old = sa.MetaData()
    sa.Table("motions", old, sa.Column("id", sa.Integer, primary_key=True))  # referred to only
    table = sa.Table(  # ballots exactly as migration 0003_votes made them
        "ballots",
        old,
        sa.Column("motion_id", sa.Integer, nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("receipt", sa.String(24), nullable=False),
        sa.Column("constituency", sa.String(20), nullable=False),
        sa.Column("choice", sa.String(10)),
        sa.Column("ranking", sa.JSON(none_as_null=True)),
        sa.Column("reason", sa.Text),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("choice IS NULL OR choice <> 'x'", name="ck_ballots_choice"),
        sa.CheckConstraint("1 = 1", name="ck_ballots_choice_or_ranking"),
        sa.CheckConstraint("1 = 1", name="ck_ballots_reason_with_objection"),
        sa.CheckConstraint(
            "constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name="ck_ballots_constituency",
        ),
        sa.ForeignKeyConstraint(
            ["motion_id"], ["motions.id"], name="fk_ballots_motion_id_motions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("motion_id", "ref", name="pk_ballots"),
        sa.UniqueConstraint("receipt", name="uq_ballots_receipt"),
        sqlite_with_rowid=False,
    )
    plain = [
        (binary, citizens[0], "AAAA-BBBB-CCCC-DDDD", "yes", None, None),
        (binary, citizens[1], "EEEE-FFFF-GGGG-HHHH", "no", None, None),
        (ranked, citizens[0], "JJJJ-KKKK-LLLL-MMMM", None, ["Gamma", "Alpha"], None),
        (consent, citizens[2], "NNNN-PPPP-QQQQ-RRRR", "object", None, "Not in Welsh."),
    ]
    # Plain values first: once the table is dropped, this connection locks motions, so the
    # session must not load anything until it commits (PostgreSQL would wait on itself).
    rows = [(m.id, u.id, receipt, c, k, r) for m, u, receipt, c, k, r in plain]
    db.session.commit()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE ballots")
        table.create(connection)
        for motion_id, user_id, receipt, choice, ranking, reason in rows:
            connection.execute(
                table.insert().values(
                    motion_id=motion_id,
                    ref=ballot_ref(motion_id, user_id),
                    receipt=receipt,
                    constituency="citizen",
                    choice=choice,
                    ranking=ranking,
                    reason=reason,
                    updated_at=datetime(2026, 1, 1),
                )
            )
            connection.execute(
                sa.text("INSERT INTO motion_participation (motion_id, user_id) VALUES (:m, :u)"),
                {"m": motion_id, "u": user_id},
            )
        path = Path(__file__).resolve().parents[2] / "migrations/versions/0007_sealed_ballots.py"
        spec = importlib.util.spec_from_file_location("sealing", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with Operations.context(MigrationContext.configure(connection)):
            module.upgrade()
    db.session.expire_all()
    opened = {
        (m.id, b.receipt): (b.choice, b.ranking, b.reason)
        for m in (binary, ranked, consent)
        for b in opened_ballots(m)
    }
    assert opened == {
        (motion.id, receipt): (choice, ranking, reason)
        for motion, _user, receipt, choice, ranking, reason in plain
    }
    # Each voter still finds their own ballot and receipt, and can change it.
    status = my_vote_status(citizens[0], binary)
    assert status.voted and status.receipt == "AAAA-BBBB-CCCC-DDDD"
    again = cast_ballot(citizens[0], binary, choice="no")
    assert again.receipt == "AAAA-BBBB-CCCC-DDDD" and not again.first
    # The schema is the models' again, and the guards are back.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, db.metadata) if "ballots" in repr(d)]
    assert diff == []
    with pytest.raises(sa.exc.IntegrityError, match="ballot_refused"):
        db.session.execute(
            sa.text("UPDATE ballots SET receipt_digest = 'x' WHERE motion_id = :m"),
            {"m": binary.id},
        )
    db.session.rollback()
