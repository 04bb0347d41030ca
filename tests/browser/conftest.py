"""Playwright driving Debian's Chromium (never a downloaded browser).

Journeys (modules with ``pytestmark = JOURNEY``) run once per width: a desktop (1280 px) and a
phone (390 px). Every step they check with :func:`assert_accessible` is also checked for sideways
scroll, saved as a screenshot under ``artifacts/journeys/<test>/`` (ignored by git) and kept for
the Nu Html Checker, which reads every step's HTML once at the end of the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "journeys"
VNU = ROOT / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# A journey runs at both widths; the PostgreSQL run drives the phone only (the pages are the
# same on both databases, and the SQLite run already drives both widths).
JOURNEY = pytest.mark.parametrize(
    "viewport",
    [
        pytest.param(
            "desktop",
            marks=pytest.mark.skipif(
                ON_POSTGRES,
                reason="journeys at desktop width run in the SQLite run; this run drives 390 px",
            ),
        ),
        "phone",
    ],
    indirect=True,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(
                f"Chromium is required in CI and was not found at {CHROMIUM} (apt-get install chromium)"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


class Journey:
    """What one test's steps saw: a screenshot and the HTML of each checked page."""

    def __init__(self, name: str, viewport: str):
        self.viewport = viewport
        self.width = VIEWPORTS[viewport]["width"]
        self.folder = SHOTS / re.sub(r"[^\w.-]+", "-", name).strip("-")
        self.steps: list[tuple[str, str]] = []  # (label, html)

    def step(self, page, label: str) -> None:
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, (
            f"{label or page.url} scrolls sideways at {inner} px: the page is {scroll} px wide"
        )
        number = len(self.steps) + 1
        slug = re.sub(r"[^\w]+", "-", label or page.url).strip("-")[:60]
        self.folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.folder / f"{number:02d}-{slug}.png"), full_page=True)
        self.steps.append((f"step {number} {label or page.url}", page.content()))


_journey: Journey | None = None


@pytest.fixture
def viewport(request) -> str:
    """desktop unless a journey module parametrizes it (JOURNEY)."""
    return getattr(request, "param", "desktop")


class _Browser:
    """The session's Chromium, opening every context at the test's viewport unless told."""

    def __init__(self, chromium, viewport: str):
        self._chromium = chromium
        self._viewport = VIEWPORTS[viewport]

    def new_context(self, **kwargs):
        kwargs.setdefault("viewport", self._viewport)
        return self._chromium.new_context(**kwargs)

    def new_page(self, **kwargs):
        kwargs.setdefault("viewport", self._viewport)
        return self._chromium.new_page(**kwargs)

    def __getattr__(self, name):
        return getattr(self._chromium, name)


@pytest.fixture
def browser(chromium, viewport, request):
    global _journey
    callspec = getattr(request.node, "callspec", None)
    journeying = callspec is not None and "viewport" in callspec.params
    _journey = Journey(request.node.name, viewport) if journeying else None
    yield _Browser(chromium, viewport)
    journey, _journey = _journey, None
    # The checker reads the HTML, which is the same at every width: once, on the first width run.
    if journey and journey.steps and (journey.viewport == "desktop" or ON_POSTGRES):
        errors = vnu_errors(dict(journey.steps), journey.folder / "html")
        assert not errors, f"{len(errors)} HTML errors in {request.node.name}:\n" + "\n".join(
            errors[:60]
        )


def _java_and_vnu() -> str:
    java = shutil.which("java")
    if java and VNU.exists():
        return java
    message = (
        "the Nu Html Checker needs Java (apt-get install default-jre-headless) and vnu.jar "
        "(npm install --prefix tools): .ci/run installs both"
    )
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {message}")
    pytest.skip(message)
    raise AssertionError("unreachable")


def vnu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """The Nu Html Checker's errors over these pages ({label: html}), in one Java start."""
    java = _java_and_vnu()
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for i, (label, text) in enumerate(pages.items()):
        path = folder / f"page{i:02d}.html"
        path.write_text(text, encoding="utf-8")
        names[path.name] = label
    result = subprocess.run(  # noqa: S603  (fixed arguments, our own files)
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout"]
        + sorted(str(folder / name) for name in names),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.stdout.strip(), f"vnu printed nothing: {result.stderr[-2000:]}"
    messages = json.loads(result.stdout)["messages"]
    return [
        f"{names.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))} line {m.get('lastLine')}: "
        f"{m['message']}\n    {m.get('extract', '').strip()[:160]}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def assert_accessible(page, label: str = "") -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error as PlaywrightError

    # After a click on a link the new page may still be replacing the old one: wait for it to
    # load, and run axe again if the document was swapped while axe read it.
    page.wait_for_load_state()
    try:
        results = Axe().run(page)
    except PlaywrightError as error:
        if "documentElement" not in str(error):
            raise
        page.wait_for_load_state()
        results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
        for v in bad
    )
    assert not bad, f"accessibility violations on {label or page.url}:\n{details}"
    if _journey is not None:
        _journey.step(page, label)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def nav_link(page, name: str):
    """A link of the site's navigation, as a person reaches it: on a phone the links sit
    behind "Menu", which they open first."""
    menu = page.locator("details.nav-menu > summary")
    if menu.is_visible() and not page.locator("details.nav-menu[open]").count():
        menu.click()
    return page.get_by_role("link", name=name, exact=True)
