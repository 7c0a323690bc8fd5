// CORS on the HTTP port, so that a web page served from another origin can call
// traceledger: Connect and gRPC-Web clients in the browser, and OpenTelemetry's
// browser exporter posting to /v1/traces. Off unless origins are configured
// (TRACELEDGER_CORS_ALLOWED_ORIGINS): without it, browsers allow only same-origin
// calls, which is the safe default for a server that has no authentication.
//
// Credentials are never allowed (traceledger reads no cookies), so "*" can only
// open the API to pages, not to a user's session. A preflight allows the headers
// it asks for: the operator trusts the origin, and the OTLP exporter's headers are
// whatever its user configured.

import { cors as connectCors } from "@connectrpc/connect";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface CorsPolicy {
  /** Origins allowed to call (scheme://host[:port]), or ["*"] for any. Empty: CORS off. */
  readonly allowedOrigins: readonly string[];
}

type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

const ALLOWED_METHODS = [...new Set([...connectCors.allowedMethods, "POST", "GET"])].join(", ");
/** What a page's script may read of an answer: gRPC-Web's status, the request id, OTLP's Retry-After. */
const EXPOSED_HEADERS = [...connectCors.exposedHeaders, "X-Request-Id", "Retry-After"].join(", ");
/** How long a browser may reuse a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = "7200";

/** Wraps the port's handler: answers preflights for allowed origins and marks their answers readable. */
export function withCors(handler: NodeHandler, policy: CorsPolicy): NodeHandler {
  if (policy.allowedOrigins.length === 0) return handler;
  const any = policy.allowedOrigins.includes("*");
  const allowed = new Set(policy.allowedOrigins);
  return (request, response) => {
    const origin = request.headers.origin;
    // The answer depends on the Origin whenever any origin may be refused: caches must key on it.
    if (!any) response.setHeader("Vary", "Origin");
    if (origin === undefined || !(any || allowed.has(origin))) return handler(request, response);
    const requestedMethod = request.headers["access-control-request-method"];
    if (request.method === "OPTIONS" && requestedMethod !== undefined) {
      const requestedHeaders = request.headers["access-control-request-headers"];
      response.writeHead(204, {
        "Access-Control-Allow-Origin": any ? "*" : origin,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        ...(requestedHeaders ? { "Access-Control-Allow-Headers": requestedHeaders } : {}),
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        Vary: any ? "Access-Control-Request-Headers" : "Origin, Access-Control-Request-Headers",
      });
      response.end();
      return;
    }
    response.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
    response.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    return handler(request, response);
  };
}

/**
 * The origins of TRACELEDGER_CORS_ALLOWED_ORIGINS, or why one is not an origin. An origin
 * is what a browser sends in its Origin header: scheme, host and port, no path.
 */
export function parseAllowedOrigins(raw: string): { origins: string[] } | { problem: string } {
  const origins = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const origin of origins) {
    if (origin === "*") continue;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin) {
      return { problem: `${JSON.stringify(origin)} is not an origin like https://app.example.com or http://localhost:3000 (scheme, host and port only, no path or trailing slash), nor *` };
    }
  }
  return { origins };
}
