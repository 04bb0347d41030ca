"""Static files: fingerprinted URLs cached for a year as immutable, compressed for a browser
that accepts it, a plain name revalidated soon; a real favicon; <time datetime> values."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, timedelta, timezone

import brotli

from tests.conftest import ROOT


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_fingerprinted_files_cached_for_a_year_and_compressed(client):
    html = client.get("/login").get_data(as_text=True)
    urls = _asset_urls(html)
    css = next(u for u in urls if u.startswith("/static/css/site."))
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", css), css
    assert any(re.fullmatch(r"/static/js/htmx\.min\.[0-9a-f]{12}\.js", u) for u in urls), urls
    source = (ROOT / "static" / "css" / "site.css").read_bytes()

    for url in urls:
        plain = client.get(url)
        assert plain.status_code == 200, url
        assert "immutable" in plain.headers["Cache-Control"], url
        assert "max-age=315360000" in plain.headers["Cache-Control"], url
        assert plain.headers["X-Content-Type-Options"] == "nosniff"

    as_br = client.get(css, headers={"Accept-Encoding": "br, gzip"})
    assert as_br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(as_br.data) == source
    assert len(as_br.data) < len(source) / 3
    as_gzip = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.data) == source
    raw = client.get(css)
    assert "Content-Encoding" not in raw.headers and raw.data == source
    assert client.get(css, headers={"If-None-Match": raw.headers["ETag"]}).status_code == 304


def test_a_plain_static_name_is_revalidated_soon_and_an_unknown_one_is_404(client):
    plain = client.get("/static/css/site.css")
    assert plain.status_code == 200
    assert "immutable" not in plain.headers["Cache-Control"]
    assert "max-age=60" in plain.headers["Cache-Control"]
    assert client.get("/static/css/site.0123456789ab.css").status_code == 404


def test_a_changed_file_gets_a_new_url(tmp_path):
    from participate.static_files import _manifest

    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("body { color: red }")
    before = _manifest(tmp_path)
    (tmp_path / "css" / "a.css").write_text("body { color: blue }")
    after = _manifest(tmp_path)
    assert before["css/a.css"] != after["css/a.css"]
    assert re.fullmatch(r"css/a\.[0-9a-f]{12}\.css", after["css/a.css"])


def test_the_favicon_is_an_icon_not_the_404_page(client):
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    html = client.get("/login").get_data(as_text=True)
    svg = re.search(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]{12}\.svg)"', html)
    assert svg, "the page names its SVG icon"
    icon = client.get(svg.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data


def test_time_values_have_milliseconds_at_most():
    from participate.markup import iso_datetime

    assert iso_datetime(datetime(2026, 12, 7, 9, 55, 1, 123456)) == "2026-12-07T09:55:01.123Z"
    assert iso_datetime(datetime(2026, 12, 7, 9, 55)) == "2026-12-07T09:55:00Z"
    aware = datetime(2026, 12, 7, 10, 55, tzinfo=timezone(timedelta(hours=1)))
    assert iso_datetime(aware) == "2026-12-07T09:55:00Z"
    assert iso_datetime(datetime(2026, 12, 7, 9, 55, tzinfo=UTC)) == "2026-12-07T09:55:00Z"
    assert iso_datetime(date(2026, 12, 7)) == "2026-12-07"
    assert iso_datetime(None) == ""
