// The fixed set of files each origin serves: no path from a request ever reaches the file system.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

const file = (path) => ({ path: `${ROOT}${path}`, type: TYPES[path.slice(path.lastIndexOf("."))] });

/** What the merchant-facing origin serves (SDK, demo shop, dashboard). */
export const MAIN_FILES = {
  "/checkout.js": file("dist/checkout.js"),
  "/checkout.js.map": file("dist/checkout.js.map"),
  "/checkout.html": file("public/checkout.html"),
  "/shop.css": file("public/shop.css"),
  "/dashboard-webhooks.html": file("public/dashboard-webhooks.html"),
  "/dashboard.css": file("public/dashboard.css"),
  "/dashboard.js": file("dist/dashboard.js"),
  "/dashboard.js.map": file("dist/dashboard.js.map"),
  "/dashboard-payments.html": file("public/dashboard-payments.html"),
  "/dashboard-payments.js": file("dist/dashboard-payments.js"),
  "/dashboard-payments.js.map": file("dist/dashboard-payments.js.map"),
  "/favicon.svg": file("public/favicon.svg"),
  // The API reference: Redoc and the OpenAPI document are copied into dist/ by build.mjs.
  "/docs/api.html": file("public/docs/api.html"),
  "/docs/api.css": file("public/docs/api.css"),
  "/docs/api.js": file("dist/docs/api.js"),
  "/docs/api.js.map": file("dist/docs/api.js.map"),
  "/docs/redoc.standalone.js": file("dist/docs/redoc.standalone.js"),
  "/docs/redoc.standalone.js.LICENSE.txt": file("dist/docs/redoc.standalone.js.LICENSE.txt"),
  "/docs/openapi.json": file("dist/docs/openapi.json"),
};

/** The dashboard's pages: each gets dashboardHeaders (server/headers.js). */
export const DASHBOARD_PAGES = ["/dashboard-webhooks.html", "/dashboard-payments.html"];

/** What the payment frame's origin serves: the hosted page and nothing else. */
export const FRAME_FILES = {
  "/pay.html": file("public/pay.html"),
  "/pay.css": file("public/pay.css"),
  "/pay.js": file("dist/pay.js"),
  "/pay.js.map": file("dist/pay.js.map"),
  "/favicon.svg": file("public/favicon.svg"),
};

/** @returns {Promise<Buffer | null>} null when the file is missing (say, before `npm run build`). */
export async function load(entry) {
  try {
    return await readFile(entry.path);
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw error;
  }
}
