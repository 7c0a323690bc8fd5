// Options shared by the node:http, Express and Fastify integrations.

import type { IncomingMessage } from "node:http";
import type { Attributes } from "../commands/attributes.js";
import { DEFAULT_KNOWN_METHODS, MethodNames } from "./http-semantic-attributes.js";
import type { HttpServerRequest } from "./server-messages.js";

/** `Req`: the request the server hands its handler (node:http2's for an HTTP/2 server). */
export interface HttpTracingOptions<Req extends HttpServerRequest = IncomingMessage> {
  /**
   * Requests whose path (without the query) matches get no span. Strings match
   * exactly, regular expressions are tested. Default: ["/healthz", "/readyz"].
   */
  readonly excludePaths?: ReadonlyArray<string | RegExp>;
  /** More attributes for each request's span. */
  readonly requestAttributes?: (request: Req) => Attributes | undefined;
  /**
   * The request methods recorded as themselves in `http.request.method` and the
   * span's name; any other is recorded as `_OTHER` (and the span named `HTTP`),
   * the method as sent in `http.request.method_original`. Case-sensitive; a full
   * list, not additions. Default: env OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS
   * (comma-separated), else RFC 9110's methods, PATCH and QUERY.
   */
  readonly knownMethods?: readonly string[];
}

/** The known methods an integration records, read once when it is created. */
export function methodNames(options: { readonly knownMethods?: readonly string[] }, env: NodeJS.ProcessEnv = process.env): MethodNames {
  const fromEnv = env["OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS"]?.split(",").map((m) => m.trim()).filter((m) => m !== "");
  const known = options.knownMethods ?? (fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : DEFAULT_KNOWN_METHODS);
  return new MethodNames(known);
}

export const DEFAULT_EXCLUDED_PATHS: readonly string[] = ["/healthz", "/readyz"];

export function isExcluded(path: string, excluded: ReadonlyArray<string | RegExp> = DEFAULT_EXCLUDED_PATHS): boolean {
  for (const rule of excluded) {
    if (typeof rule === "string" ? rule === path : rule.test(path)) return true;
  }
  return false;
}
