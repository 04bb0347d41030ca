"""Evidence files: PDF, PNG and JPEG up to 10 MB, type checked by the file's first bytes,
stored under the instance folder, served with safe headers; everything else refused with a
clear message, nothing written and no file left behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import rounds as shared
from tests.factories.rounds import advance_to, start_round

hm = shared.hm  # the fixture

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def empty_uploads(app):
    """Rows are deleted between tests and ids reused: start each test with no stored file."""
    import shutil

    shutil.rmtree(Path(app.config["INSTANCE_PATH"]) / "uploads" / "rounds", ignore_errors=True)
    yield


def upload(client, round_id, name, data):
    return client.post(
        f"/rounds/{round_id}/files",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def stored(db):
    from participate.rounds.models import Attachment

    return db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()


def files_on_disk(app, round_id) -> list[Path]:
    folder = Path(app.config["INSTANCE_PATH"]) / "uploads" / "rounds" / str(round_id)
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize(
    "name, data, content_type, disposition",
    [
        ("winter-report.pdf", PDF, "application/pdf", "attachment"),
        ("ae-attendances.png", PNG, "image/png", "inline"),
        ("walk-in-centre.jpeg", JPEG, "image/jpeg", "inline"),
    ],
)
def test_clerk_attaches_a_file_and_it_is_served_safely(
    app, client, db, login_as, hm, name, data, content_type, disposition
):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    response = upload(client, round_.id, name, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    (attachment,) = stored(db)
    assert attachment.content_type == content_type and attachment.size == len(data)
    (path,) = files_on_disk(app, round_.id)
    assert path.read_bytes() == data and path.name == attachment.stored_name
    assert name not in path.name  # stored under a random name
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    link = f"/rounds/{round_.id}/files/{attachment.id}/{name}"
    assert link in page
    client.post("/logout")
    served = client.get(link)
    assert served.status_code == 200
    assert served.data == data
    assert served.headers["Content-Type"] == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith(disposition)
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_file_over_the_limit_is_refused_and_nothing_is_written(app, client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    response = upload(client, round_.id, "huge.pdf", big)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "attachments are limited to 10 MB" in html and "link to it instead" in html
    assert stored(db) == [] and files_on_disk(app, round_.id) == []


def test_a_request_over_the_server_limit_gets_a_clear_message(app, client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    response = upload(client, round_.id, "enormous.pdf", PDF + b"0" * (17 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than the server accepts" in response.get_data(as_text=True)
    assert stored(db) == []


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("report.pdf", HTML, "only PDF documents and PNG or JPEG images can be attached"),
        ("page.html", HTML, "only PDF documents and PNG or JPEG images can be attached"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "only PDF documents"),
        ("chart.pdf", PNG, "contains a PNG image but its name ends in “.pdf”"),
        ("report.png", PDF, "contains a PDF document but its name ends in “.png”"),
        ("empty.pdf", b"", "Choose a file"),
    ],
)
def test_forbidden_types_are_refused_by_their_content(
    app, client, db, login_as, hm, name, data, message
):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    response = upload(client, round_.id, name, data)
    assert response.status_code in (400, 415)
    assert message in response.get_data(as_text=True)
    assert stored(db) == [] and files_on_disk(app, round_.id) == []


def test_only_clerks_attach_and_only_in_briefing(app, client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["members"]["citizen"][0])
    refused = upload(client, round_.id, "mine.pdf", PDF)
    assert refused.status_code == 403
    assert "Only the council&#39;s clerks can publish the evidence pack" in refused.get_data(
        as_text=True
    )
    advance_to(hm, round_, "discussion")
    login_as(hm["clerk"])
    late = upload(client, round_.id, "late.pdf", PDF)
    assert late.status_code == 403
    assert "not allowed in the discussion phase" in late.get_data(as_text=True)
    assert stored(db) == [] and files_on_disk(app, round_.id) == []


def test_clerk_removes_a_file_and_it_leaves_the_disk(app, client, db, login_as, hm):
    round_ = start_round(hm)
    login_as(hm["clerk"])
    upload(client, round_.id, "winter.pdf", PDF)
    (attachment,) = stored(db)
    response = client.post(f"/rounds/{round_.id}/files/{attachment.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert stored(db) == [] and files_on_disk(app, round_.id) == []
    assert client.get(f"/rounds/{round_.id}/files/{attachment.id}/winter.pdf").status_code == 404


def test_a_file_of_another_round_is_not_served_under_this_one(client, db, login_as, hm):
    first = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    second = start_round(hm, items=[("proposal", hm["proposals"][1].id)], title="Second round")
    login_as(hm["clerk"])
    upload(client, first.id, "winter.pdf", PDF)
    (attachment,) = stored(db)
    assert client.get(f"/rounds/{second.id}/files/{attachment.id}/winter.pdf").status_code == 404
