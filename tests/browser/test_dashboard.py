"""The merchant's webhook console, driven in Chromium against the real API and poller."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Widget, axe_violations
from tests.conftest import Api, Poller, Receiver, payment_body, settled_payment


def open_dashboard(page: Page, widget: Widget) -> None:
    page.goto(widget.url("/dashboard-webhooks.html"))
    # Test mode: the seed's key is filled in and used straight away.
    expect(page.get_by_label("API key")).to_have_value("key_test_123")
    expect(page.locator("#key-status")).to_contain_text("Connected")


def endpoint_card(page: Page, url: str) -> Locator:
    return page.locator("article.endpoint", has=page.get_by_role("heading", name=url))


def delivery_rows(page: Page, event: str | None = None) -> Locator:
    rows = page.locator("#deliveries tr.row")
    return rows.filter(has=page.locator("td.event", has_text=re.compile(f"^{re.escape(event)}$"))) if event else rows


def test_add_an_endpoint_with_chosen_events_and_see_its_deliveries_arrive(
    page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    open_dashboard(page, widget)
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    expect(page.get_by_text("No deliveries yet")).to_be_visible()

    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("Order service")
    page.get_by_role("checkbox", name="All events").uncheck()
    page.get_by_role("checkbox", name="payment.created").check()
    page.get_by_role("checkbox", name="payment.success").check()
    page.locator("#add-form").get_by_role("button", name="Add endpoint").click()

    # The secret is base64 after its prefix: it may hold + and /.
    expect(page.locator("#new-secret-value")).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/]+=*$"))
    card = endpoint_card(page, receiver.url)
    expect(card).to_contain_text("Order service")
    expect(card.get_by_role("list", name="Events")).to_have_text(re.compile(r"payment\.created\s*payment\.success"))
    expect(card.locator(".badge")).to_have_text("Enabled")

    payment = api.post("/payments", json=payment_body())
    assert payment.status_code == 201, payment.text
    settled_payment(api, payment.json()["id"])

    # The log refreshes by itself: both subscribed events show up as delivered, and nothing else.
    expect(delivery_rows(page, "payment.success").locator(".badge")).to_have_text("Succeeded", timeout=15_000)
    expect(delivery_rows(page, "payment.created").locator(".badge")).to_have_text("Succeeded")
    expect(delivery_rows(page)).to_have_count(2)
    row = delivery_rows(page, "payment.success")
    expect(row).to_contain_text(receiver.url)
    expect(row).to_contain_text("HTTP 200")
    expect(row.locator("td").nth(4)).to_have_text("1")

    page.get_by_label("Event", exact=True).select_option("payment.created")
    expect(delivery_rows(page)).to_have_count(1)
    page.get_by_label("Status", exact=True).select_option("failed")
    expect(page.get_by_text("No deliveries match these filters.")).to_be_visible()


def test_a_failing_endpoint_shows_its_attempts_and_retry_makes_it_succeed(
    page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    receiver.default_status = 500
    created = api.post("/webhook-endpoints", json={"url": receiver.url, "description": "Flaky receiver"})
    assert created.status_code == 201, created.text
    open_dashboard(page, widget)

    endpoint_card(page, receiver.url).get_by_role("button", name="Send test event").click()

    expect(page.locator("#toast")).to_contain_text("Test event sent")
    row = delivery_rows(page, "webhook.test")
    expect(row.locator(".badge")).to_have_text("Retrying", timeout=15_000)
    expect(row).to_contain_text("HTTP 500")
    expect(row.locator("td").nth(7)).to_have_text(re.compile(r"in \d+ s|now"))

    row.get_by_role("button", name=re.compile("^Attempts of webhook.test")).click()
    details = page.locator("#deliveries tr.details:not([hidden])")
    first = details.locator("li.attempt[data-attempt='1']")
    expect(first).to_contain_text("HTTP 500")
    expect(first).to_contain_text("Scheduled")
    expect(first.locator("pre")).to_contain_text('"status": 500')
    expect(details.locator("summary", has_text="Event payload")).to_be_visible()

    receiver.default_status = 200
    row.get_by_role("button", name=re.compile("^Retry webhook.test")).click()

    expect(row.locator(".badge")).to_have_text("Succeeded", timeout=15_000)
    expect(row).to_contain_text("HTTP 200")
    # The open row follows along: the manual attempt and its answer appear in it.
    manual = details.locator("li.attempt", has_text="Manual retry")
    expect(manual).to_contain_text("HTTP 200")
    expect(manual.locator("pre")).to_contain_text('"status": 200')
    delivery = api.get(f"/webhooks/{row.get_attribute('data-delivery-id')}").json()
    assert delivery["status"] == "success"
    assert any(a["trigger"] == "manual" and a["response_code"] == 200 for a in delivery["attempt_log"])


def test_manage_an_endpoint_disable_reveal_rotate_and_delete(
    page: Page, widget: Widget, api: Api, receiver: Receiver
) -> None:
    created = api.post("/webhook-endpoints", json={"url": receiver.url}).json()
    open_dashboard(page, widget)
    card = endpoint_card(page, receiver.url)
    secret = card.locator("code[data-secret]")
    expect(secret).to_have_text(re.compile("…"))

    card.get_by_role("button", name="Disable").click()
    expect(card.locator(".badge")).to_have_text("Disabled")
    expect(card.get_by_role("button", name="Enable")).to_be_focused()
    assert api.get(f"/webhook-endpoints/{created['id']}").json()["enabled"] is False
    card.get_by_role("button", name="Enable").click()
    expect(card.locator(".badge")).to_have_text("Enabled")

    card.get_by_role("button", name="Reveal").click()
    expect(secret).to_have_text(created["secret"])
    card.get_by_role("button", name="Rotate secret").click()
    dialog = page.get_by_role("dialog", name="Rotate the signing secret?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Rotate secret").click()
    expect(page.locator("#toast")).to_contain_text("Secret rotated")
    revealed = api.get(f"/webhook-endpoints/{created['id']}", params={"reveal_secret": "true"}).json()["secret"]
    assert revealed != created["secret"]
    expect(secret).to_have_text(revealed)

    card.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete this endpoint?").get_by_role("button", name="Cancel").click()
    expect(card).to_be_visible()
    card.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete this endpoint?").get_by_role("button", name="Delete endpoint").click()
    expect(card).to_have_count(0)
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    assert api.get("/webhook-endpoints").json()["total"] == 0


def test_delivery_log_pages_through_many_deliveries(
    page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    # Two endpoints, six test events each: the API allows ten test events a minute per endpoint.
    for url in (receiver.url, f"{receiver.url}?second"):
        endpoint = api.post("/webhook-endpoints", json={"url": url}).json()
        for _ in range(6):
            assert api.post(f"/webhook-endpoints/{endpoint['id']}/test").status_code == 202
    open_dashboard(page, widget)
    page.get_by_label("Per page").select_option("10")

    expect(page.locator("#page-info")).to_have_text("1–10 of 12")
    expect(delivery_rows(page)).to_have_count(10)
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#page-info")).to_have_text("11–12 of 12")
    expect(delivery_rows(page)).to_have_count(2)
    expect(page.get_by_role("button", name="Next")).to_be_disabled()


def test_a_wrong_api_key_shows_a_clear_error(page: Page, widget: Widget) -> None:
    open_dashboard(page, widget)
    page.get_by_label("API key").fill("key_test_wrong")
    page.get_by_role("button", name="Connect").click()

    expect(page.get_by_role("alert")).to_contain_text("the API key was not accepted")
    expect(page.locator("#key-status")).to_have_text("Not connected.")


def test_dashboard_has_no_serious_accessibility_violations(
    axe_page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    receiver.default_status = 503
    endpoint = api.post("/webhook-endpoints", json={"url": receiver.url, "events": ["payment.success"]}).json()
    api.post(f"/webhook-endpoints/{endpoint['id']}/test")
    open_dashboard(axe_page, widget)
    row = delivery_rows(axe_page, "webhook.test")
    expect(row.locator(".badge")).to_have_text("Retrying", timeout=15_000)
    row.get_by_role("button", name=re.compile("^Attempts of")).click()
    expect(axe_page.locator("li.attempt").first).to_be_visible()
    axe_page.get_by_role("button", name="Add endpoint").click()

    assert axe_violations(axe_page) == []
