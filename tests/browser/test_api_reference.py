"""The API reference page (/docs/api.html): Redoc renders docs/openapi.json, served by the widget server alone."""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Request, expect

from tests.browser.conftest import PageLog, Widget
from tests.conftest import ROOT


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    return document


def _summaries(section: dict[str, Any]) -> list[str]:
    return [operation["summary"] for item in section.values() for operation in item.values() if "summary" in operation]


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url.removeprefix("blob:"))  # Redoc's search worker: blob:http://127.0.0.1:…/uuid
    if parts.scheme == "data":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _record_requests(page: Page) -> list[str]:
    urls: list[str] = []

    def on_request(request: Request) -> None:
        urls.append(request.url)

    page.on("request", on_request)
    return urls


def _operation(page: Page, summary: str) -> Locator:
    # Redoc's operation heading also holds a share link (named after the operation id) and, for a
    # webhook, a "Webhook" badge: match the summary inside it.
    return page.locator("h2", has_text=summary).first


def _open_reference(page: Page, widget: Widget) -> None:
    page.goto(widget.url("/docs/api.html"))
    expect(_operation(page, "Create a payment")).to_be_visible(timeout=20_000)


def test_reference_renders_every_operation_and_webhook_without_leaving_loopback(
    page: Page, widget: Widget, page_log: PageLog
) -> None:
    requests = _record_requests(page)
    _open_reference(page, widget)

    document = _document()
    # A stale dist/docs/openapi.json (docs/ regenerated, widget not rebuilt) fails here: npm run build.
    for summary in [*_summaries(document["paths"]), *_summaries(document["webhooks"])]:
        expect(_operation(page, summary)).to_be_attached()
    expect(_operation(page, "payment.success")).to_contain_text("Webhook")

    served = page.request.get(widget.url("/docs/openapi.json"))
    assert served.ok
    assert served.json() == document

    assert requests, "no requests recorded"
    assert [url for url in requests if not _is_loopback(url)] == []
    assert not page_log.has("Content Security Policy"), page_log.console


def test_reference_search_finds_operations(page: Page, widget: Widget, page_log: PageLog) -> None:
    # Redoc's search index runs in a Web Worker made from a Blob: the reason for worker-src blob:.
    _open_reference(page, widget)
    page.get_by_placeholder("Search...").fill("capture")
    results = page.locator("[data-role='search:results']")
    expect(results).to_contain_text("Capture a successful payment in full")
    assert not page_log.has("Content Security Policy"), page_log.console


def test_dashboard_links_to_the_api_reference(page: Page, widget: Widget) -> None:
    page.goto(widget.url("/dashboard-webhooks.html"))
    link = page.get_by_role("navigation", name="Developer resources").get_by_role("link", name="API reference")
    expect(link).to_have_attribute("href", "/docs/api.html")
    link.click()
    expect(page).to_have_url(widget.url("/docs/api.html"))
    expect(_operation(page, "Create a payment")).to_be_visible(timeout=20_000)
