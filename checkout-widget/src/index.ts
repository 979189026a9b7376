/**
 * The checkout SDK's public surface, for bundlers (`dist/index.mjs`). Importing it touches no DOM;
 * pass `frameUrl` when you bundle it yourself, since there is no <script src> to find the page from.
 */

export { PaymentGateway } from "./checkout";
export { CheckoutError } from "./errors";
export type { CheckoutErrorCode } from "./errors";
export type * from "./types";
