/** What server.js tells its pages through /config.js (window.__PGW_CONFIG__). */

export interface PageConfig {
  /** e.g. "http://localhost:8000/api/v1". */
  apiBaseUrl: string;
  /** TEST_MODE of the server: pages show a test-mode badge and test instruments. */
  testMode: boolean;
  /**
   * Where the dashboard may fetch the test key from ("/dev/test-key"), or "" when the server does
   * not hand it out. Never the key itself: any site can load /config.js and read it.
   */
  testKeyUrl: string;
}

declare global {
  interface Window {
    __PGW_CONFIG__?: Partial<PageConfig>;
  }
}

export function pageConfig(): PageConfig {
  const raw = window.__PGW_CONFIG__ ?? {};
  return {
    apiBaseUrl: typeof raw.apiBaseUrl === "string" ? raw.apiBaseUrl : "http://localhost:8000/api/v1",
    testMode: raw.testMode === true,
    // A path on this origin only ("/…" but not "//host/…"): the key is never fetched from elsewhere.
    testKeyUrl: typeof raw.testKeyUrl === "string" && /^\/(?!\/)/.test(raw.testKeyUrl) ? raw.testKeyUrl : "",
  };
}
