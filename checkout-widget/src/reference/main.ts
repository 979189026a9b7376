/**
 * The API reference page (docs/api.html): renders the gateway's OpenAPI document with Redoc's
 * standalone bundle, which the page loads just before this script. Nothing here talks to the API.
 */

interface RedocGlobal {
  init(specUrl: string, options: Record<string, unknown>, element: HTMLElement, callback?: (error?: unknown) => void): void;
}

const root = document.getElementById("reference");
const redoc = (window as { Redoc?: RedocGlobal }).Redoc;

if (root && !redoc) {
  root.textContent = 'The API reference is not built yet: run "npm run build" in checkout-widget/.';
} else if (root && redoc) {
  redoc.init(
    root.dataset.specUrl ?? "/docs/openapi.json",
    {
      // Redoc hands this to styled-components, so its <style> elements pass a CSP without
      // style-src 'unsafe-inline'.
      nonce: root.dataset.styleNonce,
      // The document's server is relative (/api/v1): with the hostname, Redoc would show this
      // page's origin, which is not where the API listens.
      hideHostname: true,
      expandResponses: "200,201,202",
      requiredPropsFirst: true,
      jsonSampleExpandLevel: 3,
    },
    root,
  );
}
