/** The webhook console (dashboard-webhooks.html): the API key, then the endpoints and delivery panels. */

import { createConnection } from "./connection";
import { byId } from "./dom";
import { DeliveriesPanel } from "./deliveries";
import { EndpointsPanel } from "./endpoints";
import { createShell } from "./shell";

const connection = createConnection({
  prompt: "Enter your API key to see your endpoints and deliveries.",
  async load() {
    deliveries.clear();
    await Promise.all([endpoints.load(), deliveries.load()]);
    deliveries.schedule();
  },
  idle: () => byId("endpoints").setAttribute("aria-busy", "false"),
});
const shell = createShell(() => connection.api());
const deliveries = new DeliveriesPanel(shell);
const endpoints = new EndpointsPanel(
  shell,
  (list) => deliveries.setEndpoints(list),
  () => void deliveries.load(),
);

void connection.start();
