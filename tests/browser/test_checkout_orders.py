"""Checkout from an order made through the Orders API: the order's amount is shown and charged."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Frame, Page, expect

from tests.browser.conftest import PageLog, Widget, payment_frame, poll
from tests.browser.test_checkout import GOOD_CARD, fill_card
from tests.conftest import Api, Poller, wait_until

# The seed's integration, exactly as written: no amount, and its test key.
SEED_SNIPPET = """
new PaymentGateway({
  key: 'key_test_123',
  orderId: 'order_999',
  onSuccess: (data) => console.log('Payment Success:', data.paymentId),
  onFailure: (error) => console.log('Payment Failed:', error.code, error.message),
}).open();
"""

# A merchant's own integration, with the options a test passes in.
OPEN_CHECKOUT = """(options) => {
    new PaymentGateway({
        ...options,
        onSuccess: (data) => console.log('Payment Success:', data.paymentId, data.amount),
        onFailure: (error) => console.log('Payment Failed:', error.code, error.message),
    }).open();
}"""


def create_order(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/orders", json=fields)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def open_checkout(page: Page, widget: Widget, **options: Any) -> Frame:
    """The shop's page (for the SDK's <script>), with a checkout opened by the options given."""
    page.goto(widget.url("/checkout.html"))
    page.evaluate(OPEN_CHECKOUT, options)
    return payment_frame(page)


def pay_by_card(page: Page, page_log: PageLog, frame: Frame) -> str:
    """Pays with the good test card; the payment's id, as the merchant's onSuccess got it."""
    fill_card(frame, GOOD_CARD)
    frame.get_by_role("button", name="Pay Now").click()
    expect(frame.get_by_role("heading", name="Payment successful")).to_be_visible()
    line = poll(page, lambda: next((line for line in page_log.console if line.startswith("Payment Success:")), None))
    payment_id = re.search(r"pay_\w+", line)
    assert payment_id is not None, line
    return payment_id.group(0)


def test_an_order_made_through_the_api_is_shown_charged_and_then_paid(
    page: Page, page_log: PageLog, widget: Widget, api: Api, poller: Poller
) -> None:
    order = create_order(api, amount=12345, currency="USD", receipt="web_1042")
    frame = open_checkout(page, widget, key="pk_test_123", orderId=order["id"], name="Chai & Co.")

    expect(frame.locator("#amount")).to_have_text("$123.45")
    expect(frame.locator("#order")).to_have_text(f"Order {order['id']}")
    payment_id = pay_by_card(page, page_log, frame)

    expect(frame.locator("#done-amount")).to_have_text("$123.45 paid")
    payment = api.get(f"/payments/{payment_id}").json()
    assert (payment["status"], payment["amount"], payment["currency"]) == ("success", 12345, "USD")
    assert payment["order_id"] == order["id"]
    assert wait_until(lambda: api.get(f"/orders/{order['id']}").json()["status"] == "paid")
    # The page gave no amount, and the order supplied one: nothing to warn about.
    assert not page_log.has("ignored for order")
    assert not page_log.has("no amount given")

    # Opened again, the paid order says so and offers nothing to pay.
    frame.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.evaluate(OPEN_CHECKOUT, {"key": "pk_test_123", "orderId": order["id"], "name": "Chai & Co."})
    frame = payment_frame(page)
    expect(frame.get_by_role("heading", name="This order is already paid")).to_be_visible()
    paid = f"$123.45 was paid for order {order['id']}. There is nothing more to pay."
    expect(frame.locator("#paid-amount")).to_have_text(paid)
    expect(frame.get_by_role("button", name="Pay Now")).to_be_hidden()
    assert api.get(f"/orders/{order['id']}/payments").json()["total"] == 1


def test_an_amount_from_the_page_that_disagrees_with_the_order_is_ignored_with_a_warning(
    page: Page, page_log: PageLog, widget: Widget, api: Api, poller: Poller
) -> None:
    order = create_order(api, amount=12345, currency="USD")
    frame = open_checkout(page, widget, key="pk_test_123", orderId=order["id"], amount=100, name="Chai & Co.")

    expect(frame.locator("#amount")).to_have_text("$123.45")
    poll(
        page,
        lambda: page_log.has(
            f"PaymentGateway: amount 100 USD ignored for order {order['id']}: the gateway's order is for 12345 USD"
        ),
    )
    payment_id = pay_by_card(page, page_log, frame)

    payment = api.get(f"/payments/{payment_id}").json()
    assert (payment["amount"], payment["currency"], payment["order_id"]) == (12345, "USD", order["id"])
    assert page_log.has(f"Payment Success: {payment_id} 12345")
    assert wait_until(lambda: api.get(f"/orders/{order['id']}").json()["status"] == "paid")


def test_the_seed_snippet_on_the_demo_shop_charges_the_order_its_server_made(
    page: Page, page_log: PageLog, widget: Widget, api: Api, poller: Poller
) -> None:
    page.goto(widget.url("/checkout.html"))
    # The shop's server made the order with its secret key; the page never saw that key.
    made = api.get("/orders/order_999").json()
    assert (made["amount"], made["currency"], made["status"], made["receipt"]) == (50000, "INR", "created", "order_999")
    assert "key_test_" not in page.content()

    page.evaluate(f"() => {{ {SEED_SNIPPET} }}")
    frame = payment_frame(page)
    expect(frame.locator("#amount")).to_have_text("₹500.00")
    payment_id = pay_by_card(page, page_log, frame)

    payment = api.get(f"/payments/{payment_id}").json()
    assert (payment["status"], payment["amount"], payment["currency"]) == ("success", 50000, "INR")
    assert payment["order_id"] == "order_999"
    assert wait_until(lambda: api.get(f"/orders/{made['id']}").json()["status"] == "paid")
    # The order supplied the amount the snippet leaves out: no fallback, no warning.
    assert not page_log.has("no amount given")
    assert not page_log.has("ignored for order")

    # The next shopper gets a fresh order: receipt order_999 now names an unpaid one.
    page.goto(widget.url("/checkout.html"))
    fresh = api.get("/orders/order_999").json()
    assert fresh["id"] != made["id"]
    assert (fresh["amount"], fresh["status"]) == (50000, "created")


def test_an_order_id_the_gateway_does_not_know_is_free_form_and_charges_the_page_amount(
    page: Page, page_log: PageLog, widget: Widget
) -> None:
    frame = open_checkout(page, widget, key="pk_test_123", orderId="cart_77", amount=2500, name="Chai & Co.")
    expect(frame.locator("#amount")).to_have_text("₹25.00")
    expect(frame.get_by_role("button", name="Pay Now")).to_be_visible()

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.evaluate(OPEN_CHECKOUT, {"key": "pk_test_123", "orderId": "cart_78", "name": "Chai & Co."})
    frame = payment_frame(page)
    expect(frame.locator("#amount")).to_have_text("₹500.00")
    poll(page, lambda: page_log.has("no amount given for order cart_78, and the gateway found no order"))
    # Console lines arrive in order, so the first checkout's would be here by now: it gave an amount.
    assert not page_log.has("cart_77")
