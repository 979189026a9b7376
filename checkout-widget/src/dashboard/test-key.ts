/** The test key for the dashboard to fill itself in with, fetched from its own server (see server/test-key.js). */

/**
 * The `key_test_…` key that `url` (a path on this origin) answers with, or "" when there is none
 * to be had: not served, refused, or anything but a test secret key. Never throws.
 */
export async function fetchTestKey(url: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  try {
    const response = await fetchImpl(url, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return "";
    const body: unknown = await response.json();
    const key = typeof body === "object" && body !== null ? (body as { key?: unknown }).key : undefined;
    // Only ever a test key: a live one must not be filled into a page, whatever the server says.
    return typeof key === "string" && /^key_test_\S+$/.test(key) ? key : "";
  } catch {
    return ""; // the merchant types the key in, as when the server does not serve one
  }
}
