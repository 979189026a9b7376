"""The payments page of the dashboard (issue 11): payments and orders, one payment's refunds, events and
deliveries, capture and refund behind a confirmation, by mouse and by keyboard, in Chromium."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Widget, axe_violations
from tests.conftest import Api, Poller, Receiver, create_endpoint, payment_body, settled_payment, wait_until


def open_payments(page: Page, widget: Widget, fragment: str = "") -> None:
    page.goto(widget.url(f"/dashboard-payments.html{fragment}"))
    # Test mode: the seed's key is filled in and used straight away, as on the webhooks page.
    expect(page.get_by_label("API key")).to_have_value("key_test_123")
    expect(page.locator("#key-status")).to_contain_text("Connected")


def paid(api: Api, **overrides: Any) -> dict[str, Any]:
    """A payment made through the API, once the poller has settled it."""
    created = api.post("/payments", json=payment_body(**overrides))
    assert created.status_code == 201, created.text
    return settled_payment(api, created.json()["id"])


def payment_rows(page: Page) -> Locator:
    return page.locator("#payment-rows tr.row")


def detail(page: Page) -> Locator:
    return page.locator("#payment-detail")


def fact(page: Page, term: str) -> Locator:
    """The value of one field in the payment's detail (<dt>term</dt><dd>value</dd>)."""
    return detail(page).locator(f"dt:text-is('{term}') + dd")


def no_deliveries_pending(api: Api) -> bool:
    return bool(api.get("/webhooks", params={"status": "pending"}).json()["total"] == 0)


def is_focused(locator: Locator) -> bool:
    return bool(locator.evaluate("node => node === document.activeElement"))


def tab_to(page: Page, target: Locator, *, backwards: bool = False, most: int = 60) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has focus, as a keyboard user would."""
    for _ in range(most):
        if is_focused(target):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    expect(target).to_be_focused()


def test_the_list_shows_payments_made_through_the_api_and_filters_them(
    page: Page, widget: Widget, api: Api, poller: Poller
) -> None:
    card = paid(api, order_id="web_1001")
    upi = paid(api, method="upi", card=None, vpa="success@upi", amount=25050, order_id="web_1002")
    assert (card["status"], upi["status"]) == ("success", "success")

    # From the webhooks page, by its nav.
    page.goto(widget.url("/dashboard-webhooks.html"))
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Payments").click()
    expect(page).to_have_url(re.compile(r"/dashboard-payments\.html$"))
    expect(page.get_by_role("link", name="Payments")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="API reference")).to_be_visible()
    expect(page.locator("#key-status")).to_contain_text("Connected")

    expect(payment_rows(page)).to_have_count(2)
    expect(page.locator("#payments-page-info")).to_have_text("1–2 of 2")
    upi_row = payment_rows(page).filter(has=page.get_by_role("link", name=upi["id"]))
    expect(upi_row).to_contain_text("₹250.50")
    expect(upi_row).to_contain_text("UPI success@upi")
    expect(upi_row).to_contain_text("web_1002")
    expect(upi_row.locator(".badge")).to_have_text("Uncaptured")
    card_row = payment_rows(page).filter(has=page.get_by_role("link", name=card["id"]))
    expect(card_row).to_contain_text("₹500.00")
    expect(card_row).to_contain_text("Visa •••• 1111")

    page.get_by_label("Method").select_option("upi")
    expect(payment_rows(page)).to_have_count(1)
    expect(payment_rows(page)).to_contain_text(upi["id"])
    page.get_by_label("Method").select_option("")
    page.get_by_label("Order ID").fill("web_1001")
    page.get_by_label("Order ID").press("Enter")
    expect(payment_rows(page)).to_have_count(1)
    expect(payment_rows(page)).to_contain_text(card["id"])
    page.get_by_label("Status", exact=True).select_option("failed")
    expect(payment_rows(page)).to_have_count(0)
    expect(page.get_by_text("No payments match these filters.")).to_be_visible()


def test_the_list_pages_through_many_payments(page: Page, widget: Widget, api: Api, poller: Poller) -> None:
    ids = [api.post("/payments", json=payment_body(order_id=f"web_{n}")).json()["id"] for n in range(12)]
    for payment_id in ids:
        settled_payment(api, payment_id)
    open_payments(page, widget)
    page.get_by_label("Per page").select_option("10")

    expect(page.locator("#payments-page-info")).to_have_text("1–10 of 12")
    pager = page.get_by_role("navigation", name="Payment pages")
    expect(pager.get_by_role("button", name="Previous")).to_be_disabled()
    pager.get_by_role("button", name="Next").click()
    expect(page.locator("#payments-page-info")).to_have_text("11–12 of 12")
    expect(payment_rows(page)).to_have_count(2)
    expect(pager.get_by_role("button", name="Next")).to_be_disabled()


def test_opening_a_payment_shows_its_refunds_events_and_deliveries(
    page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    create_endpoint(api, receiver.url)
    payment = paid(api, order_id="web_2001", description="Two cups")
    assert api.post(f"/payments/{payment['id']}/capture").status_code == 200
    refund = api.post(
        f"/payments/{payment['id']}/refunds",
        json={"amount": 10000, "reason": "One cup broke"},
        headers={"Idempotency-Key": "test-refund-1"},
    ).json()
    wait_until(lambda: api.get(f"/payments/{payment['id']}").json()["amount_refunded"] == 10000)
    wait_until(lambda: no_deliveries_pending(api))

    open_payments(page, widget)
    page.get_by_role("link", name=payment["id"]).click()

    expect(page).to_have_url(re.compile(f"#payment={payment['id']}$"))
    expect(page.locator("#lists")).to_be_hidden()
    expect(page.get_by_role("heading", name="Payment of ₹500.00")).to_be_focused()
    expect(fact(page, "Status")).to_have_text("Partially refunded")
    expect(fact(page, "Payment ID")).to_have_text(payment["id"])
    expect(fact(page, "Method")).to_have_text("Visa •••• 1111 (expires 12/2035)")
    expect(fact(page, "Order")).to_have_text("web_2001")
    expect(fact(page, "Captured")).to_have_text(re.compile(r"^Yes, \d{4}-\d\d-\d\d "))
    expect(fact(page, "Amount refunded")).to_have_text("₹100.00")
    expect(fact(page, "Description")).to_have_text("Two cups")
    expect(page.get_by_role("button", name="Capture payment")).to_be_hidden()  # captured already

    refund_row = detail(page).locator(f"tr[data-refund-id='{refund['id']}']")
    expect(refund_row).to_contain_text("₹100.00")
    expect(refund_row).to_contain_text("Processed")
    expect(refund_row).to_contain_text("One cup broke")
    expect(page.get_by_label("Refund amount (INR)")).to_be_visible()
    expect(page.locator("#refund-amount-hint")).to_have_text(
        "Up to ₹400.00 can be refunded (₹100.00 already refunded or on its way)."
    )

    # The payment's events and its refund's, newest first, each with where it was delivered.
    events = detail(page).locator("li.event")
    names = {"payment.created", "payment.success", "payment.captured", "refund.created", "refund.processed"}
    expect(events.filter(has_text=re.compile("|".join(map(re.escape, names))))).to_have_count(len(names))
    for name in names:
        sent = page.get_by_role("list", name=f"Deliveries of {name}")
        expect(sent).to_contain_text(receiver.url)
        expect(sent.locator(".badge")).to_have_text("Succeeded")
        expect(sent).to_contain_text("HTTP 200")
    first, last = events.first.get_attribute("data-event"), events.last.get_attribute("data-event")
    assert (first, last) == ("refund.processed", "payment.created")

    # Back to the list by its link: focus returns to the payment that was open.
    page.get_by_role("link", name="← All payments").click()
    expect(page.locator("#lists")).to_be_visible()
    expect(page.get_by_role("link", name=payment["id"])).to_be_focused()

    # A payment's URL opens it directly, as a link shared by a colleague would.
    open_payments(page, widget, f"#payment={payment['id']}")
    expect(page.get_by_role("heading", name="Payment of ₹500.00")).to_be_visible()
    expect(page.locator("#lists")).to_be_hidden()


def test_capture_asks_for_confirmation_and_cancelling_captures_nothing(
    page: Page, widget: Widget, api: Api, poller: Poller
) -> None:
    payment = paid(api)
    assert payment["captured"] is False
    open_payments(page, widget, f"#payment={payment['id']}")
    expect(fact(page, "Status")).to_have_text("Uncaptured")
    capture = page.get_by_role("button", name="Capture payment")

    capture.click()
    dialog = page.get_by_role("dialog", name="Capture this payment?")
    expect(dialog).to_contain_text("₹500.00 from Visa •••• 1111 will be captured")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(capture).to_be_focused()
    assert api.get(f"/payments/{payment['id']}").json()["captured"] is False

    capture.click()
    dialog.get_by_role("button", name="Capture ₹500.00").click()

    expect(page.locator("#toast")).to_have_text(f"Captured ₹500.00 of {payment['id']}.")
    expect(fact(page, "Captured")).to_have_text(re.compile("^Yes, "))
    expect(fact(page, "Status")).to_have_text("Succeeded")
    expect(capture).to_be_hidden()
    expect(detail(page).locator("li.event[data-event='payment.captured']")).to_have_count(1)
    assert api.get(f"/payments/{payment['id']}").json()["captured"] is True


def test_a_partial_refund_after_confirmation_and_a_too_large_one_shows_the_api_error(
    page: Page, widget: Widget, api: Api, poller: Poller
) -> None:
    payment = paid(api)
    open_payments(page, widget, f"#payment={payment['id']}")
    expect(page.locator("#refund-amount-hint")).to_have_text("Up to ₹500.00 can be refunded.")
    amount = page.get_by_label("Refund amount (INR)")

    amount.fill("abc")
    page.get_by_role("button", name="Refund…").click()
    expect(page.locator("#refund-amount-error")).to_have_text("Enter an amount in INR, like 120.50.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()

    amount.fill("120.50")
    page.get_by_label("Reason").fill("Late delivery")
    page.get_by_role("button", name="Refund…").click()
    dialog = page.get_by_role("dialog", name="Refund this payment?")
    expect(dialog).to_contain_text("₹120.50 of ₹500.00 goes back to Visa •••• 1111, with the reason “Late delivery”")
    dialog.get_by_role("button", name="Refund ₹120.50").click()

    expect(page.locator("#toast")).to_contain_text("Refund of ₹120.50 created")
    refunds = api.get(f"/payments/{payment['id']}/refunds").json()["data"]
    assert [(r["amount"], r["reason"]) for r in refunds] == [(12050, "Late delivery")]
    row = detail(page).locator(f"tr[data-refund-id='{refunds[0]['id']}']")
    expect(row).to_contain_text("₹120.50")
    expect(row).to_contain_text("Late delivery")
    expect(row.locator(".badge")).to_have_text("Processed", timeout=15_000)
    expect(page.locator("#refund-amount-hint")).to_contain_text("Up to ₹379.50 can be refunded")
    expect(amount).to_have_value("")
    expect(amount).not_to_have_attribute("aria-invalid", "true")

    # More than is left: the page sends it, and shows the API's description at the amount field.
    amount.fill("400")
    page.get_by_role("button", name="Refund…").click()
    page.get_by_role("dialog").get_by_role("button", name="Refund ₹400.00").click()
    expect(page.locator("#refund-amount-error")).to_have_text(
        "amount exceeds what is left to refund on this payment (37950)"
    )
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    assert api.get(f"/payments/{payment['id']}/refunds").json()["total"] == 1


def test_the_orders_list_shows_an_order_its_status_and_its_payments(
    page: Page, widget: Widget, api: Api, poller: Poller
) -> None:
    order = api.post("/orders", json={"amount": 12345, "currency": "USD", "receipt": "web_3001"}).json()
    unpaid = api.post("/orders", json={"amount": 999, "currency": "INR", "receipt": "web_3002"}).json()
    payment = paid(api, amount=12345, currency="USD", order_id=order["id"])
    wait_until(lambda: api.get(f"/orders/{order['id']}").json()["status"] == "paid")
    open_payments(page, widget)

    orders = page.locator("#order-rows tr.row")
    row = orders.filter(has_text=order["id"])
    expect(row).to_contain_text("$123.45")
    expect(row).to_contain_text("web_3001")
    expect(row.locator(".badge")).to_have_text("Paid")
    expect(orders.filter(has_text=unpaid["id"]).locator(".badge")).to_have_text("Created")

    page.get_by_label("Order status").select_option("paid")
    expect(orders).to_have_count(1)
    expect(orders).to_contain_text(order["id"])
    page.get_by_label("Order status").select_option("")
    page.get_by_label("Receipt").fill("web_3002")
    page.get_by_label("Receipt").press("Enter")
    expect(orders).to_have_count(1)
    expect(orders).to_contain_text(unpaid["id"])
    page.get_by_label("Receipt").fill("")
    page.get_by_label("Receipt").press("Enter")

    row.get_by_role("button", name=f"Payments of {order['id']}").click()
    payments = page.get_by_role("table", name=f"Payments of {order['id']}")
    expect(payments.get_by_role("link", name=payment["id"])).to_be_visible()
    payments.get_by_role("link", name=payment["id"]).click()
    expect(page.get_by_role("heading", name="Payment of $123.45")).to_be_focused()
    expect(fact(page, "Order")).to_have_text(order["id"])


def test_find_capture_refund_and_return_using_the_keyboard_only(
    page: Page, widget: Widget, api: Api, poller: Poller
) -> None:
    payment = paid(api)
    open_payments(page, widget)
    page.locator("body").focus()

    link = page.get_by_role("link", name=payment["id"])
    tab_to(page, link)
    page.keyboard.press("Enter")
    title = page.get_by_role("heading", name="Payment of ₹500.00")
    expect(title).to_be_focused()

    capture = page.get_by_role("button", name="Capture payment")
    tab_to(page, capture)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Capture this payment?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    # The modal dialog keeps focus in itself: Tab never reaches the page behind it.
    for _ in range(4):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "() => { const a = document.activeElement; return !a || a === document.body || !!a.closest('dialog'); }"
        )
        assert inside
    page.keyboard.press("Escape")  # a "no", and focus goes back to the button
    expect(dialog).to_be_hidden()
    expect(capture).to_be_focused()
    assert api.get(f"/payments/{payment['id']}").json()["captured"] is False
    page.keyboard.press("Enter")
    tab_to(page, dialog.get_by_role("button", name="Capture ₹500.00"))
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Captured ₹500.00")
    expect(title).to_be_focused()

    amount = page.get_by_label("Refund amount (INR)")
    tab_to(page, amount)
    page.keyboard.type("50")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reason")).to_be_focused()
    page.keyboard.type("Wrong size")
    page.keyboard.press("Enter")  # submits the form
    refund_dialog = page.get_by_role("dialog", name="Refund this payment?")
    expect(refund_dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(refund_dialog.get_by_role("button", name="Refund ₹50.00")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Refund of ₹50.00 created")
    expect(page.get_by_label("Reason")).to_be_focused()  # where Enter was pressed
    expect(page.get_by_label("Reason")).to_have_value("")

    tab_to(page, page.get_by_role("link", name="← All payments"), backwards=True)
    page.keyboard.press("Enter")
    expect(link).to_be_focused()
    expect(payment_rows(page).filter(has=link).locator(".badge")).to_have_text("Partially refunded")
    after = api.get(f"/payments/{payment['id']}").json()
    assert after["captured"] is True
    assert [r["amount"] for r in api.get(f"/payments/{payment['id']}/refunds").json()["data"]] == [5000]


def test_payments_page_has_no_serious_accessibility_violations(
    axe_page: Page, widget: Widget, api: Api, poller: Poller, receiver: Receiver
) -> None:
    page = axe_page
    create_endpoint(api, receiver.url)
    order = api.post("/orders", json={"amount": 50000, "currency": "INR", "receipt": "web_4001"}).json()
    payment = paid(api, order_id=order["id"])
    api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}, headers={"Idempotency-Key": "axe-1"})
    wait_until(lambda: no_deliveries_pending(api))
    open_payments(page, widget)
    expect(payment_rows(page)).to_have_count(1)
    page.get_by_role("button", name=f"Payments of {order['id']}").click()
    expect(page.get_by_role("table", name=f"Payments of {order['id']}")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name=payment["id"]).first.click()
    expect(detail(page).locator("li.event").first).to_be_visible()
    page.get_by_label("Refund amount (INR)").fill("x")
    page.get_by_role("button", name="Refund…").click()
    expect(page.locator("#refund-amount-error")).not_to_be_empty()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Capture payment").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert axe_violations(page) == []
