/**
 * The payments page (dashboard-payments.html): the API key, then the payments and orders lists, or
 * one payment when the URL's fragment names it (#payment=pay_…).
 */

import { createConnection } from "./connection";
import { byId } from "./dom";
import { OrdersPanel } from "./orders";
import { PaymentDetail } from "./payment-detail";
import { PaymentsPanel, paymentInHash } from "./payments-list";
import { createShell } from "./shell";

const connection = createConnection({
  prompt: "Enter your API key to see your payments and orders.",
  load: () => route(false),
});
const shell = createShell(() => connection.api());
const lists = byId("lists");
const payments = new PaymentsPanel(shell);
const orders = new OrdersPanel(shell);
const detail = new PaymentDetail(shell);

/** Show what the fragment asks for; `focus` moves focus there (on navigation, not on first load). */
async function route(focus: boolean): Promise<void> {
  const paymentId = paymentInHash(location.hash);
  if (paymentId) {
    lists.hidden = true;
    await detail.show(paymentId, focus);
    return;
  }
  const closed = detail.hide();
  lists.hidden = false;
  await Promise.all([payments.load(), orders.load()]);
  if (focus && closed) payments.focusPayment(closed);
}

window.addEventListener("hashchange", () => {
  if (connection.api()) void route(true);
});

void connection.start();
