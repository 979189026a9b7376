"""Take the README's screenshots from a running ``make up`` stack, in Debian's Chromium.

    make up                                    # in one terminal
    .venv/bin/python -m tests.browser.screenshots   # in another: writes docs/*.png

It pays for the demo order, refunds part of it, sends a test event, and adds an endpoint that
nobody listens on (so the delivery log shows failures and retries) unless one is there already.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import requests
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
API = os.environ.get("API_BASE_URL", "http://localhost:8000/api/v1")
WIDGET = os.environ.get("WIDGET_URL", "http://localhost:3001")
KEY = os.environ.get("API_KEY", "key_test_123")
OUT = ROOT / "docs"
OFFLINE_URL = "http://localhost:4999/webhook"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def api(method: str, path: str, **kwargs: object) -> requests.Response:
    response = requests.request(method, f"{API}{path}", headers={"X-Api-Key": KEY}, timeout=10, **kwargs)  # type: ignore[arg-type]
    response.raise_for_status()
    return response


def checkout_modal(page: Page) -> str:
    page.goto(f"{WIDGET}/checkout.html")
    page.get_by_role("button", name="Pay Now").click()
    handle = page.wait_for_selector('iframe[title="Secure payment form"]')
    frame = handle.content_frame() if handle else None
    assert frame is not None
    frame.wait_for_selector("#app:not(.is-loading)")
    frame.get_by_label("Card number").fill("4111 1111 1111 1111")
    frame.get_by_label("Expiry date").fill("12 / 30")
    frame.get_by_label("Security code").fill("123")
    frame.get_by_label("Name on card").click()
    page.wait_for_timeout(400)
    page.screenshot(path=OUT / "checkout-modal.png")
    frame.get_by_role("button", name="Pay Now").click()
    expect(frame.get_by_role("heading", name="Payment successful")).to_be_visible(timeout=15_000)
    match = re.search(r"pay_\w+", page.locator("#result").inner_text())
    assert match, "the shop shows no payment id"
    return match.group(0)


def dashboard(page: Page) -> None:
    page.set_viewport_size({"width": 1360, "height": 1000})
    page.goto(f"{WIDGET}/dashboard-webhooks.html")
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Connect").click()
    row = page.locator("#deliveries tr.row", has=page.locator("td.url", has_text=OFFLINE_URL)).first
    expect(row).to_be_visible(timeout=15_000)
    row.get_by_role("button", name=re.compile("^Attempts of")).click()
    expect(page.locator("li.attempt").first).to_be_visible()
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    page.screenshot(path=OUT / "dashboard-webhooks.png", full_page=True)


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    endpoints = api("GET", "/webhook-endpoints").json()["data"]
    if not any(e["url"] == OFFLINE_URL for e in endpoints):
        api(
            "POST",
            "/webhook-endpoints",
            json={
                "url": OFFLINE_URL,
                "description": "Analytics (offline)",
                "events": ["payment.success", "refund.processed"],
            },
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="en-IN")
            payment_id = checkout_modal(page)
            api("POST", f"/payments/{payment_id}/refunds", json={"amount": 5000, "reason": "Customer requested"})
            seeded = next((e for e in endpoints if e["url"] != OFFLINE_URL), None)
            if seeded:
                api("POST", f"/webhook-endpoints/{seeded['id']}/test")
            page.wait_for_timeout(5000)  # refund processing and the first retries
            dashboard(page)
        finally:
            browser.close()
    print(f"wrote {OUT / 'checkout-modal.png'} and {OUT / 'dashboard-webhooks.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
