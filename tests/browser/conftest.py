"""Playwright driving Debian's Chromium (never a downloaded browser).

Journeys (modules with ``pytestmark = JOURNEY``) run once per width: a desktop (1280 px) and a
phone (390 px). Every step they check with :func:`assert_accessible` is also checked for sideways
scroll, saved as a screenshot under ``artifacts/journeys/<test>/`` (ignored by git) and kept for
the Nu Html Checker, which reads every step's HTML at the end of the desktop journey (the HTML
is the same at every width).

A run does the parts of the browser tests that ``PARTICIPATE_TEST_BROWSER`` names (all three
unless told): ``desktop`` and ``phone``, the journeys at each width, and ``pages``, the checks
page by page (``PAGES``: every main page valid and accessible at both widths, and what is made
for a phone). ``make test`` shares them between its two database runs (the Makefile), so each
runs once: the journeys on both databases, one width each, and the page checks, which do not
depend on the database, in the run with time to spare.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "journeys"
VNU = ROOT / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PARTS = (*VIEWPORTS, "pages")


def _parts(value: str) -> frozenset[str]:
    parts = frozenset(value.replace(",", " ").split())
    if not parts or parts - set(PARTS):
        raise pytest.UsageError(
            f"PARTICIPATE_TEST_BROWSER={value!r}: name one or more of {', '.join(PARTS)}"
        )
    return parts


BROWSER_PARTS = _parts(os.environ.get("PARTICIPATE_TEST_BROWSER", " ".join(PARTS)))
_OTHER_RUN = "make test runs this part in its other database run (PARTICIPATE_TEST_BROWSER)"
JOURNEY = pytest.mark.parametrize(
    "viewport",
    [
        pytest.param(name, marks=pytest.mark.skipif(name not in BROWSER_PARTS, reason=_OTHER_RUN))
        for name in VIEWPORTS
    ],
    indirect=True,
)
PAGES = pytest.mark.skipif("pages" not in BROWSER_PARTS, reason=_OTHER_RUN)

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
        page.screenshot(  # the whole page; JPEG takes half the time of PNG to write
            path=str(self.folder / f"{number:02d}-{slug}.jpeg"), full_page=True, quality=70
        )
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
    # The checker reads the HTML, which is the same at every width: once, on the desktop run.
    if journey and journey.steps and journey.viewport == "desktop":
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


class _Checker:
    """The Nu Html Checker as the web service vnu.jar also is (``nu.validator.servlet.Main``,
    its documented way to check many documents): Java starts once per run, not once per check.
    It starts when the first browser test does, and answers from the first check on."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        if self.proc is not None or not shutil.which("java") or not VNU.exists():
            return
        from tests.conftest import free_port

        port = free_port()
        self.url = f"http://127.0.0.1:{port}/?out=json"
        self.proc = subprocess.Popen(  # noqa: S603  (fixed arguments)
            [
                shutil.which("java") or "java",
                "-cp",
                str(VNU),
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "nu.validator.servlet.Main",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def messages(self, html: str) -> list[dict]:
        import requests

        _java_and_vnu()
        self.start()
        assert self.proc is not None
        deadline = time.monotonic() + 120
        while True:
            try:
                response = requests.post(
                    self.url,
                    data=html.encode("utf-8"),
                    headers={"Content-Type": "text/html; charset=utf-8"},
                    timeout=60,
                )
                break
            except requests.ConnectionError:
                if self.proc.poll() is not None:
                    raise AssertionError("the Nu Html Checker's service exited at start") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        response.raise_for_status()
        return response.json()["messages"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


_checker = _Checker()


@pytest.fixture(scope="session", autouse=True)
def _html_checker():
    """Starts the checker's service beside the first browser test of a run that checks HTML;
    stops it at the end."""
    if BROWSER_PARTS & {"desktop", "pages"}:
        _checker.start()
    yield
    _checker.stop()


def vnu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """The Nu Html Checker's errors over these pages ({label: html}); each page is also written
    to ``folder`` (page00.html, ...) to read beside its error."""
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for i, (label, text) in enumerate(pages.items()):
        (folder / f"page{i:02d}.html").write_text(text, encoding="utf-8")
        errors += [
            f"{label} (page{i:02d}.html) line {m.get('lastLine')}: {m['message']}\n"
            f"    {m.get('extract', '').strip()[:160]}"
            for m in _checker.messages(text)
            if m.get("type") in ("error", "non-document-error")
        ]
    return errors


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
