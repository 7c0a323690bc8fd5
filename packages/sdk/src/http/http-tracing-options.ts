// Options shared by the node:http, Express and Fastify integrations.

import type { IncomingMessage } from "node:http";
import type { Attributes } from "../commands/attributes.js";
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
}

export const DEFAULT_EXCLUDED_PATHS: readonly string[] = ["/healthz", "/readyz"];

export function isExcluded(path: string, excluded: ReadonlyArray<string | RegExp> = DEFAULT_EXCLUDED_PATHS): boolean {
  for (const rule of excluded) {
    if (typeof rule === "string" ? rule === path : rule.test(path)) return true;
  }
  return false;
}
