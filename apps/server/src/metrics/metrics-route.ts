// GET /metrics on the HTTP port, for Prometheus to scrape.

import type { PlainRoute } from "../rpc/transport/plain-routes.js";
import type { ServerMetrics } from "./server-metrics.js";

export function metricsRoute(metrics: ServerMetrics): PlainRoute {
  return {
    method: "GET",
    path: "/metrics",
    handle: async (request, response) => {
      const text = await metrics.render();
      response.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
      response.end(request.method === "HEAD" ? undefined : text);
    },
  };
}
