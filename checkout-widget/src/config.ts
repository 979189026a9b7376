/** What server.js tells its pages through /config.js (window.__PGW_CONFIG__). */

export interface PageConfig {
  /** e.g. "http://localhost:8000/api/v1". */
  apiBaseUrl: string;
  /** TEST_MODE of the server: pages show a test-mode badge and test instruments. */
  testMode: boolean;
  /** The seed's key, given only in test mode, to prefill the dashboard. */
  testApiKey: string;
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
    testApiKey: typeof raw.testApiKey === "string" ? raw.testApiKey : "",
  };
}
