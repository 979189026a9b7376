"""Endpoint health in the webhook console: why an endpoint was disabled, re-enabling it, recovering
its failed deliveries (issue 11)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Widget, axe_violations
from tests.browser.test_dashboard import delivery_rows, endpoint_card, open_dashboard
from tests.conftest import Api, Poller, Receiver, wait_until


def test_a_disabled_endpoint_shows_why_and_re_enables_with_one_click(
    axe_page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    receiver.default_status = 410
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    assert api.post(f"/webhook-endpoints/{endpoint['id']}/test").status_code == 202
    wait_until(lambda: api.get(f"/webhook-endpoints/{endpoint['id']}").json()["enabled"] is False)
    page = axe_page
    open_dashboard(page, widget)

    card = endpoint_card(page, receiver.url)
    expect(card.locator(".badge")).to_have_text("Disabled")
    health = card.locator("[data-health='disabled']")
    expect(health).to_contain_text("Disabled by the gateway")
    expect(health).to_contain_text("410 Gone")
    expect(card.get_by_role("button", name="Recover failed deliveries")).to_have_count(0)  # enable it first
    assert axe_violations(page) == []

    reenable = card.get_by_role("button", name="Re-enable")
    reenable.focus()
    page.keyboard.press("Enter")

    expect(card.locator(".badge")).to_have_text("Enabled")
    expect(card.locator("[data-health]")).to_have_count(0)
    expect(card.get_by_role("button", name="Disable")).to_be_focused()
    expect(page.locator("#toast")).to_contain_text(f"Re-enabled {receiver.url}")
    after = api.get(f"/webhook-endpoints/{endpoint['id']}").json()
    assert (after["enabled"], after["disabled_reason"], after["consecutive_failures"]) == (True, None, 0)


def test_recover_failed_deliveries_sends_them_again_after_a_confirmation(
    page: Page, widget: Widget, api: Api, pollers: Poller, receiver: Receiver
) -> None:
    pollers.start(WEBHOOK_RETRY_INTERVALS="0")  # one attempt, then failed
    receiver.default_status = 503
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    delivery = api.post(f"/webhook-endpoints/{endpoint['id']}/test").json()
    wait_until(lambda: api.get(f"/webhooks/{delivery['id']}").json()["status"] == "failed")
    open_dashboard(page, widget)
    card = endpoint_card(page, receiver.url)
    expect(card.locator("[data-health='failing']")).to_contain_text("1 failed attempt")
    expect(delivery_rows(page, "webhook.test").locator(".badge")).to_have_text("Failed")

    receiver.default_status = 200
    card.get_by_label(re.compile("^Recover failed deliveries to .* from the$")).select_option(label="last hour")
    card.get_by_role("button", name="Recover failed deliveries").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Recover failed deliveries?")
    expect(dialog).to_contain_text("from the last hour")
    dialog.get_by_role("button", name="Recover").click()

    expect(page.locator("#toast")).to_contain_text("Sending 1 failed delivery again.")
    expect(delivery_rows(page, "webhook.test").locator(".badge")).to_have_text("Succeeded", timeout=15_000)
    log = api.get(f"/webhooks/{delivery['id']}").json()["attempt_log"]
    assert [(a["trigger"], a["response_code"]) for a in log] == [("scheduled", 503), ("manual", 200)]


def test_cancelling_the_recover_confirmation_sends_nothing(
    page: Page, widget: Widget, api: Api, receiver: Receiver
) -> None:
    api.post("/webhook-endpoints", json={"url": receiver.url})
    open_dashboard(page, widget)

    endpoint_card(page, receiver.url).get_by_role("button", name="Recover failed deliveries").click()
    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#toast")).not_to_contain_text("again")
