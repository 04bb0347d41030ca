"""The main pages of every role, from the demo world (``participate seed``): valid HTML by the
Nu Html Checker, no serious or critical axe-core violation at 1280 and 390 px, no sideways
scroll at 390 px, and headings that never skip a level. These are the ``pages`` part of the
browser tests (tests/browser/conftest.py): ``make test`` runs them in one of its two runs.

The Nu Html Checker is ``vnu.jar`` from npm (tools/package.json; ``.ci/run`` installs it and
Debian's Java); it runs once over every page, as it is slow to start. Without Java or the jar
its test is skipped outside CI and fails in CI.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser.conftest import PAGES, VIEWPORTS, sign_in, vnu_errors
from tests.conftest import LiveServer, login

pytestmark = [pytest.mark.browser, PAGES]

PASSWORD = "demo-password"


def _first(html: str, pattern: str, *, last: bool = False) -> str:
    found = re.findall(pattern, html)
    assert found, f"no link matching {pattern!r} in the demo's listing"
    return found[-1] if last else found[0]


def _pages(client) -> dict[str, list[str]]:
    """Each role's main pages, the objects found through the listings a person would use."""

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        return response.get_data(as_text=True)

    council = "/councils/health-manchester"
    proposal = _first(get(f"{council}/proposals"), r'href="(/proposals/\d+)"')
    rounds = get(f"{council}/rounds")
    round_open = _first(rounds, r'href="(/rounds/\d+)"')
    round_closed = _first(rounds, r'href="(/rounds/\d+)"', last=True)
    motions = get(f"{council}/votes")
    motion_open = _first(motions, r'href="(/motions/\d+)"')
    motion_closed = _first(motions, r'href="(/motions/\d+)"', last=True)
    petition = _first(get("/petitions"), r'href="(/petitions/\d+)"')
    consultation = _first(get("/consultations"), r'href="(/consultations/\d+)"')
    visitor = [
        "/",
        "/councils",
        council,
        f"{council}/proposals",
        proposal,
        round_open,
        round_closed,
        f"{round_closed}/minutes",
        motion_open,
        motion_closed,
        "/petitions",
        petition,
        "/consultations",
        consultation,
        "/forums/map",
        "/audit",
        "/login",
        "/signup",
    ]
    login(client, "minister@example.org", PASSWORD)
    inbox = "/councils/health-england/inbox"
    cluster = _first(get(inbox), r'href="(/councils/health-england/inbox/clusters/\d+)"')
    client.post("/logout")
    return {
        "visitor": visitor,
        "citizen@example.org": ["/", "/me", "/profile", proposal, motion_open, petition],
        "clerk@example.org": [
            "/me",
            f"{council}/members",
            f"{council}/moderation",
            f"{council}/petitions/moderation",
            round_open,
            f"{council}/inbox",
        ],
        "minister@example.org": ["/me", inbox, cluster, consultation],
        "admin@example.org": ["/admin/", "/audit"],
    }


@pytest.fixture(scope="module")
def demo_site(demo_world, tmp_path_factory):
    """A copy of the run's demo world (tests/factories/demo.py) for this module, its app
    context pushed: the browser signs in, so the shared demo database is left alone."""
    with demo_world.copy(tmp_path_factory.mktemp("valid_html")) as world:
        yield world


@pytest.fixture(scope="module")
def demo_server(demo_site):
    """A live server on the module's copy of the demo world."""
    server = LiveServer(demo_site.url, Path(demo_site.app.config["MAIL_OUTBOX"]))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_pages(demo_site):
    """The demo world's main pages of each role, and their HTML."""
    client = demo_site.app.test_client()
    pages = _pages(client)
    html: dict[str, str] = {}
    for role, urls in pages.items():
        if role != "visitor":
            login(client, role, PASSWORD)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, f"{url} as {role}: {response.status_code}"
            html[f"{role} {url}"] = response.get_data(as_text=True)
        client.post("/logout")
    return pages, html


def test_every_main_page_is_valid_html(demo_pages, tmp_path):
    _pages, html = demo_pages
    errors = vnu_errors(html, tmp_path)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors[:60])


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


def test_headings_never_skip_a_level(demo_pages):
    _pages, html = demo_pages
    skips = []
    for label, text in html.items():
        parser = _Headings()
        parser.feed(text)
        levels = parser.levels
        if not levels or levels[0] != 1:
            skips.append(f"{label}: the first heading is not an h1 ({levels[:3]})")
        for before, after in zip(levels, levels[1:], strict=False):
            if after > before + 1:
                skips.append(f"{label}: h{before} then h{after}")
                break
    assert not skips, "headings that skip a level:\n" + "\n".join(skips)


def test_every_main_page_is_accessible_and_fits_a_phone(demo_pages, browser, demo_server):
    from axe_playwright_python.sync_playwright import Axe

    pages, _html = demo_pages
    axe = Axe()
    problems = []
    for role, urls in pages.items():
        context = browser.new_context(base_url=demo_server.url)
        context.set_default_timeout(20_000)
        page = context.new_page()
        if role != "visitor":
            sign_in(page, role, PASSWORD)
        for width in (viewport["width"] for viewport in VIEWPORTS.values()):
            page.set_viewport_size({"width": width, "height": 900})
            for url in urls:
                response = page.goto(url)
                assert response.status == 200, f"{url} as {role}: {response.status}"
                where = f"{url} as {role} at {width} px"
                if width < 1000:
                    scroll, inner = page.evaluate(
                        "[document.documentElement.scrollWidth, window.innerWidth]"
                    )
                    if scroll > inner:
                        problems.append(f"{where}: {scroll} px wide")
                violations = axe.run(page).response["violations"]
                problems += [
                    f"{where}: {v['id']} ({v['impact']}) {v['help']} -> "
                    f"{[n['target'] for n in v['nodes']][:4]}"
                    for v in violations
                    if v.get("impact") in ("serious", "critical")
                ]
        context.close()
    assert not problems, "\n".join(problems)
