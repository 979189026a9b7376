"""Secret keys stay out of pages: what the widget server serves, who may read the test key, the SDK's key rules.

A secret key (``key_test_…``, ``key_live_…``) can refund payments. The widget server writes none
into a page or script; in test mode on loopback the dashboard fetches the test key from
``/dev/test-key``, which only the dashboard's own same-origin fetch() may read.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, WIDGET, PageLog, Widget, poll, serve_widget
from tests.conftest import API_KEY, NODE

# A key itself, not a mention of its prefix ("key_test_…" in a placeholder, "key_live_" in the SDK's check).
KEY_SHAPED = re.compile(r"key_(?:test|live)_[A-Za-z0-9]")
ASK_FOR_KEY = "Enter your API key to see your endpoints and deliveries."

FETCH_ALL = """async (paths) => Promise.all(paths.map(async (path) => {
    const response = await fetch(path, { cache: "no-store" });
    return [path, response.status, await response.text()];
}))"""

LOAD_SCRIPT = """(url) => new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => resolve("load");
    script.onerror = () => resolve("error");
    document.head.append(script);
})"""

CROSS_ORIGIN_FETCH = """async ([url, mode]) => {
    try {
        const response = await fetch(url, { mode });
        return "read: " + (await response.text());
    } catch (error) {
        return "refused: " + error.name;
    }
}"""


def served_paths() -> dict[str, list[str]]:
    """Every file path each origin serves, read from server/files.js itself, so a new file is covered too."""
    assert NODE is not None
    script = (
        'const m = await import("./server/files.js");'
        "console.log(JSON.stringify({ main: Object.keys(m.MAIN_FILES), frame: Object.keys(m.FRAME_FILES) }));"
    )
    out = subprocess.run(
        [NODE, "--input-type=module", "-e", script], cwd=WIDGET, check=True, capture_output=True, text=True
    )
    paths: dict[str, list[str]] = json.loads(out.stdout)
    return paths


class OtherSite:
    """Another origin on loopback, serving one blank page: the site that would like the key."""

    def __init__(self, host: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"<!doctype html><title>Another site</title><p>Another site</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Wire:
    """What went over the network for a page, from Chromium's DevTools protocol.

    Playwright reports no response for a request the browser then blocks (CORS, CORP), but the
    protocol's *ExtraInfo events still carry the headers sent and the status that came back.
    """

    def __init__(self, page: Page) -> None:
        self.urls: dict[str, str] = {}
        self.sent: dict[str, dict[str, str]] = {}
        self.received: dict[str, tuple[int, dict[str, str]]] = {}
        session = page.context.new_cdp_session(page)
        session.on("Network.requestWillBeSent", self._on_request)
        session.on("Network.requestWillBeSentExtraInfo", self._on_sent)
        session.on("Network.responseReceivedExtraInfo", self._on_received)
        session.send("Network.enable")

    def _on_request(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _on_sent(self, event: dict[str, Any]) -> None:
        self.sent[event["requestId"]] = {k.lower(): v for k, v in event["headers"].items()}

    def _on_received(self, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["headers"].items()}
        self.received[event["requestId"]] = (event["statusCode"], headers)

    def exchanges(self, url: str) -> list[tuple[dict[str, str], int, dict[str, str]]]:
        """(request headers, status, response headers) of each request to ``url`` that was answered."""
        ids = [i for i, u in self.urls.items() if u == url and i in self.sent and i in self.received]
        return [(self.sent[i], *self.received[i]) for i in ids]


# 127.0.0.1 on another port is "same-site" to the widget (ports do not count), localhost is cross-site.
@pytest.fixture(params=["127.0.0.1", "localhost"])
def other_site(request: pytest.FixtureRequest) -> Iterator[OtherSite]:
    site = OtherSite(request.param)
    yield site
    site.close()


@pytest.fixture(params=["test-mode-on-loopback", "test-mode-on-every-interface"])
def any_widget(request: pytest.FixtureRequest, api_url: str, tmp_path: Path) -> Iterator[tuple[Widget, bool]]:
    """The widget server in test mode as a developer runs it (loopback) and as docker-compose does,
    and whether it serves the test key."""
    if request.param == "test-mode-on-loopback":
        yield request.getfixturevalue("widget"), True
        return
    with serve_widget(api_url, tmp_path / "widget.log", HOST="0.0.0.0", TEST_MODE="true") as served:
        yield served, False


def test_no_page_or_script_the_widget_serves_holds_a_secret_key(page: Page, any_widget: tuple[Widget, bool]) -> None:
    widget, serves_key = any_widget
    paths = served_paths()
    for origin, origin_paths in [
        (widget.base, ["/", "/config.js", "/healthz", *paths["main"]]),
        (widget.frame_origin, ["/config.js", "/healthz", *paths["frame"]]),
    ]:
        page.goto(f"{origin}/healthz")

        results = page.evaluate(FETCH_ALL, origin_paths)

        assert len(results) == len(origin_paths)
        for path, status, body in results:
            assert status == 200, f"{origin}{path}: {status} {body[:200]}"
            assert API_KEY not in body, f"{origin}{path} holds the secret key"
            assert not KEY_SHAPED.search(body), f"{origin}{path}: {KEY_SHAPED.search(body)}"
    # The dashboard's origin says where it may fetch the key from, if anywhere, and nothing more.
    page.goto(widget.url("/healthz"))
    [[_, _, config]] = page.evaluate(FETCH_ALL, ["/config.js"])
    assert f'"testKeyUrl":"{"/dev/test-key" if serves_key else ""}"' in config


def test_another_origin_can_read_the_test_key_neither_with_fetch_nor_with_a_script_tag(
    page: Page, widget: Widget, other_site: OtherSite
) -> None:
    key_url = widget.url("/dev/test-key")
    wire = Wire(page)
    page.goto(other_site.url)

    # fetch(): the server refuses (Sec-Fetch-Site), and without CORS headers the browser would
    # not hand the body over anyway.
    assert page.evaluate(CROSS_ORIGIN_FETCH, [key_url, "cors"]) == "refused: TypeError"
    # Not even an opaque answer: Cross-Origin-Resource-Policy makes Chromium fail the request.
    assert page.evaluate(CROSS_ORIGIN_FETCH, [key_url, "no-cors"]) == "refused: TypeError"
    # <script src>: refused too, so nothing runs (a JSON object would only be a syntax error).
    assert page.evaluate(LOAD_SCRIPT, key_url) == "error"
    # The server itself said no to all three, before any key was produced.
    exchanges = poll(page, lambda: found if len(found := wire.exchanges(key_url)) >= 3 else None)
    assert len(exchanges) == 3, exchanges
    expected_site = "same-site" if other_site.url.startswith("http://127.0.0.1:") else "cross-site"
    for sent, status, headers in exchanges:
        assert sent["sec-fetch-site"] == expected_site
        assert status == 403
        assert "access-control-allow-origin" not in headers

    # config.js loads fine from anywhere, and tells this site nothing it can use.
    assert page.evaluate(LOAD_SCRIPT, widget.url("/config.js")) == "load"
    config = page.evaluate("JSON.stringify(window.__PGW_CONFIG__)")
    assert API_KEY not in config
    assert not KEY_SHAPED.search(config)
    assert json.loads(config)["testKeyUrl"] == "/dev/test-key"


def test_after_dns_rebinding_the_dashboard_is_not_given_the_test_key(playwright: Playwright, widget: Widget) -> None:
    # A rebinding attack ends with the attacker's name resolving to 127.0.0.1: its page and the
    # widget server are then one origin to the browser, but requests still carry its Host.
    assert CHROMIUM is not None
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebound.test 127.0.0.1"]
    )
    try:
        page = browser.new_page()
        page.set_default_timeout(10_000)
        with page.expect_response(f"http://rebound.test:{widget.port}/dev/test-key") as answer:
            page.goto(f"http://rebound.test:{widget.port}/dashboard-webhooks.html")

        assert answer.value.status == 403  # its body: asked for again below (the dashboard never reads it)
        expect(page.locator("#key-status")).to_have_text(ASK_FOR_KEY)
        expect(page.get_by_label("API key")).to_have_value("")
        [status, body] = page.evaluate(
            "async () => { const r = await fetch('/dev/test-key'); return [r.status, await r.text()]; }"
        )
        assert status == 403
        assert API_KEY not in body
    finally:
        browser.close()


def test_the_dashboard_on_localhost_in_test_mode_fetches_its_key_and_works(page: Page, widget: Widget) -> None:
    with page.expect_response(f"http://localhost:{widget.port}/dev/test-key") as answer:
        page.goto(f"http://localhost:{widget.port}/dashboard-webhooks.html")

    assert answer.value.status == 200
    assert answer.value.headers["cache-control"] == "no-store"
    assert answer.value.headers["content-type"].startswith("application/json")
    assert "access-control-allow-origin" not in answer.value.headers
    assert answer.value.request.header_value("sec-fetch-site") == "same-origin"
    expect(page.get_by_label("API key")).to_have_value(API_KEY)
    expect(page.locator("#key-status")).to_contain_text("Connected")
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    expect(page.locator("#mode-badge")).to_be_visible()


@pytest.mark.parametrize(
    "settings",
    [{"HOST": "0.0.0.0", "TEST_MODE": "true"}, {"HOST": "127.0.0.1", "TEST_MODE": "false"}],
    ids=["test-mode-on-every-interface", "loopback-outside-test-mode"],
)
def test_the_test_key_is_not_served_off_loopback_or_outside_test_mode(
    page: Page, api_url: str, tmp_path: Path, settings: dict[str, str]
) -> None:
    with serve_widget(api_url, tmp_path / "widget.log", **settings) as widget:
        key_requests: list[str] = []
        page.on("request", lambda r: key_requests.append(r.url) if "/dev/test-key" in r.url else None)
        page.goto(widget.url("/dashboard-webhooks.html"))

        # The dashboard asks for the key, as it always did without test mode.
        expect(page.locator("#key-status")).to_have_text(ASK_FOR_KEY)
        expect(page.get_by_label("API key")).to_have_value("")
        assert key_requests == [], "config.js should not have pointed the dashboard to /dev/test-key"
        page.get_by_label("API key").fill(API_KEY)
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#key-status")).to_contain_text("Connected")

        # Asked for anyway, as the dashboard would (from a page without the dashboard's CSP, which
        # now leaves its own origin out of connect-src): there is nothing there.
        page.goto(widget.url("/healthz"))
        [[_, status, body]] = page.evaluate(FETCH_ALL, ["/dev/test-key"])
        assert (status, body) == (404, "Not found\n")


def test_the_sdk_warns_about_a_test_secret_key_and_refuses_a_live_one(
    page: Page, page_log: PageLog, widget: Widget
) -> None:
    page.goto(widget.url("/checkout.html"))
    expect(page.get_by_role("button", name="Pay Now")).to_be_visible()
    assert not page_log.has("secret key"), "the demo shop uses its publishable key"

    page.evaluate("() => { new PaymentGateway({ key: 'key_test_123', orderId: 'order_1', amount: 100 }); }")

    warning = poll(page, lambda: next((line for line in page_log.console if "secret key" in line), None))
    assert warning.startswith("PaymentGateway: key is a secret key (key_test_…)")
    assert "refund" in warning
    assert API_KEY not in warning

    refused = page.evaluate(
        """() => {
            try {
                new PaymentGateway({ key: "key_live_S3cr3tValue", orderId: "order_1", amount: 100 });
                return null;
            } catch (error) {
                return { isCheckoutError: error instanceof CheckoutError, code: error.code, message: error.message };
            }
        }"""
    )
    assert refused is not None, "a live secret key was accepted"
    assert (refused["isCheckoutError"], refused["code"]) == (True, "INVALID_OPTIONS")
    assert refused["message"].startswith(
        "key must be your publishable key (pk_live_… or pk_test_…), received a live secret key (key_live_…)"
    )
    assert "S3cr3t" not in refused["message"]

    page.evaluate("() => { new PaymentGateway({ key: 'pk_live_abc', orderId: 'order_1', amount: 100 }); }")
    assert sum("secret key" in line for line in page_log.console) == 1
