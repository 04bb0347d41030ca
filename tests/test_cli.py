"""The participate CLI: import-structure, create-user, create-token, audit verify, tally, export/import."""

import json

import pytest
import sqlalchemy as sa
import yaml

from participate.audit.models import AuditEvent
from participate.councils.models import Council, ForumLink, Place, Service

GOOD = {
    "services": [{"slug": "health", "name": "Health and care"}],
    "places": [
        {"slug": "england", "name": "England", "level": "nation"},
        {"slug": "north-west", "name": "North West", "level": "region", "parent": "england"},
        {
            "slug": "manchester",
            "name": "Manchester",
            "level": "local",
            "parent": "north-west",
            "population": 568996,
        },
    ],
    "councils": [
        {"slug": "health-england", "service": "health", "place": "england"},
        {"slug": "health-north-west", "service": "health", "place": "north-west"},
        {"slug": "health-manchester", "service": "health", "place": "manchester"},
        {"slug": "forum-manchester", "place": "manchester"},
    ],
    "links": [
        {"from": "health-manchester", "to": "health-north-west", "kind": "reports_to"},
        {"from": "health-north-west", "to": "health-england", "kind": "reports_to"},
        {"from": "health-manchester", "to": "forum-manchester", "kind": "ringmaster"},
    ],
}


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


def counts(db):
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Service, Place, Council, ForumLink)
    )


def write(tmp_path, data, name="structure.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if name.endswith(".yaml") else json.dumps(data))
    return str(path)


def test_import_structure_yaml_and_json_idempotent(runner, db, tmp_path):
    result = runner.invoke(args=["import-structure", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    assert counts(db) == (1, 3, 4, 3)
    result = runner.invoke(args=["import-structure", write(tmp_path, GOOD, "s.json")])
    assert result.exit_code == 0 and counts(db) == (1, 3, 4, 3)


def _variant(**changes):
    data = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        data[key] = value
    return data


BAD = [
    (
        "cycle",
        _variant(
            links=GOOD["links"]
            + [{"from": "health-england", "to": "health-manchester", "kind": "reports_to"}]
        ),
        ["health-england"],
    ),
    (
        "unknown slug",
        _variant(
            links=GOOD["links"]
            + [{"from": "health-salford", "to": "health-north-west", "kind": "reports_to"}]
        ),
        ["health-salford"],
    ),
    (
        "duplicate slug",
        _variant(
            councils=GOOD["councils"]
            + [{"slug": "health-england", "service": "health", "place": "england"}]
        ),
        ["health-england", "2 times"],
    ),
    (
        "downward link",
        _variant(
            links=[{"from": "health-north-west", "to": "health-manchester", "kind": "reports_to"}]
        ),
        ["health-north-west", "health-manchester"],
    ),
    (
        "unknown service",
        _variant(
            councils=GOOD["councils"]
            + [{"slug": "police-england", "service": "police", "place": "england"}]
        ),
        ["police"],
    ),
]


@pytest.mark.parametrize("name, data, names", BAD, ids=[b[0] for b in BAD])
def test_bad_structure_file_is_refused_whole(runner, db, tmp_path, name, data, names):
    before = counts(db)
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code != 0
    for entry in names:
        assert entry in result.output
    assert "nothing was changed" in result.output
    assert counts(db) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events


def test_import_structure_rejects_unreadable_file(runner, db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("services: [unclosed")
    result = runner.invoke(args=["import-structure", str(path)])
    assert result.exit_code != 0 and "not valid YAML or JSON" in result.output


def test_import_gives_a_new_local_place_its_place_forum(runner, db, tmp_path):
    """DESIGN §2: every local place has one place forum, ringmaster of its service councils."""
    data = _variant(
        councils=[c for c in GOOD["councils"] if c.get("service")],
        links=[link for link in GOOD["links"] if link["kind"] == "reports_to"],
    )
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    forum = db.session.scalar(sa.select(Council).where(Council.slug == "forum-manchester"))
    assert forum is not None and forum.is_forum and forum.place.slug == "manchester"
    ringmaster = db.session.scalars(
        sa.select(ForumLink).where(ForumLink.to_council_id == forum.id)
    ).all()
    assert [(link.child.slug, link.kind) for link in ringmaster] == [
        ("health-manchester", "ringmaster")
    ]
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "structure.imported")
    )
    assert json.loads(event.data)["place_forums"] == ["forum-manchester"]
    # the same file again changes nothing: the forum is there
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code == 0 and counts(db) == (1, 3, 4, 3)


def test_init_gives_a_local_place_made_before_forums_came_with_places_its_forum(runner, db):
    """A database from an earlier release has a local place without its place forum
    (DESIGN §2): ``participate init`` completes it, once, with the ringmaster link."""
    from participate.councils.structure import import_structure

    import_structure(GOOD)
    # What an earlier release made: a place and its service council, and no forum.
    region = db.session.scalar(sa.select(Place).where(Place.slug == "north-west"))
    salford = Place(slug="salford", name="Salford", level="local", parent=region)
    db.session.add(salford)
    db.session.flush()
    db.session.add(
        Council(
            slug="health-salford",
            name="Health and care council, Salford",
            service_id=db.session.scalar(sa.select(Service.id)),
            place_id=salford.id,
        )
    )
    db.session.commit()
    assert counts(db) == (1, 4, 5, 3)

    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "place forums created for local places that had none: forum-salford" in result.output
    db.session.expire_all()
    forum = db.session.scalar(sa.select(Council).where(Council.slug == "forum-salford"))
    assert forum.is_forum and forum.place.slug == "salford"
    links = db.session.scalars(sa.select(ForumLink).where(ForumLink.to_council_id == forum.id))
    assert [(link.child.slug, link.kind) for link in links] == [("health-salford", "ringmaster")]
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0 and "place forums created" not in result.output
    assert counts(db) == (1, 4, 6, 4)


def test_a_listed_place_forum_is_not_doubled(runner, db, tmp_path):
    result = runner.invoke(args=["import-structure", write(tmp_path, GOOD)])
    assert result.exit_code == 0 and counts(db) == (1, 3, 4, 3)


def test_a_taken_forum_slug_is_refused_with_what_to_do(runner, db, tmp_path):
    data = _variant(
        councils=[c for c in GOOD["councils"] if c.get("service")]
        + [{"slug": "forum-manchester", "service": "health", "place": "england"}],
        links=[],
    )
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code != 0
    assert "manchester" in result.output and "list its place forum" in result.output
    assert counts(db) == (0, 0, 0, 0)


def test_reimport_applies_a_changed_population_and_audits_it(runner, db, tmp_path):
    assert runner.invoke(args=["import-structure", write(tmp_path, GOOD)]).exit_code == 0
    data = json.loads(json.dumps(GOOD))
    data["places"][2]["population"] = 600_000
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert "manchester" in result.output and "568996" in result.output
    place = db.session.scalar(sa.select(Place).where(Place.slug == "manchester"))
    db.session.refresh(place)
    assert place.population == 600_000
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "place.population_changed")
    )
    assert json.loads(event.data) == {"place": "manchester", "old": 568996, "new": 600_000}
    assert event.subject_type == "place" and event.subject_id == place.id
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_reimport_refuses_a_changed_place_name(runner, db, tmp_path):
    assert runner.invoke(args=["import-structure", write(tmp_path, GOOD)]).exit_code == 0
    data = json.loads(json.dumps(GOOD))
    data["places"][2]["name"] = "Manchester City"
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code != 0
    assert "place 'manchester' already exists with another name" in result.output


def test_refusal_names_the_problems_of_every_stage(runner, db, tmp_path):
    """A bad place, a council at an unknown place and a cycle are all named in one refusal."""
    data = json.loads(json.dumps(GOOD))
    data["places"][2]["population"] = -5
    data["councils"].append({"slug": "health-nowhere", "service": "health", "place": "nowhere"})
    data["links"].append(
        {"from": "health-england", "to": "health-manchester", "kind": "reports_to"}
    )
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code != 0
    assert "place 'manchester' population must be a whole number" in result.output
    assert "council 'health-nowhere' names an unknown place 'nowhere'" in result.output
    assert "link health-england -> health-manchester" in result.output
    assert counts(db) == (0, 0, 0, 0)


def test_create_user_and_token(runner, db, client):
    result = runner.invoke(
        args=["create-user", "ops@example.org", "--name", "Ops", "--admin", "--password-stdin"],
        input="a long enough phrase\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["create-user", "ops@example.org", "--name", "Ops", "--password-stdin"],
        input="a long enough phrase\n",
    )
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(
        args=["create-user", "weak@example.org", "--name", "W", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "at least 10" in result.output
    result = runner.invoke(args=["create-token", "ops@example.org"])
    token = result.output.strip()
    assert token.startswith("pt_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["email"] == "ops@example.org"
    assert runner.invoke(args=["create-token", "nobody@example.org"]).exit_code != 0


def _three_events(db):
    from participate.audit.services import record_event

    for i in range(3):
        record_event("test.event", data={"i": i})
    db.session.commit()


def test_audit_verify_detects_tampering(runner, db, tmp_path):
    runner.invoke(args=["import-structure", write(tmp_path, GOOD)])
    _three_events(db)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()[2]
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == event.id).values(data='{"forged": true}')
    )
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"seq {event.seq}" in result.output and "altered" in result.output


def test_audit_verify_detects_a_removed_event(runner, db, tmp_path):
    runner.invoke(args=["import-structure", write(tmp_path, GOOD)])
    _three_events(db)
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()[1]
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == event.id))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "missing" in result.output


def test_export_import_round_trip_exact(runner, db, tmp_path, make):
    make.structure()
    make.members(
        make.structure.__self__.db.session.scalar(
            sa.select(Council).where(Council.slug == "health-manchester")
        ),
        {"citizen": 2},
    )
    out = tmp_path / "export"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    first = {p.name: p.read_text() for p in out.glob("*.json")}
    refused = runner.invoke(args=["import", str(out)])
    assert refused.exit_code != 0 and "not empty" in refused.output
    # Empty the database, import, export again: identical files.
    from tests.conftest import _clean

    _clean(db)
    result = runner.invoke(args=["import", str(out)])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again"
    runner.invoke(args=["export", str(again)])
    assert {p.name: p.read_text() for p in again.glob("*.json")} == first
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def _exported_world(runner, make, tmp_path):
    """A council with a proposal about dental care, exported; returns the export's folder."""
    from participate.proposals.services import create_proposal

    councils = make.structure()
    author = make.members(councils["health-manchester"], {"citizen": 1})[0]
    create_proposal(
        author,
        councils["health-manchester"],
        title="Dental care for children",
        body="No practice nearby takes new patients.",
        themes=["access"],
    )
    out = tmp_path / "export"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    return out


def test_an_imported_database_finds_proposals_by_search(runner, db, tmp_path, make):
    from participate.proposals.search import search_proposals
    from tests.conftest import _clean

    out = _exported_world(runner, make, tmp_path)
    assert search_proposals("dental").total == search_proposals("access").total == 1
    _clean(db)
    assert search_proposals("dental").total == 0
    result = runner.invoke(args=["import", str(out)])
    assert result.exit_code == 0, result.output
    assert search_proposals("dental").total == search_proposals("access").total == 1


def test_import_force_replaces_a_database_that_has_data(runner, db, tmp_path, make):
    from participate.accounts.models import User
    from participate.proposals.search import search_proposals

    out = _exported_world(runner, make, tmp_path)
    make.user("later@example.org")
    refused = runner.invoke(args=["import", str(out)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert "Traceback" not in refused.output
    replaced = runner.invoke(args=["import", "--force", str(out)])
    assert replaced.exit_code == 0, replaced.output
    assert db.session.scalar(sa.select(User).where(User.email == "later@example.org")) is None
    assert search_proposals("dental").total == 1
    again = tmp_path / "again"
    assert runner.invoke(args=["export", str(again)]).exit_code == 0
    assert {p.name: p.read_text() for p in again.glob("*.json")} == {
        p.name: p.read_text() for p in out.glob("*.json")
    }


def _damaged(out, name, damage):
    path = out / name
    if damage is None:
        path.unlink()
    else:
        path.write_text(damage(path.read_text()))


@pytest.mark.parametrize(
    "name, damage, message",
    [
        ("manifest.json", None, "no manifest.json"),
        ("manifest.json", lambda text: text[:-3], "manifest.json is not valid JSON"),
        ("users.json", None, "users.json is missing"),
        ("users.json", lambda text: text.replace("{", "[", 1), "users.json is not valid JSON"),
        ("users.json", lambda text: '{"table": "users"}', "users.json has no list of rows"),
        (
            "users.json",
            lambda text: text.replace('"email":', '"e_mail":', 1),
            "users.json row 1 has columns this database does not know: e_mail",
        ),
        (
            "users.json",
            lambda text: text.replace('"email":', '"is_admin": false, "x":', 1),
            "users.json row 1",
        ),
        (
            "memberships.json",
            lambda text: text.replace('"user_id": ', '"user_id": 999', 1),
            "memberships.json",
        ),
    ],
)
def test_import_of_a_damaged_export_says_what_is_wrong(
    runner, db, tmp_path, make, name, damage, message
):
    from tests.conftest import _clean

    out = _exported_world(runner, make, tmp_path)
    _clean(db)
    _damaged(out, name, damage)
    result = runner.invoke(args=["import", str(out)])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # Nothing was half-imported.
    assert all(
        db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0
        for table in db.metadata.sorted_tables
    )


def test_export_and_import_on_an_uninitialised_database_say_to_run_init(app, tmp_path):
    from participate import create_app
    from tests.conftest import test_config

    empty = create_app(
        test_config(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    ).test_cli_runner()
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "manifest.json").write_text('{"tables": []}')
    for args in (["export", str(tmp_path / "out")], ["import", str(tmp_path / "dump")]):
        result = empty.invoke(args=args)
        assert result.exit_code != 0, args
        assert "participate init" in result.output and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_tally_cli_reads_a_ballot_file(runner, tmp_path):
    ballots = {
        "method": "binary",
        "rules": {
            "quorum": 0.1,
            "threshold": 0.5,
            "min_constituencies": 1,
            "concurrent_majority": False,
        },
        "constituencies": {"citizen": {"weight": 1, "eligible": 4}},
        "ballots": [
            {"constituency": "citizen", "receipt": f"r{i}", "choice": c}
            for i, c in enumerate(["yes", "yes", "no", "abstain"])
        ],
    }
    path = tmp_path / "ballots.json"
    path.write_text(json.dumps(ballots))
    result = runner.invoke(args=["tally", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passed"] is True
    ballots["ballots"][1]["choice"] = "maybe"
    path.write_text(json.dumps(ballots))
    result = runner.invoke(args=["tally", str(path)])
    assert result.exit_code != 0 and "ballots[1]" in result.output


def test_every_command_has_help(runner):
    for command in [
        "init",
        "seed",
        "demo",
        "serve",
        "import-structure",
        "create-user",
        "create-token",
        "audit",
        "tally",
        "export",
        "import",
    ]:
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, command


def test_appoint_and_unappoint_through_the_cli(runner, db, make):
    from participate.councils.models import Membership

    make.structure()
    admin = make.user("ops@example.org", admin=True)
    person = make.user("helen@example.org")
    appointed = runner.invoke(
        args=["appoint", "helen@example.org", "health-england", "--role", "minister"]
    )
    assert appointed.exit_code == 0, appointed.output
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
    assert (membership.role, membership.status) == ("minister", "active")
    refused = runner.invoke(
        args=["appoint", "helen@example.org", "health-manchester", "--role", "minister"]
    )
    assert refused.exit_code == 2 and "national service council only" in refused.output
    ended = runner.invoke(args=["unappoint", "helen@example.org", "health-england"])
    assert ended.exit_code == 0, ended.output
    db.session.refresh(membership)
    assert (membership.role, membership.status) == ("member", "active")
    again = runner.invoke(args=["unappoint", "helen@example.org", "health-england"])
    assert again.exit_code == 2 and "no appointment to end" in again.output
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)
    ).all()
    assert {"appointment.minister", "appointment.ended"} <= set(actions)
    make.user("second-admin@example.org", admin=True)  # two admins: say which one acts
    unnamed = runner.invoke(
        args=["appoint", "helen@example.org", "health-manchester", "--role", "clerk"]
    )
    assert unnamed.exit_code == 2 and "--by" in unnamed.output
    named = runner.invoke(
        args=[
            "appoint",
            "helen@example.org",
            "health-manchester",
            "--role",
            "clerk",
            "--by",
            "second-admin@example.org",
        ]
    )
    assert named.exit_code == 0, named.output
    assert runner.invoke(args=["appoint", "nobody@example.org", "x", "--role", "clerk"]).exit_code


@pytest.mark.parametrize(
    "data, named",
    [
        ({"places": [{"slug": "x", "name": "X", "level": "local", "parent": ["a"]}]}, "['a']"),
        ({"councils": [{"slug": "c", "place": {"a": 1}}]}, "{'a': 1}"),
        ({"councils": [{"slug": "c", "service": ["s"], "place": "x"}]}, "['s']"),
        ({"links": [{"from": ["a"], "to": "b"}]}, "['a']"),
    ],
)
def test_a_list_or_number_for_a_slug_is_named_not_a_crash(runner, db, tmp_path, data, named):
    result = runner.invoke(args=["import-structure", write(tmp_path, data, "s.json")])
    assert result.exit_code == 2 and "nothing was changed" in result.output
    assert named in result.output
    assert counts(db) == (0, 0, 0, 0)


def test_a_number_for_a_name_is_taken_as_text(runner, db, tmp_path):
    data = {"places": [{"slug": "england", "name": 1066, "level": "nation"}]}
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Place.name)) == "1066"


@pytest.mark.parametrize(
    "section, index, key, value, message",
    [
        ("services", 0, "description", "Changed", "service 'health' already exists with"),
        ("councils", 2, "name", "Other name", "council 'health-manchester' already exists with"),
        ("councils", 2, "remit", "Other remit", "council 'health-manchester' already exists with"),
    ],
)
def test_reimport_refuses_other_changed_facts(
    runner, db, tmp_path, section, index, key, value, message
):
    """Facts the import does not update are refused by name, never ignored silently."""
    assert runner.invoke(args=["import-structure", write(tmp_path, GOOD)]).exit_code == 0
    data = json.loads(json.dumps(GOOD))
    data[section][index][key] = value
    result = runner.invoke(args=["import-structure", write(tmp_path, data)])
    assert result.exit_code == 2, result.output
    assert message in result.output and key in result.output
