/**
 * The <script src=".../checkout.js"> build: defines `window.PaymentGateway`. Guarded, so that
 * evaluating it without a browser (server-side rendering, tests) does nothing.
 */

import { PaymentGateway, rememberScriptSrc } from "./checkout";
import { CheckoutError } from "./errors";

declare global {
  interface Window {
    PaymentGateway: typeof PaymentGateway;
    CheckoutError: typeof CheckoutError;
  }
}

if (typeof window !== "undefined") {
  // document.currentScript is only set while this file is being evaluated: read it now.
  rememberScriptSrc();
  window.PaymentGateway = PaymentGateway;
  window.CheckoutError = CheckoutError;
}
