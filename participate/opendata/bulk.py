"""The site-wide bulk zip: every open-data file, the ballot file of every closed motion and
the data package descriptor, in one download.

``build_bulk_zip()`` writes the zip under ``<INSTANCE_PATH>/opendata/`` a file at a time
(each file streamed into its zip entry, never built whole in memory), to a temporary name
that is renamed into place only when complete, then records the zip's name, generation time,
size and SHA-256 in ``current.json`` (also written to a temporary name and renamed), so a
reader always finds a complete zip and the checksum of that very zip. The previous zip is
kept until the next build, so a download that started on it can finish.

It is run by ``participate data build`` (and after ``participate seed``), and nightly by the
job engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from participate.opendata import schema, services
from participate.opendata.formats import WRITERS, blocks, iso
from participate.util import utcnow

POINTER = "current.json"
PREFIX = "participate-open-data-"
DOWNLOAD_NAME = "participate-open-data.zip"


@dataclass(frozen=True)
class BulkInfo:
    path: Path
    generated_at: datetime
    sha256: str
    size: int


def folder() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "opendata"


def _readme(generated_at: str) -> str:
    lines = [
        f"{current_app.config.get('SITE_NAME', 'participate')}: open data, all councils",
        f"Generated {generated_at}.",
        "",
        f"Licence: {schema.LICENCE['title']}, {schema.LICENCE['path']}",
        "",
        "Each file comes as JSON (an array of objects) and CSV (UTF-8, a header row). The",
        "fields of every file, their types and meanings are in datapackage.json (a",
        "Frictionless Tabular Data Package). ballots/motion-<id>.json is the anonymised",
        "ballot file of each closed motion; re-count one with `participate tally FILE`.",
        "",
    ]
    lines += [f"{d.name}: {d.title}. {d.description}" for d in schema.DATASETS]
    return "\n".join(lines) + "\n"


def _write_text(archive: zipfile.ZipFile, name: str, pieces) -> None:
    with archive.open(name, "w", force_zip64=True) as entry:
        for block in blocks(pieces):
            entry.write(block)


def _write_zip(target: Path, generated_at: str) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write_text(archive, "README.txt", [_readme(generated_at)])
        package = schema.datapackage("Open data of every council", generated_at)
        _write_text(archive, "datapackage.json", [json.dumps(package, indent=2)])
        for dataset in schema.DATASETS:
            for fmt in schema.FORMATS:
                writer = WRITERS[fmt]
                pieces = writer(dataset.field_names, services.records(dataset.name))
                _write_text(archive, dataset.filename(fmt), pieces)
        for motion, data in services.ballot_files(None):
            _write_text(
                archive,
                f"ballots/motion-{motion.id}.json",
                [json.dumps(data, indent=2, ensure_ascii=False)],
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def build_bulk_zip() -> Path:
    """Write the bulk zip of every open-data file; return its path.

    Safe to run twice at once (each build writes its own temporary file; the last rename
    wins, and both zips are complete)."""
    out = folder()
    out.mkdir(parents=True, exist_ok=True)
    now = utcnow().replace(microsecond=0)
    generated_at = iso(now) or ""
    fd, tmp_name = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write_zip(tmp, generated_at)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        checksum = _sha256(tmp)
        final = out / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}-{checksum[:12]}.zip"
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    previous = _pointer()
    pointer = {
        "file": final.name,
        "generated_at": generated_at,
        "sha256": checksum,
        "size": final.stat().st_size,
    }
    _atomic_write(out / POINTER, json.dumps(pointer, indent=2) + "\n")
    keep = {final.name, previous.get("file") if previous else None}
    for old in out.glob(f"{PREFIX}*.zip"):
        if old.name not in keep:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    return final


def _pointer() -> dict | None:
    try:
        data = json.loads((folder() / POINTER).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) and "file" in data else None


def bulk_info() -> BulkInfo | None:
    """The current bulk zip, or None when none has been generated yet."""
    data = _pointer()
    if data is None:
        return None
    path = folder() / Path(str(data["file"])).name
    if not path.is_file():
        return None
    try:
        generated = datetime.fromisoformat(str(data["generated_at"]).removesuffix("Z"))
        return BulkInfo(path, generated, str(data["sha256"]), int(data["size"]))
    except (KeyError, TypeError, ValueError):  # a pointer this code did not write
        return None
