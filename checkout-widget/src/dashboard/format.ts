/** How the dashboard words times, durations and statuses. Pure functions, unit-tested. */

import type { Delivery } from "./api";

/** "just now", "12 s ago", "3 min ago", "in 5 s", "2 h ago", "3 d ago". */
export function relativeTime(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "—";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "—";
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 2) return seconds > 0 ? "now" : "just now";
  const [value, unit] =
    abs < 60 ? [abs, "s"] : abs < 3600 ? [Math.round(abs / 60), "min"] : abs < 86400 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86400), "d"];
  return seconds > 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

/** "2026-11-26 07:45:12 UTC": the exact time, for tooltips and the attempt log. */
export function absoluteTime(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** 12 → "12 ms", 1520 → "1.52 s", null → "—". */
export function duration(ms: number | null): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export type StatusTone = "success" | "failed" | "pending" | "retrying";

/** The badge for a delivery: a pending delivery that already failed once is "Retrying". */
export function deliveryStatus(d: Pick<Delivery, "status" | "attempts">): { tone: StatusTone; label: string } {
  if (d.status === "success") return { tone: "success", label: "Succeeded" };
  if (d.status === "failed") return { tone: "failed", label: "Failed" };
  return d.attempts > 0 ? { tone: "retrying", label: "Retrying" } : { tone: "pending", label: "Pending" };
}

/** What the receiver answered last: "HTTP 200", or the transport error, or "—". */
export function lastResponse(d: Pick<Delivery, "response_code" | "last_error">): string {
  if (d.response_code !== null) return `HTTP ${d.response_code}`;
  if (d.last_error) return d.last_error.length > 40 ? `${d.last_error.slice(0, 39)}…` : d.last_error;
  return "—";
}

/** "1–20 of 57", "0 of 0". */
export function pageRange(offset: number, count: number, total: number): string {
  if (total === 0 || count === 0) return `0 of ${total}`;
  return `${offset + 1}–${offset + count} of ${total}`;
}

/** Pretty-print JSON text; other text is returned as it is. */
export function prettyBody(text: string | null): string {
  if (!text) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
