"""Ballot secrecy against a database reader without the secret key (DESIGN §3; issue 13).

Members vote through the API in a known order with known choices; the motion closes and
its ballot file is published. Then an attacker who can read the whole database (and its
dump or file) but holds no key tries every linkage we can think of: transaction ids
(PostgreSQL's ``xmin``), physical order (``ctid``, the natural order of a scan, the
order of a dump), id order, timestamps, the length of what is stored, and the published
receipts. Each attack that yields a guess of a voter's choice is scored against the
truth: none may do better than chance. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting
from participate.votes.results import ballot_file
from tests.conftest import api_token

VOTERS = {"citizen": 26, "employee": 18}


@pytest.fixture
def election(make, db, client):
    """A closed binary motion: who voted (in order), what each chose, the ballot file."""
    from participate.votes import services
    from tests.factories.votes import later

    councils = make.structure()
    council = councils["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    members = {c: make.members(council, {c: n}) for c, n in VOTERS.items()}
    motion = services.open_motion(
        clerk,
        council,
        title="Open the walk-in centre on Sundays",
        method="binary",
        closes_at=later(),
    )
    rng = random.Random(2026)
    voters = [(user, c) for c, users in members.items() for user in users]
    rng.shuffle(voters)  # the voting order is not the id order
    truth = {}
    for user, constituency in voters:
        choice = rng.choice(["yes", "no"])
        headers = api_token(user)
        response = client.post(
            f"/api/v1/motions/{motion.id}/ballots", json={"choice": choice}, headers=headers
        )
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        truth[user.id] = (constituency, choice)
    close_voting(clerk, motion)
    published = ballot_file(motion)
    db.session.expire_all()
    order = [user.id for user, _ in voters]
    return {"motion": motion, "truth": truth, "order": order, "file": published}


def _published_receipts(election) -> list[str]:
    return [ballot["receipt"] for ballot in election["file"]["ballots"]]


def _everything_readable(db) -> list[str]:
    """Every value of every row of every table, as a reader would print them."""
    values = []
    with db.engine.connect() as connection:
        for name in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{name}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        raw = bytes(value)
                        values += [raw.hex(), raw.decode("latin-1")]
                    else:
                        values.append(str(value))
    return values


def test_no_table_dump_or_file_holds_a_published_receipt_or_a_readable_choice(db, election):
    receipts = _published_receipts(election)
    assert len(receipts) == len(election["truth"])
    forms = [r for receipt in receipts for r in (receipt, receipt.replace("-", ""))]
    text = "\n".join(_everything_readable(db))
    assert not [r for r in forms if r in text], "a published receipt is stored in the clear"

    # Nothing in a ballot row reads as a choice, whatever the column.
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM ballots")).mappings().all()
    for row in rows:
        for column, value in row.items():
            assert value not in ("yes", "no", "abstain", "consent", "object"), column

    # The database's own files and its dump.
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = db.engine.url.database
        blob = b""
        for part in (path, path + "-wal"):
            if os.path.exists(part):
                with open(part, "rb") as file:
                    blob += file.read()
        assert not [r for r in forms if r.encode() in blob]
    elif shutil.which("pg_dump"):
        url = db.engine.url
        dump = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "-h",
                url.host or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                url.database,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "COPY public.ballots" in dump
        assert not [r for r in forms if r in dump]


def test_every_sealed_ballot_has_the_same_length(db, election):
    with db.engine.connect() as connection:
        lengths = connection.execute(
            sa.text("SELECT sealed, receipt_sealed FROM ballots WHERE motion_id = :m"),
            {"m": election["motion"].id},
        ).all()
    assert len({len(bytes(s)) for s, _ in lengths}) == 1
    assert len({len(bytes(r)) for _, r in lengths}) == 1


def test_a_cast_writes_only_its_ballot_and_its_participation(db, make, client):
    """No other row (an audit event, a token's last use, a session) records who acted when."""
    from participate.votes import services
    from tests.factories.votes import later

    council = make.structure()["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    voter = make.members(council, {"citizen": 1})[0]
    make.members(council, {"employee": 1})
    motion = services.open_motion(
        clerk, council, title="Sunday opening", method="binary", closes_at=later()
    )
    headers = api_token(voter)

    def snapshot():
        with db.engine.connect() as connection:
            return {
                name: sorted(map(repr, connection.execute(sa.text(f'SELECT * FROM "{name}"'))))
                for name in sa.inspect(connection).get_table_names()
            }

    before = snapshot()
    response = client.post(
        f"/api/v1/motions/{motion.id}/ballots", json={"choice": "yes"}, headers=headers
    )
    assert response.status_code in (200, 201)
    after = snapshot()
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"ballots", "motion_participation"}


# ---------------------------------------------------------------- linkage attacks


def _orders(db, motion_id) -> dict[str, list[int]]:
    """Voters (participation rows) in each order a reader can see, without the key."""
    dialect = db.engine.dialect.name
    queries = {
        "scan": "SELECT user_id FROM motion_participation WHERE motion_id = :m",
        "user id": "SELECT user_id FROM motion_participation WHERE motion_id = :m ORDER BY user_id",
    }
    if dialect == "postgresql":
        queries["xmin"] = (
            "SELECT user_id FROM motion_participation WHERE motion_id = :m "
            "ORDER BY xmin::text::bigint"
        )
        queries["ctid"] = (
            "SELECT user_id FROM motion_participation WHERE motion_id = :m ORDER BY ctid"
        )
    with db.engine.connect() as connection:
        return {
            name: list(connection.execute(sa.text(sql), {"m": motion_id}).scalars())
            for name, sql in queries.items()
        }


def _ballot_orders(db, motion_id) -> dict[str, list[str]]:
    """Ballot rows (by ref) in each order a reader can see."""
    dialect = db.engine.dialect.name
    queries = {"scan": "SELECT ref FROM ballots WHERE motion_id = :m"}
    if dialect == "postgresql":
        queries["xmin"] = "SELECT ref FROM ballots WHERE motion_id = :m ORDER BY xmin::text::bigint"
        queries["ctid"] = "SELECT ref FROM ballots WHERE motion_id = :m ORDER BY ctid"
    with db.engine.connect() as connection:
        return {
            name: list(connection.execute(sa.text(sql), {"m": motion_id}).scalars())
            for name, sql in queries.items()
        }


def _by_position(voters: list[int], truth, entries: list[dict]) -> dict[int, str]:
    """Guess: the k-th voter of a constituency cast its k-th published ballot."""
    published = defaultdict(list)
    for entry in entries:
        published[entry["constituency"]].append(entry["choice"])
    seen: Counter = Counter()
    guess = {}
    for user_id in voters:
        constituency = truth[user_id][0]
        k = seen[constituency]
        seen[constituency] += 1
        if k < len(published[constituency]):
            guess[user_id] = published[constituency][k]
    return guess


def _score(guess: dict[int, str], truth) -> float:
    return sum(truth[u][1] == c for u, c in guess.items()) / max(1, len(guess))


def test_no_linkage_does_better_than_chance(db, election):
    truth, motion_id = election["truth"], election["motion"].id
    entries = election["file"]["ballots"]
    n = len(truth)
    # Choices were fair coin flips: a guess that knows nothing scores 1/2 on average.
    # Allow four standard deviations before calling it a leak.
    ceiling = 0.5 + 4 * math.sqrt(0.25 / n)
    attacks: dict[str, dict[int, str]] = {}

    voter_orders = _orders(db, motion_id)
    voter_orders["voting order"] = election["order"]  # even knowing the real order...
    for name, voters in voter_orders.items():
        attacks[f"voters by {name} x ballot file"] = _by_position(voters, truth, entries)
        attacks[f"voters by {name} x ballot file reversed"] = _by_position(
            voters, truth, entries[::-1]
        )

    # Join the two tables by a shared trace (xmin on PostgreSQL; positions in each scan),
    # then place the joined ballot rows against the published file in their own order.
    ballot_orders = _ballot_orders(db, motion_id)
    for name, refs in ballot_orders.items():
        voters = voter_orders.get(name)
        if voters is None:
            continue
        row_of = dict(zip(voters, refs, strict=False))
        position = {ref: i for i, ref in enumerate(refs)}
        joined = sorted(row_of, key=lambda u: position[row_of[u]])
        attacks[f"participation joined to ballots by {name}"] = _by_position(joined, truth, entries)

    for name, guess in attacks.items():
        assert len(guess) == n, name
        assert _score(guess, truth) <= ceiling, (
            f"{name}: {_score(guess, truth):.2f} > {ceiling:.2f}"
        )


def test_the_server_with_its_key_still_counts_every_ballot(db, election):
    """The seals hold against readers, not against the tally: the file matches the truth."""
    got = Counter((b["constituency"], b["choice"]) for b in election["file"]["ballots"])
    assert got == Counter(election["truth"].values())
    result = election["motion"].result
    for constituency, n in VOTERS.items():
        assert result["constituencies"][constituency]["voted"] == n


# ---------------------------------------------------------------- small constituencies


def test_the_ballot_page_warns_a_small_constituency_before_the_vote(make, client, login_as):
    from participate.votes import services
    from tests.factories.votes import later

    council = make.structure()["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    citizens = make.members(council, {"citizen": 6})
    leaders = make.members(council, {"leader": 2})
    motion = services.open_motion(
        clerk, council, title="Close the ward at night", method="binary", closes_at=later()
    )
    login_as(leaders[0])
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Your vote may not stay secret." in page
    assert "Only 2 service leaders can vote on this motion" in page
    assert page.index("may not stay secret") < page.index("Cast my ballot")

    login_as(citizens[0])
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "Cast my ballot" in page and "may not stay secret" not in page

    body = client.get(f"/api/v1/motions/{motion.id}").get_json()
    assert body["small_constituencies"] == {"employee": 1, "leader": 2}  # the clerk: 1


def test_a_rotated_key_still_opens_ballots_through_the_fallbacks(app, make):
    from participate.errors import Conflict
    from participate.votes import services
    from participate.votes.results import opened_ballots
    from tests.factories.votes import later

    council = make.structure()["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    voters = make.members(council, {"citizen": 3})
    motion = services.open_motion(
        clerk, council, title="Longer opening", method="binary", closes_at=later()
    )
    receipts = {cast_ballot(v, motion, choice="yes").receipt for v in voters}
    old = app.config["SECRET_KEY"]
    try:
        app.config["SECRET_KEY"] = "a-new-key"
        with pytest.raises(Conflict, match="did not open with the server's key"):
            opened_ballots(motion)  # never a guess, never a 500
        app.config["SECRET_KEY_FALLBACKS"] = [old]
        assert {b.receipt for b in opened_ballots(motion)} == receipts
        result = close_voting(clerk, motion)
        assert result["constituencies"]["citizen"]["voted"] == 3
    finally:
        app.config["SECRET_KEY"] = old
        app.config["SECRET_KEY_FALLBACKS"] = []
