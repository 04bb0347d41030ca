"""Static files with fingerprinted URLs, a long immutable cache, and gzip/brotli (WhiteNoise).

At start the app copies ``static/`` once into ``<instance>/static/<digest>/``: every file under
its own name and under a fingerprinted one (``css/site.3f2a9c1b7d04.css``, the first 12 hex
digits of its SHA-256), each with ``.gz`` and ``.br`` beside it where that is smaller. The
digest names the whole set, so a changed file makes a new folder; an unchanged set is reused
(a second worker process, or a restart, copies nothing). WhiteNoise serves that folder ahead of
Flask: a fingerprinted URL is cached for a year as ``immutable`` (its content never changes
under that URL), a plain name for a minute, and the compressed copy goes to a browser that
accepts it. Templates write ``static_url('css/site.css')``.

``/favicon.ico`` is served the same way from the set's ``favicon.ico``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from flask import Flask, url_for
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

FINGERPRINT = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
PLAIN_MAX_AGE = 60  # seconds: a file asked for by its plain name may change with a release
COMPRESSED = (".gz", ".br")


def _manifest(source: Path) -> dict[str, str]:
    """{relative path: its fingerprinted path} for every file under ``source``."""
    manifest = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        if name.endswith(COMPRESSED) or FINGERPRINT.search(name):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stem, dot, ext = name.rpartition(".")
        manifest[name] = f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{name}.{digest}"
    return manifest


def _build(source: Path, target: Path, manifest: dict[str, str]) -> None:
    """Copy and compress into a fresh folder, then move it into place in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        compressor = Compressor(quiet=True)
        for name, hashed in manifest.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, work / hashed)
            made = (
                compressor.compress(str(work / hashed)) if compressor.should_compress(name) else []
            )
            for path in [str(work / hashed), *made]:
                shutil.copyfile(path, str(work / name) + path[len(str(work / hashed)) :])
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.rename(work, target)
        except OSError:  # another process built the same set first: theirs is identical
            if not (target / "manifest.json").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _nosniff(headers, _path, _url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"


def init_static(app: Flask) -> None:
    source = Path(app.static_folder or "static")
    manifest = _manifest(source)
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    built = Path(app.config["INSTANCE_PATH"]) / "static" / digest
    if not (built / "manifest.json").exists():
        _build(source, built, manifest)

    static_path = app.static_url_path or "/static"
    served = WhiteNoise(
        app.wsgi_app,
        root=str(built),
        prefix=static_path,
        max_age=PLAIN_MAX_AGE,
        immutable_file_test=lambda _path, url: bool(FINGERPRINT.search(url)),
        add_headers_function=_nosniff,
    )
    if (built / "favicon.ico").exists():
        served.add_file_to_dictionary("/favicon.ico", str(built / "favicon.ico"), stat_cache=None)
    app.wsgi_app = served  # type: ignore[method-assign]

    def static_url(filename: str) -> str:
        """The fingerprinted URL of a file under static/ (its plain URL if it is not there)."""
        return url_for("static", filename=manifest.get(filename, filename))

    app.jinja_env.globals["static_url"] = static_url
    app.extensions["static_manifest"] = manifest
