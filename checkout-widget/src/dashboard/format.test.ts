import assert from "node:assert/strict";
import { it } from "node:test";
import { absoluteTime, deliveryStatus, duration, lastResponse, pageRange, prettyBody, relativeTime } from "./format";

const now = Date.parse("2026-11-26T07:00:00.000Z");

it("words relative times", () => {
  assert.equal(relativeTime("2026-11-26T06:59:59.500Z", now), "just now");
  assert.equal(relativeTime("2026-11-26T06:59:48.000Z", now), "12 s ago");
  assert.equal(relativeTime("2026-11-26T07:00:05.000Z", now), "in 5 s");
  assert.equal(relativeTime("2026-11-26T06:57:00.000Z", now), "3 min ago");
  assert.equal(relativeTime("2026-11-26T09:00:00.000Z", now), "in 2 h");
  assert.equal(relativeTime(null, now), "—");
  assert.equal(absoluteTime("2026-11-26T07:00:05.123Z"), "2026-11-26 07:00:05 UTC");
});

it("words durations, statuses and responses", () => {
  assert.equal(duration(12), "12 ms");
  assert.equal(duration(1520), "1.52 s");
  assert.equal(duration(null), "—");
  assert.deepEqual(deliveryStatus({ status: "pending", attempts: 0 }), { tone: "pending", label: "Pending" });
  assert.deepEqual(deliveryStatus({ status: "pending", attempts: 2 }), { tone: "retrying", label: "Retrying" });
  assert.deepEqual(deliveryStatus({ status: "success", attempts: 1 }), { tone: "success", label: "Succeeded" });
  assert.equal(lastResponse({ response_code: 500, last_error: null }), "HTTP 500");
  assert.equal(lastResponse({ response_code: null, last_error: "connection refused" }), "connection refused");
  assert.equal(lastResponse({ response_code: null, last_error: null }), "—");
});

it("describes pages and bodies", () => {
  assert.equal(pageRange(0, 20, 57), "1–20 of 57");
  assert.equal(pageRange(40, 17, 57), "41–57 of 57");
  assert.equal(pageRange(0, 0, 0), "0 of 0");
  assert.equal(prettyBody('{"a":1}'), '{\n  "a": 1\n}');
  assert.equal(prettyBody("<html>"), "<html>");
});
