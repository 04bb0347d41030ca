"""The open-data page (/data), each council's (/data/<slug>), the files and the bulk zip.

Every file is a streamed response: the records are read in chunks and written as they come
(``participate.opendata.services``), in blocks of about 64 KiB, so a file of any size costs
the server one chunk of rows. Each file has its own URL rule and endpoint, so an unknown
file is a 404 from the router, like an unknown council from ``council_by_slug``.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, send_file, stream_with_context

from participate.councils.models import Council
from participate.councils.services import council_by_slug
from participate.errors import NotFound
from participate.extensions import db
from participate.opendata import bulk, schema, services
from participate.opendata.formats import WRITERS, blocks
from participate.votes.models import Motion

bp = Blueprint("opendata", __name__)

COUNCIL_TABS = [{"label": "Open data", "endpoint": "opendata.council_data"}]

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def _file(dataset_name: str, fmt: str, council: Council | None) -> Response:
    dataset = schema.BY_NAME[dataset_name]
    pieces = WRITERS[fmt](dataset.field_names, services.records(dataset.name, council))
    response = Response(stream_with_context(blocks(pieces)), content_type=CONTENT_TYPES[fmt])
    prefix = f"{council.slug}-" if council is not None else ""
    response.headers["Content-Disposition"] = f'inline; filename="{prefix}{dataset.filename(fmt)}"'
    response.cache_control.no_cache = True
    return response


def _site_view(dataset: str, fmt: str):
    def view():
        return _file(dataset, fmt, None)

    return view


def _council_view(dataset: str, fmt: str):
    def view(slug: str):
        return _file(dataset, fmt, council_by_slug(slug))

    return view


def file_endpoint(scope: str, dataset: str, fmt: str) -> str:
    """The endpoint of one file: ``scope`` is "site" or "council"."""
    return f"{scope}_{dataset}_{fmt}"


# One rule (and endpoint) per file: the URL map lists every file, and an unknown name is a 404.
FILE_ENDPOINTS: list[str] = []
for _dataset in schema.DATASETS:
    for _fmt in schema.FORMATS:
        for _scope, _rule, _view in (
            ("site", f"/data/{_dataset.filename(_fmt)}", _site_view(_dataset.name, _fmt)),
            (
                "council",
                f"/data/<slug>/{_dataset.filename(_fmt)}",
                _council_view(_dataset.name, _fmt),
            ),
        ):
            _endpoint = file_endpoint(_scope, _dataset.name, _fmt)
            bp.add_url_rule(_rule, endpoint=_endpoint, view_func=_view)
            FILE_ENDPOINTS.append(_endpoint)


def _files(council: Council | None) -> list[dict]:
    scope, args = ("council", {"slug": council.slug}) if council else ("site", {})
    return [
        {
            "dataset": d,
            "links": [
                {
                    "fmt": fmt,
                    "endpoint": "opendata." + file_endpoint(scope, d.name, fmt),
                    "args": args,
                }
                for fmt in schema.FORMATS
            ],
        }
        for d in schema.DATASETS
    ]


@bp.route("/data")
def data_page():
    return render_template(
        "opendata/data.html", files=_files(None), bulk=bulk.bulk_info(), licence=schema.LICENCE
    )


@bp.route("/data/schema")
def schema_page():
    return render_template("opendata/schema.html", datasets=schema.DATASETS, licence=schema.LICENCE)


@bp.route("/data/datapackage.json")
def datapackage():
    info = bulk.bulk_info()
    package = schema.datapackage(
        "Open data of every council",
        generated_at=None if info is None else info.generated_at.isoformat() + "Z",
    )
    response = Response(json.dumps(package, indent=2) + "\n", content_type=CONTENT_TYPES["json"])
    response.cache_control.no_cache = True
    return response


@bp.route(f"/data/{bulk.DOWNLOAD_NAME}")
def bulk_zip():
    info = bulk.bulk_info()
    if info is None:
        raise NotFound(
            "The file of all the open data has not been made yet: it is made every night. "
            "Until then, download each file from the open data page."
        )
    return send_file(
        info.path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=bulk.DOWNLOAD_NAME,
        etag=info.sha256,
        last_modified=info.generated_at,
        max_age=0,
        conditional=True,
    )


@bp.route("/data/<slug>")
def council_data(slug: str):
    council = council_by_slug(slug)
    motions = db.session.execute(
        sa.select(Motion.id, Motion.title, Motion.closed_at)
        .where(Motion.council_id == council.id, Motion.status == "closed")
        .order_by(Motion.closed_at.desc(), Motion.id.desc())
    ).all()
    return render_template(
        "opendata/council.html",
        council=council,
        files=_files(council),
        closed_motions=motions,
        licence=schema.LICENCE,
    )
