// Plain HTTP routes beside the RPCs on the HTTP/1.1 port (probes, metrics,
// OTLP/HTTP). The app hands in a list; this file never learns their names.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { InternalErrorHandler } from "./public-error.js";

type PlainHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface PlainRoute {
  /** An HTTP method; a GET route answers HEAD too. */
  readonly method: string;
  /** The exact path, without query string. */
  readonly path: string;
  readonly handle: PlainHandler;
}

export function plainRouter(routes: readonly PlainRoute[], onInternalError: InternalErrorHandler): PlainHandler {
  const byPath = new Map<string, Map<string, PlainHandler>>();
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? new Map<string, PlainHandler>();
    const method = route.method.toUpperCase();
    if (methods.has(method)) throw new Error(`two plain routes for ${method} ${route.path}`);
    byPath.set(route.path, methods.set(method, route.handle));
  }
  return (request, response) => {
    const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
    const methods = byPath.get(path);
    if (!methods) return sendJson(response, 404, { error: "not_found", message: `no route for ${path}` });
    const method = request.method ?? "GET";
    const handle = methods.get(method) ?? (method === "HEAD" ? methods.get("GET") : undefined);
    if (!handle) {
      response.setHeader("allow", [...methods.keys()].join(", "));
      return sendJson(response, 405, { error: "method_not_allowed", message: `${method} is not allowed on ${path}` });
    }
    Promise.resolve()
      .then(() => handle(request, response))
      .catch((error: unknown) => {
        onInternalError(error, `${method} ${path}`);
        if (!response.headersSent) sendJson(response, 500, { error: "internal", message: "internal error" });
        else if (!response.writableEnded) response.destroy();
      });
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
