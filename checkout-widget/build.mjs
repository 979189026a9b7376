// Bundles the browser code with esbuild (which strips types without checking them: `npm run
// typecheck` does that) and keeps the SDK's size honest.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const SDK_GZIP_LIMIT = 15 * 1024;
const browser = { bundle: true, minify: true, sourcemap: "linked", target: ["es2020"], legalComments: "none", logLevel: "warning" };

await Promise.all([
  // <script src=".../checkout.js">: defines window.PaymentGateway.
  esbuild.build({ ...browser, entryPoints: ["src/global.ts"], outfile: "dist/checkout.js", format: "iife" }),
  // import { PaymentGateway } from "@payment-gateway/checkout": no side effects on import.
  esbuild.build({ ...browser, minify: false, entryPoints: ["src/index.ts"], outfile: "dist/index.mjs", format: "esm" }),
  // The hosted payment page and the dashboard's two pages (webhooks; payments and orders).
  esbuild.build({ ...browser, entryPoints: ["src/hosted/pay.ts"], outfile: "dist/pay.js", format: "iife" }),
  esbuild.build({ ...browser, entryPoints: ["src/dashboard/main.ts"], outfile: "dist/dashboard.js", format: "iife" }),
  esbuild.build({ ...browser, entryPoints: ["src/dashboard/payments-main.ts"], outfile: "dist/dashboard-payments.js", format: "iife" }),
  // The API reference page, docs/api.html.
  esbuild.build({ ...browser, entryPoints: ["src/reference/main.ts"], outfile: "dist/docs/api.js", format: "iife" }),
]);

// The reference page renders the OpenAPI document with Redoc's self-contained bundle. Both are
// copied into dist/ so the server (and its image, which has no ../docs) serves them itself: no CDN.
// Redoc's sidebar footer shows Redocly's logo from their CDN, with no option to turn it off, and
// the page must make no request beyond this server: our copy points it at an empty image instead.
const redoc = createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js");
const REDOC_CDN = "https://cdn.redoc.ly/";
const REDOC_LOGO = `${REDOC_CDN}redoc/logo-mini.svg`;
const EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
const redocBundle = readFileSync(redoc, "utf8").replace(REDOC_LOGO, EMPTY_SVG);
if (redocBundle.includes(REDOC_CDN)) {
  console.error(`${redoc} still loads something from ${REDOC_CDN}: keep docs/api.html free of outside requests`);
  process.exit(1);
}
mkdirSync("dist/docs", { recursive: true });
writeFileSync("dist/docs/redoc.standalone.js", redocBundle);
copyFileSync(`${redoc}.LICENSE.txt`, "dist/docs/redoc.standalone.js.LICENSE.txt");
copyFileSync("../docs/openapi.json", "dist/docs/openapi.json");

const sdk = readFileSync("dist/checkout.js");
const gzipped = gzipSync(sdk, { level: 9 }).length;
console.log(`dist/checkout.js: ${(sdk.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
if (gzipped > SDK_GZIP_LIMIT) {
  console.error(`dist/checkout.js is over the ${SDK_GZIP_LIMIT / 1024} KB gzipped budget`);
  process.exit(1);
}
