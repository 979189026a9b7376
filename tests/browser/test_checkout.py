"""The demo shop and the checkout SDK, driven in Chromium: pay, decline, validate, isolate."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.browser.conftest import PageLog, Widget, axe_violations, payment_frame, poll
from tests.conftest import Api, MerchantReceiver, Poller, wait_until

GOOD_CARD = "4111 1111 1111 1111"
DECLINED_CARD = "4000 0000 0000 0002"


def open_checkout(page: Page, widget: Widget) -> Frame:
    page.goto(widget.url("/checkout.html"))
    page.get_by_role("button", name="Pay Now").click()
    expect(page.get_by_role("dialog", name="Chai & Co.")).to_be_visible()
    return payment_frame(page)


def fill_card(frame: Frame, number: str, expiry: str = "12 / 34", cvv: str = "123") -> None:
    frame.get_by_label("Card number").fill(number)
    frame.get_by_label("Expiry date").fill(expiry)
    frame.get_by_label("Security code").fill(cvv)


def test_happy_path_pays_and_the_test_merchant_gets_signed_webhooks(
    page: Page, page_log: PageLog, widget: Widget, api: Api, poller: Poller, merchant: MerchantReceiver
) -> None:
    api_keys: list[str | None] = []
    page.context.on("request", lambda r: api_keys.append(r.headers.get("x-api-key")) if "/api/v1/" in r.url else None)
    frame = open_checkout(page, widget)
    fill_card(frame, GOOD_CARD)
    pay = frame.get_by_role("button", name=re.compile("Pay Now|Processing"))

    pay.click()

    expect(pay).to_have_text("Processing...")
    expect(pay).to_be_disabled()
    expect(frame.get_by_role("heading", name="Payment successful")).to_be_visible()
    expect(frame.get_by_role("status")).to_have_text("Payment successful. ₹500.00 paid.")
    result = page.locator("#result")
    expect(result).to_have_text(re.compile(r"Payment successful: pay_\w+"))
    payment_id = re.search(r"pay_\w+", result.inner_text())
    assert payment_id is not None
    payment_id_text = payment_id.group(0)
    poll(page, lambda: page_log.has(f"Payment Success: {payment_id_text}"))
    payment = api.get(f"/payments/{payment_id_text}").json()
    assert (payment["status"], payment["amount"], payment["order_id"]) == ("success", 50000, "order_999")
    assert payment["card"]["last4"] == "1111"
    # The shop's page holds only its publishable key, and the SDK had nothing to warn about.
    assert api_keys and set(api_keys) == {"pk_test_123"}, api_keys
    assert not page_log.has("secret key")

    [success] = wait_until(lambda: merchant.events("payment.success"))
    assert success["verified"] is True
    assert success["data"]["payment"]["id"] == payment_id_text
    assert f"Verified: payment.success {payment_id_text}" in merchant.output()

    # The seed's refund curl.
    refund = api.post(f"/payments/{payment_id_text}/refunds", json={"amount": 5000, "reason": "Customer requested"})
    assert refund.status_code == 201, refund.text
    [processed] = wait_until(lambda: merchant.events("refund.processed"))
    assert processed["verified"] is True
    assert processed["data"]["refund"]["id"] == refund.json()["id"]


def test_declined_card_shows_the_failure_and_calls_on_failure(
    page: Page, page_log: PageLog, widget: Widget, poller: Poller
) -> None:
    frame = open_checkout(page, widget)
    fill_card(frame, DECLINED_CARD)

    frame.get_by_role("button", name="Pay Now").click()

    expect(frame.get_by_role("alert")).to_contain_text("declined")
    expect(page.locator("#result")).to_contain_text("Payment failed")
    poll(page, lambda: page_log.has("Payment Failed: CARD_DECLINED"))
    # The shopper can fix it and pay again, in the same modal.
    expect(frame.get_by_role("button", name="Pay Now")).to_be_enabled()


def test_invalid_card_input_is_caught_in_the_frame_before_any_request(page: Page, widget: Widget) -> None:
    api_calls: list[str] = []
    frame = open_checkout(page, widget)
    page.context.on("request", lambda r: api_calls.append(r.url) if "/api/v1/" in r.url else None)
    fill_card(frame, "4111 1111 1111 1112", expiry="01 / 20", cvv="12")

    frame.get_by_role("button", name="Pay Now").click()

    number = frame.get_by_label("Card number")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    expect(frame.locator("#card-number-error")).to_have_text("Card number is not valid; check for typos")
    expect(frame.get_by_label("Expiry date")).to_have_attribute("aria-invalid", "true")
    expect(frame.locator("#card-expiry-error")).to_have_text("This card has expired")
    expect(frame.locator("#card-cvv-error")).to_have_text("Security code must be 3 digits")
    assert api_calls == []


def test_card_network_is_detected_as_the_number_is_typed(page: Page, widget: Widget) -> None:
    frame = open_checkout(page, widget)
    number, brand, cvv = (
        frame.get_by_label("Card number"),
        frame.locator("#card-brand"),
        frame.get_by_label("Security code"),
    )

    for typed, network in [
        ("4", "Visa"),
        ("2221 00", "Mastercard"),
        ("5105", "Mastercard"),
        ("6521 50", "RuPay"),  # inside Discover's 65: RuPay is checked first
        ("6011", "Discover"),
        ("3530", "JCB"),
        ("3056", "Diners Club"),
    ]:
        number.fill("")
        number.press_sequentially(typed.replace(" ", ""))
        expect(brand).to_have_text(network)

    number.fill("")
    number.press_sequentially("378282246310005")
    expect(brand).to_have_text("American Express")
    expect(number).to_have_value("3782 822463 10005")
    expect(cvv).to_have_attribute("maxlength", "4")
    expect(frame.locator("#card-cvv-hint")).to_have_text("4 digits on the front of the card")


def test_upi_payment_on_a_double_click_charges_once(
    page: Page, page_log: PageLog, widget: Widget, api: Api, poller: Poller
) -> None:
    posts: list[str] = []
    page.context.on(
        "request", lambda r: posts.append(str(r.headers.get("idempotency-key"))) if r.method == "POST" else None
    )
    frame = open_checkout(page, widget)
    frame.get_by_role("tab", name="UPI").click()
    expect(frame.get_by_label("UPI ID")).to_have_value("success@upi")  # from the shop's prefill

    frame.get_by_role("button", name="Pay Now").dblclick()

    expect(frame.get_by_role("heading", name="Payment successful")).to_be_visible()
    poll(page, lambda: page_log.has("Payment Success: pay_"))
    assert len(posts) == 1 and posts[0].startswith("chk_"), posts
    payments = api.get("/payments", params={"order_id": "order_999"}).json()
    assert payments["total"] == 1
    assert (payments["data"][0]["method"], payments["data"][0]["vpa"]) == ("upi", "success@upi")
    # Done closes the modal; after a success that is not a dismissal.
    frame.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    poll(page, lambda: page_log.has("Checkout ended: success"))
    assert not page_log.has("Checkout closed")


FOCUS_LOCATION = """() => {
    const host = document.querySelector("[data-payment-gateway]");
    const active = document.activeElement;
    if (!host || active !== host) return "outside:" + (active ? active.tagName.toLowerCase() : "none");
    const inner = host.shadowRoot.activeElement;
    if (!inner) return "dialog:none";
    if (inner.tagName === "IFRAME") return "frame";
    return "dialog:" + (inner.getAttribute("aria-label") || inner.getAttribute("role") || inner.tagName.toLowerCase());
}"""


def focus_location(page: Page, frame: Frame) -> str:
    """Where keyboard focus is: ``outside:…``, ``dialog:…`` (the modal's own controls) or ``frame:<id>``.

    Entering the frame backwards is asked of it by postMessage, so focus rests on the frame's body
    for a moment first: wait that out.
    """

    def where() -> str:
        location = str(page.evaluate(FOCUS_LOCATION))
        if location == "frame":
            return "frame:" + str(frame.evaluate("document.activeElement ? document.activeElement.id : ''"))
        return location

    return str(poll(page, lambda: (w := where()) != "frame:" and w, timeout_s=2))


def test_keyboard_focus_is_trapped_and_escape_closes_and_returns_focus(
    page: Page, page_log: PageLog, widget: Widget
) -> None:
    page.goto(widget.url("/checkout.html"))
    pay_now = page.get_by_role("button", name="Pay Now")
    pay_now.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Chai & Co.")
    expect(dialog).to_have_attribute("aria-modal", "true")
    frame = payment_frame(page)
    expect(frame.get_by_label("Card number")).to_be_focused()

    forward = []
    for _ in range(12):
        page.keyboard.press("Tab")
        forward.append(focus_location(page, frame))
    backward = []
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        backward.append(focus_location(page, frame))

    assert all(w.startswith(("frame:", "dialog:")) for w in forward + backward), forward + backward
    # Tab walks the whole cycle: the frame's controls, then the modal's close button, and round again.
    assert {"dialog:Close checkout", "frame:card-number", "frame:card-cvv", "frame:pay"} <= set(forward)
    assert forward.count("dialog:Close checkout") >= 2
    assert {"dialog:Close checkout", "frame:card-name", "frame:tab-card"} <= set(backward)

    frame.get_by_label("Card number").focus()
    page.keyboard.press("Escape")

    expect(dialog).to_have_count(0)
    poll(page, lambda: page_log.has("Checkout closed"))
    expect(page.locator("#result")).to_contain_text("Checkout closed")
    expect(pay_now).to_be_focused()
    assert page.evaluate("document.querySelector('main').inert") is False


def test_close_button_dismisses_the_modal(page: Page, page_log: PageLog, widget: Widget) -> None:
    open_checkout(page, widget)

    page.get_by_role("button", name="Close checkout").click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    poll(page, lambda: page_log.has("Checkout ended: dismissed"))
    expect(page.get_by_role("button", name="Pay Now")).to_be_focused()


def test_messages_from_a_foreign_origin_or_another_window_are_ignored(
    page: Page, page_log: PageLog, widget: Widget
) -> None:
    page.context.route(
        "http://attacker.test/**", lambda route: route.fulfill(content_type="text/html", body="<p>attacker</p>")
    )
    frame = open_checkout(page, widget)
    channel = frame.url.split("channel=")[1].split("&")[0]
    forged_success = {
        "protocol": "pgw-checkout",
        "version": 1,
        "channel": channel,
        "type": "success",
        "payment": {"paymentId": "pay_forged", "orderId": "order_999", "status": "success", "amount": 50000},
    }
    forged_close = {**{k: forged_success[k] for k in ("protocol", "version", "channel")}, "type": "close"}
    post_to_opener = "(messages) => messages.forEach((m) => window.opener.postMessage(m, '*'))"

    # Counts the forged messages this window is sent, by sender origin. It listens after the SDK, so once
    # it has counted one the SDK has handled it too: a message goes to listeners in the order they were added.
    page.evaluate(
        """() => {
            window.__forged = {};
            window.addEventListener("message", ({ data, origin }) => {
                if (data && (data.type === "close" || data.payment?.paymentId === "pay_forged"))
                    window.__forged[origin] = (window.__forged[origin] || 0) + 1;
            });
        }"""
    )

    def deliver(sender: Page, script: str, origin: str) -> None:
        # Posts both messages until this window has received them from `origin`. Posting again is harmless
        # (each is ignored) and covers a message lost while a popup's first about:blank is replaced.
        # Polled from here: wait_for_function compiles its predicate in the page, which the demo shop's
        # CSP (no 'unsafe-eval') refuses whenever a second check is needed.
        for _ in range(10):
            sender.evaluate(script, [forged_success, forged_close])
            for _ in range(40):
                if page.evaluate("(o) => window.__forged[o] >= 2", origin):
                    return
                page.wait_for_timeout(50)
        pytest.fail(f"the forged messages from {origin} never arrived")

    # A window on another origin, which knows the channel and the message format.
    with page.expect_popup() as attacker:
        page.evaluate("window.open('http://attacker.test/', 'attacker')")
    attacker.value.wait_for_load_state()
    deliver(attacker.value, post_to_opener, "http://attacker.test")
    # A window on the frame's own origin that is not the checkout's frame: event.source is checked too.
    with page.expect_popup() as impostor:
        page.evaluate("(url) => window.open(url, 'impostor')", f"{widget.frame_origin}/healthz")
    impostor.value.wait_for_load_state()
    deliver(impostor.value, post_to_opener, widget.frame_origin)
    # The merchant page itself (any script on it).
    deliver(page, "(messages) => messages.forEach((m) => window.postMessage(m, '*'))", widget.base)

    expect(page.get_by_role("dialog", name="Chai & Co.")).to_be_visible()
    expect(page.locator("#result")).to_be_empty()
    assert not page_log.has("Payment Success")
    # The real frame still works: the forged messages changed nothing.
    expect(frame.get_by_role("button", name="Pay Now")).to_be_enabled()


def test_open_checkout_modal_has_no_serious_accessibility_violations(axe_page: Page, widget: Widget) -> None:
    frame = open_checkout(axe_page, widget)
    # The states a shopper sees: the empty form, then inline errors.
    assert axe_violations(axe_page) == []
    assert axe_violations(frame) == []
    fill_card(frame, "4111 1111 1111 1112", expiry="01 / 20", cvv="1")
    frame.get_by_role("button", name="Pay Now").click()
    expect(frame.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(frame) == []
    frame.get_by_role("tab", name="UPI").click()
    assert axe_violations(frame) == []
