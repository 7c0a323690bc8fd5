// The gateway of the polyglot example: a node:http handler traced by
// @traceledger/sdk's middleware, which starts a SERVER span per request (root,
// or child of the caller's traceparent) and ends it when the response finishes.
// GET /work follows the contract every service of the chain shares (see
// README.md): an event, the call to NEXT_URL with this span's traceparent, and
// the span's status from what happened.

import type { IncomingMessage, ServerResponse } from "node:http";
import { getActiveSpan, injectContext, traceHttpHandler, type Tracer } from "@traceledger/sdk";
import { briefFlush } from "./brief-flush.js";

export interface GatewayOptions {
  readonly tracer: Tracer;
  readonly serviceName: string;
  /** The next service's base URL; none for a gateway alone. */
  readonly nextUrl?: string;
}

export class WorkFailed extends Error {
  override readonly name = "WorkFailed";
}

interface Downstream {
  readonly status: number;
  readonly body: unknown;
}

export function gatewayHandler(options: GatewayOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const { tracer, serviceName } = options;
  const nextUrl = options.nextUrl?.replace(/\/+$/, "");
  const flushBriefly = briefFlush(tracer);
  return traceHttpHandler(tracer, async (request, response) => {
    const url = new URL(request.url ?? "/", "http://gateway");
    const span = getActiveSpan();
    if (request.method !== "GET" || url.pathname !== "/work" || span === undefined) {
      answer(response, 404, { error: "not found" });
      return;
    }
    // node:http knows no routes, so the SDK names the span by its method alone: the handler,
    // which knows which route it serves, names it (OpenTelemetry's `{method} {route}`).
    span.updateName("GET /work").setAttribute("http.route", "/work");
    const fail = url.searchParams.get("fail") ?? "";
    span.addEvent("work.started", { fail });

    let downstream: Downstream = { status: 200, body: null };
    if (nextUrl !== undefined) {
      // The SDK ships spans in batches; the next service calls StartSpan at once.
      // Shipping this span's start first lets that child find its parent in the
      // trace (else the child is recorded with a remote parent: still one trace,
      // but the trace would look as if it began downstream until this start came).
      // Only a nicety, so it is waited for briefly, and not at all while traceledger
      // is not answering (brief-flush.ts): a traceledger that is slow or gone must
      // not hold up the requests.
      await flushBriefly();
      downstream = await callNext(`${nextUrl}/work?fail=${encodeURIComponent(fail)}`);
    }

    if (fail === serviceName) {
      const error = new WorkFailed(`${serviceName} was asked to fail`);
      span.recordError(error);
      span.setStatus({ code: "error", message: `${serviceName} failed` });
      answer(response, 500, { service: serviceName, status: 500 });
    } else if (downstream.status >= 500) {
      // Set before answering: the middleware sets ERROR, with no description, only when no status was set.
      span.setStatus({ code: "error", message: `downstream failed: ${downstream.status}` });
      answer(response, 502, { service: serviceName, status: 502 });
    } else {
      span.setStatus({ code: "ok" });
      answer(response, 200, { service: serviceName, traceparent: span.traceparent(), downstream: downstream.body });
    }
  });
}

/** Calls the next service with the active span's traceparent and tracestate. */
async function callNext(url: string): Promise<Downstream> {
  const headers: Record<string, string> = {};
  injectContext(headers);
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    if (!response.ok) {
      await response.body?.cancel();
      return { status: response.status, body: null };
    }
    return { status: response.status, body: (await response.json()) as unknown };
  } catch {
    return { status: 502, body: null };
  }
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
