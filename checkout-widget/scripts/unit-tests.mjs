// Runs the unit tests (src/**/*.test.ts, server/*.test.js) with Node's own test runner. esbuild
// turns each TypeScript test file into plain JavaScript first, since Node 20 cannot run TypeScript.
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

const OUT = "dist/unit-tests";
const find = (dir, suffix) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(join(dir, e.name), suffix) : e.name.endsWith(suffix) ? [join(dir, e.name)] : [],
  );

rmSync(OUT, { recursive: true, force: true });
const entryPoints = find("src", ".test.ts");
await esbuild.build({
  entryPoints,
  outdir: OUT,
  outbase: "src",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
const files = entryPoints.map((f) => join(OUT, f.slice("src/".length).replace(/\.ts$/, ".mjs")));
// The widget server is plain JavaScript: its tests run as they are.
files.push(...find("server", ".test.js"));
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(run.status ?? 1);
