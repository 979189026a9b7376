"""Browser fixtures: the checkout widget's server, the Node test merchant, and Debian's Chromium.

The API (``api_url``), poller and database come from tests/conftest.py. Here the widget is built
when its sources are newer than ``dist/`` (``npm ci`` first if ``node_modules`` is missing), served
by ``node checkout-widget/server.js`` on two free ports (shop and dashboard; payment frame) against
the test API, and driven by Playwright through the system Chromium, launched once per session.
Playwright's own browser download is never used.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Frame, Page, Playwright, sync_playwright

from shared import db, seed
from shared.db import webhook_endpoints
from tests.conftest import NODE, ROOT, MerchantReceiver, NodeServer, free_port, require

WIDGET = ROOT / "checkout-widget"
NPM = shutil.which("npm")
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = WIDGET / "node_modules" / "axe-core" / "axe.min.js"


def _missing_tool() -> str | None:
    if NODE is None or NPM is None:
        return "node and npm are not on PATH (Debian: apt-get install nodejs npm)"
    if CHROMIUM is None:
        return "chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    reason = _missing_tool()
    if reason is not None:
        require(None, f"browser tests: {reason}")


def _newest_source_mtime() -> float:
    sources = [*WIDGET.joinpath("src").rglob("*.ts"), WIDGET / "build.mjs", WIDGET / "package-lock.json"]
    # The build generates the API types from the document and copies it for the reference page.
    sources += [WIDGET / "package.json", ROOT / "docs" / "openapi.json"]
    return max(path.stat().st_mtime for path in sources)


def _build_widget() -> None:
    """``npm ci`` when node_modules is missing; ``npm run build`` when dist/ is missing or stale."""
    assert NPM is not None
    if not (WIDGET / "node_modules" / ".package-lock.json").exists():
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=WIDGET, check=True)
    outputs = [WIDGET / "dist" / name for name in ("checkout.js", "pay.js", "dashboard.js")]
    if not all(p.exists() for p in outputs) or min(p.stat().st_mtime for p in outputs) < _newest_source_mtime():
        subprocess.run([NPM, "run", "build", "--silent"], cwd=WIDGET, check=True)


@dataclass(frozen=True)
class Widget:
    base: str  # the shop and dashboard origin, e.g. http://127.0.0.1:41234
    frame_origin: str  # the hosted payment page's origin
    port: int  # of ``base``

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@contextmanager
def serve_widget(api_url: str, log_path: Path, **env: str) -> Iterator[Widget]:
    """``node server.js`` on two free ports against ``api_url``; ``env`` adds to or overrides the settings."""
    _build_widget()
    port, frame_port = free_port(), free_port()
    settings = {"PORT": str(port), "FRAME_PORT": str(frame_port), "API_BASE_URL": api_url, **env}
    server = NodeServer(["server.js"], WIDGET, settings, log_path, f"http://127.0.0.1:{frame_port}/healthz")
    try:
        yield Widget(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{frame_port}", port)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def widget(api_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Widget]:
    """The widget server as a developer runs it: test mode, on loopback (so the dashboard can fetch its key)."""
    log_path = tmp_path_factory.mktemp("widget") / "server.log"
    with serve_widget(api_url, log_path, HOST="127.0.0.1", TEST_MODE="true") as served:
        yield served


@pytest.fixture
def merchant(tmp_path: Path) -> Iterator[MerchantReceiver]:
    """The test merchant on a free port, registered like the seed's endpoint (same secret, all events)."""
    port = free_port()
    # No secret: the receiver's default is the seed's secret, as with `make up`.
    merchant = MerchantReceiver(port, tmp_path / "merchant.log")
    with db.transaction() as tx:
        webhook_endpoints.insert(
            tx,
            seed.MERCHANT_ID,
            merchant.url,
            None,
            seed.WEBHOOK_SECRET,
            "Test merchant",
            endpoint_id=seed.ENDPOINT_ID,
        )
    try:
        yield merchant
    finally:
        merchant.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert CHROMIUM is not None
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class PageLog:
    """What the page said: console lines and uncaught errors, from the page and its frames."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def has(self, text: str) -> bool:
        return any(text in line for line in self.console)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-IN", timezone_id="Asia/Kolkata")
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(context: BrowserContext, page_log: PageLog) -> Iterator[Page]:
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        page_log.console.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page_log.errors.append(str(error)))
    yield page
    # Any uncaught exception in the shop, the frame or the dashboard fails the test that caused it.
    assert page_log.errors == [], page_log.errors


def poll(page: Page, condition: Callable[[], Any], timeout_s: float = 10) -> Any:
    """Like ``wait_until``, but lets Playwright process browser events (console, frames) meanwhile.

    The sync API only takes in events while it is called, so a ``time.sleep`` loop would never see
    a console line arrive.
    """
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        page.wait_for_timeout(50)
    return value


def payment_frame(page: Page) -> Frame:
    """The hosted payment page inside the open checkout modal, once it has its options."""
    iframe = page.wait_for_selector('iframe[title="Secure payment form"]')
    frame = iframe.content_frame() if iframe else None
    assert frame is not None
    frame.wait_for_selector("#app:not(.is-loading)")
    return frame


@pytest.fixture
def axe_page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    """A page whose every document (the payment frame's too) has axe-core loaded before its own scripts.

    An init script, not a <script> tag: the pages' Content-Security-Policy would block an inline one.
    """
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-IN")
    ctx.set_default_timeout(10_000)
    ctx.add_init_script(path=AXE)
    page = ctx.new_page()
    page.on("pageerror", lambda error: page_log.errors.append(str(error)))
    try:
        yield page
        assert page_log.errors == [], page_log.errors
    finally:
        ctx.close()


def axe_violations(target: Page | Frame) -> list[dict[str, Any]]:
    """Violations of impact serious or critical that axe-core finds in this document."""
    result = target.evaluate(
        """async () => {
            const results = await axe.run(document, { iframes: false, resultTypes: ["violations"] });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
