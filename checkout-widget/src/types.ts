/** Every public type of the checkout SDK. */

import type { CheckoutError } from "./errors";
import type { components } from "./generated/openapi";

/** The API's payment methods ("card" | "upi"), as docs/openapi.json lists them. */
export type PaymentMethod = components["schemas"]["PaymentMethod"];

/** Shown pre-filled in the hosted payment page; the shopper can change them. */
export interface Prefill {
  /** Name on card. */
  name?: string;
  /** UPI ID (VPA), e.g. "asha@okbank". */
  vpa?: string;
}

export interface Theme {
  /** Accent colour of the pay button and modal header, as #rgb or #rrggbb. */
  color?: string;
}

/** What `onSuccess` receives, and what `open()` resolves with after a successful payment. */
export interface PaymentSuccess {
  paymentId: string;
  orderId: string;
  status: Extract<components["schemas"]["PaymentStatus"], "success">;
  /** In the currency's minor unit (paise for INR). */
  amount: number;
}

export interface PaymentFailed {
  status: "failed";
  /** The same error `onFailure` received for the last failed attempt. */
  error: CheckoutError;
}

export interface CheckoutDismissed {
  status: "dismissed";
}

/**
 * How a checkout ended. A decline is a result, not an exception: `open()` rejects only on misuse
 * (no browser, already open).
 */
export type CheckoutResult = PaymentSuccess | PaymentFailed | CheckoutDismissed;

export interface CheckoutOptions {
  /**
   * Your publishable key, e.g. "pk_test_123". A test secret key (key_test_…) works too, with a
   * console warning, since anyone who views the page could refund with it; a live one (key_live_…)
   * is refused.
   */
  key: string;
  /**
   * The order, 1–64 characters: the id (order_…) or receipt of an order made with `POST /orders`,
   * whose amount and currency the checkout then shows and charges; or a reference of your own.
   */
  orderId: string;
  /**
   * In the currency's minor unit (50000 = ₹500.00). Used only when `orderId` names no order on the
   * gateway; then it defaults to 50000, the seed's demo amount, with a console warning. For an
   * order made through the API the order's amount is charged, and a different one given here is
   * ignored with a console warning.
   */
  amount?: number;
  /** ISO 4217 code; default "INR". Like `amount`, the order's own currency wins when there is an order. */
  currency?: string;
  /** The tab the hosted page opens on; default "card". */
  method?: PaymentMethod;
  /** Your shop's name, shown as the modal's title. */
  name?: string;
  /** What is being paid for, shown under the amount and stored on the payment. */
  description?: string;
  prefill?: Prefill;
  theme?: Theme;
  /** Called once a payment succeeds. */
  onSuccess?: (data: PaymentSuccess) => void;
  /** Called for each failed attempt (the shopper may then try again). */
  onFailure?: (error: CheckoutError) => void;
  /** Called when the shopper closes the modal without a successful payment. */
  onDismiss?: () => void;
  /**
   * The hosted payment page. By default it is found from the `src` of the `<script>` that loaded
   * the SDK; pass it when you bundle the SDK yourself.
   */
  frameUrl?: string;
}
