// Bundles the browser code with esbuild (which strips types without checking them: `npm run
// typecheck` does that) and keeps the SDK's size honest.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const SDK_GZIP_LIMIT = 15 * 1024;
const browser = { bundle: true, minify: true, sourcemap: "linked", target: ["es2020"], legalComments: "none", logLevel: "warning" };

await Promise.all([
  // <script src=".../checkout.js">: defines window.PaymentGateway.
  esbuild.build({ ...browser, entryPoints: ["src/global.ts"], outfile: "dist/checkout.js", format: "iife" }),
  // import { PaymentGateway } from "@payment-gateway/checkout": no side effects on import.
  esbuild.build({ ...browser, minify: false, entryPoints: ["src/index.ts"], outfile: "dist/index.mjs", format: "esm" }),
  // The hosted payment page and the webhook dashboard.
  esbuild.build({ ...browser, entryPoints: ["src/hosted/pay.ts"], outfile: "dist/pay.js", format: "iife" }),
  esbuild.build({ ...browser, entryPoints: ["src/dashboard/main.ts"], outfile: "dist/dashboard.js", format: "iife" }),
]);

const sdk = readFileSync("dist/checkout.js");
const gzipped = gzipSync(sdk, { level: 9 }).length;
console.log(`dist/checkout.js: ${(sdk.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
if (gzipped > SDK_GZIP_LIMIT) {
  console.error(`dist/checkout.js is over the ${SDK_GZIP_LIMIT / 1024} KB gzipped budget`);
  process.exit(1);
}
