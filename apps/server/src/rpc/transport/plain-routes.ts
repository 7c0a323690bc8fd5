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
  /**
   * Writes the router's own refusals of this path (405 for another method, 500
   * when the handler throws) in the route's protocol, where that protocol fixes
   * the body of every error (OTLP/HTTP: a google.rpc.Status). Default: JSON.
   */
  readonly refuse?: (response: ServerResponse, status: 405 | 500, message: string) => void;
}

export function plainRouter(routes: readonly PlainRoute[], onInternalError: InternalErrorHandler): PlainHandler {
  const byPath = new Map<string, Map<string, PlainRoute>>();
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? new Map<string, PlainRoute>();
    const method = route.method.toUpperCase();
    if (methods.has(method)) throw new Error(`two plain routes for ${method} ${route.path}`);
    byPath.set(route.path, methods.set(method, route));
  }
  const refuse = (route: PlainRoute | undefined, response: ServerResponse, status: 405 | 500, error: string, message: string) =>
    route?.refuse ? route.refuse(response, status, message) : sendJson(response, status, { error, message });
  return (request, response) => {
    const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
    const methods = byPath.get(path);
    if (!methods) return sendJson(response, 404, { error: "not_found", message: `no route for ${path}` });
    const method = request.method ?? "GET";
    const route = methods.get(method) ?? (method === "HEAD" ? methods.get("GET") : undefined);
    if (!route) {
      response.setHeader("allow", [...methods.keys()].join(", "));
      // Any of the path's routes knows its protocol's error format.
      return refuse(methods.values().next().value, response, 405, "method_not_allowed", `${method} is not allowed on ${path}`);
    }
    Promise.resolve()
      .then(() => route.handle(request, response))
      .catch((error: unknown) => {
        // A client that hung up while sending its body is gone: nothing to answer, nothing broken here.
        if (request.destroyed && (request.errored !== null || !request.complete)) return;
        onInternalError(error, `${method} ${path}`);
        if (!response.headersSent) refuse(route, response, 500, "internal", "internal error");
        else if (!response.writableEnded) response.destroy();
      });
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
