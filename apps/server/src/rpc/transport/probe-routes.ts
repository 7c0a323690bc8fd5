// Liveness and readiness for orchestrators (Kubernetes probes, load balancers).

import type { PlainRoute } from "./plain-routes.js";
import { sendJson } from "./plain-routes.js";

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, for the operator reading the probe's body. */
  readonly reason?: string;
}

export type ReadinessCheck = () => Readiness | Promise<Readiness>;

/**
 * /healthz answers 200 while the process can answer at all; /readyz answers
 * 200 or 503 as the check says. A throwing check is "not ready" (and the
 * error reaches the router's log).
 */
export function probeRoutes(readiness: ReadinessCheck): PlainRoute[] {
  return [
    { method: "GET", path: "/healthz", handle: (_request, response) => sendJson(response, 200, { status: "ok" }) },
    {
      method: "GET",
      path: "/readyz",
      handle: async (_request, response) => {
        let result: Readiness;
        try {
          result = await readiness();
        } catch (error) {
          sendJson(response, 503, { status: "not_ready", reason: "the readiness check failed" });
          throw error;
        }
        const body = { status: result.ready ? "ready" : "not_ready", ...(result.reason ? { reason: result.reason } : {}) };
        sendJson(response, result.ready ? 200 : 503, body);
      },
    },
  ];
}
