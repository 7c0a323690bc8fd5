// The error matrix on the real server, through all three kinds of client: each
// rejected call gets the right gRPC code and exactly one google.rpc.ErrorInfo
// with the stable reason and the domain "traceledger.dev" (read from
// grpc-status-details-bin by grpc-js, ConnectError.findDetails by connect, the
// JSON body's details by fetch), and GetTraceEvents, or a count of every event,
// proves it wrote nothing.
// The server runs with TRACELEDGER_MAX_MESSAGE_BYTES at 64 KiB.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./support/connect-json.js";
import { connectError, connectJsonError, grpcJsError, type SeenError } from "./support/error-details.js";
import { ForeignTracingClient } from "./support/grpc-js-client.js";
import { hex, newSpanId, newTraceId, nowNanos, traceparentOf } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { MONITORING_STREAM_ID } from "../../src/events/reserved-streams.js";

const DOMAIN = "traceledger.dev";
const MAX_MESSAGE_BYTES = 64 * 1024;

const e2e = serverPerFile({ TRACELEDGER_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
let foreign: ForeignTracingClient;

beforeAll(() => {
  foreign = new ForeignTracingClient(e2e.server.grpcAddress);
});

afterAll(() => {
  foreign?.close();
});

// A request in one neutral shape (camelCase, bytes as Buffers, enums as numbers,
// attributes as string pairs), turned into each client's own shape.
type Scalar = Buffer | string | number | bigint | boolean;
type Attr = { key: string; value: string };
interface Neutral {
  [key: string]: Scalar | Attr[] | Neutral;
}

type Shape = {
  key: (k: string) => string;
  attrs: (attrs: Attr[]) => unknown;
  scalar: (v: Scalar) => unknown;
};

function convert(request: Neutral, shape: Shape): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(request).map(([k, v]) => {
      if (Array.isArray(v)) return [shape.key(k), shape.attrs(v)];
      if (v instanceof Buffer || typeof v !== "object") return [shape.key(k), shape.scalar(v)];
      return [shape.key(k), convert(v as Neutral, shape)];
    }),
  );
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const forConnect = (request: Neutral) =>
  convert(request, {
    key: (k) => k,
    attrs: (attrs) => attrs.map((a) => ({ key: a.key, value: { value: { case: "stringValue", value: a.value } } })),
    scalar: (v) => v,
  });

const forGrpcJs = (request: Neutral) =>
  convert(request, {
    key: snake,
    attrs: (attrs) => attrs.map((a) => ({ key: a.key, value: { string_value: a.value } })),
    scalar: (v) => (typeof v === "bigint" ? v.toString() : v),
  });

const forJson = (request: Neutral) =>
  convert(request, {
    key: (k) => k,
    attrs: (attrs) => attrs.map((a) => ({ key: a.key, value: { stringValue: a.value } })),
    scalar: (v) => (v instanceof Buffer ? v.toString("base64") : typeof v === "bigint" ? v.toString() : v),
  });

type Kind = "connect" | "grpc-js" | "fetch";
type Rejection = SeenError & { httpStatus?: number };

/** Calls `method` through one kind of client; the rejection it got, or a failure if it succeeded. */
async function reject(kind: Kind, method: string, request: Neutral): Promise<Rejection> {
  if (kind === "connect") {
    const fn = (e2e.client as unknown as Record<string, (r: unknown) => Promise<unknown>>)[method[0]!.toLowerCase() + method.slice(1)]!;
    const outcome = await fn.call(e2e.client, forConnect(request)).then(
      (response) => ({ ok: true as const, response }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (outcome.ok) throw new Error(`${method} succeeded through connect: ${String(outcome.response)}`);
    return connectError(outcome.error);
  }
  if (kind === "grpc-js") {
    const outcome = await foreign.attempt(method, forGrpcJs(request));
    if (outcome.ok) throw new Error(`${method} succeeded through grpc-js: ${JSON.stringify(outcome.response)}`);
    return grpcJsError(outcome.error);
  }
  const response = await postJson(e2e.server.httpAddress, method, forJson(request));
  if (response.status === 200) throw new Error(`${method} succeeded through fetch: ${JSON.stringify(response.body)}`);
  return { ...connectJsonError(response.body), httpStatus: response.status };
}

/** The Connect protocol's HTTP status for each code. */
const HTTP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  failed_precondition: 400,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
};

interface Running {
  readonly traceId: Buffer;
  readonly rootId: Buffer;
  readonly childId: Buffer;
  readonly rootTraceparent: string;
  readonly childTraceparent: string;
  readonly childStart: bigint;
}

/** A fresh trace with a running root and a running child, written through the connect client. */
async function runningTrace(): Promise<Running> {
  const traceId = newTraceId();
  const rootId = newSpanId();
  const childId = newSpanId();
  const childStart = nowNanos();
  await e2e.client.startTrace({ traceId, spanId: rootId, name: "root", serviceName: "errors" });
  await e2e.client.startSpan({ traceId, parentSpanId: rootId, spanId: childId, name: "child", serviceName: "errors", startTimeUnixNano: childStart });
  return { traceId, rootId, childId, rootTraceparent: traceparentOf(traceId, rootId), childTraceparent: traceparentOf(traceId, childId), childStart };
}

async function eventIds(traceId: Uint8Array): Promise<string[]> {
  return (await e2e.client.getTraceEvents({ traceId, pageSize: 5000 })).events.map((e) => `${e.streamVersion}:${e.eventId}`);
}

/**
 * Events of every trace. The monitoring stream is left out: the saga may raise an alert there
 * at any moment (a span an earlier test left running passes the slow-span threshold).
 */
async function eventCount(): Promise<number> {
  const [row] = await e2e.db.sql<{ n: number }[]>`select count(*)::int4 as n from events where trace_id <> ${Buffer.from(MONITORING_STREAM_ID, "hex")}`;
  return row!.n;
}

interface Case {
  readonly name: string;
  readonly method: string;
  readonly code: string;
  readonly reason: string | undefined;
  /** Prepares the trace (already running) and returns the rejected request. */
  readonly request: (t: Running) => Promise<Neutral> | Neutral;
  /** Metadata the ErrorInfo must carry. */
  readonly metadata?: (t: Running) => Record<string, string>;
  /**
   * The request names no valid trace, or a trace besides the running one: prove nothing
   * was written by counting every event, as reading the running trace would miss a write
   * elsewhere.
   */
  readonly countEvery?: boolean;
}

const CASES: Case[] = [
  {
    name: "StartTrace with a 15-byte trace id",
    method: "StartTrace",
    code: "invalid_argument",
    reason: "INVALID_TRACE_ID",
    countEvery: true,
    request: () => ({ traceId: newTraceId().subarray(0, 15), name: "bad", serviceName: "errors" }),
  },
  {
    name: "StartSpan with an all-zero trace id",
    method: "StartSpan",
    code: "invalid_argument",
    reason: "INVALID_TRACE_ID",
    countEvery: true,
    request: () => ({ traceId: Buffer.alloc(16), spanId: newSpanId(), name: "bad", serviceName: "errors" }),
  },
  {
    name: "GetTrace with a 15-byte trace id",
    method: "GetTrace",
    code: "invalid_argument",
    reason: "INVALID_TRACE_ID",
    countEvery: true,
    request: () => ({ traceId: newTraceId().subarray(0, 15) }),
  },
  {
    name: "GetTraceEvents with an all-zero trace id",
    method: "GetTraceEvents",
    code: "invalid_argument",
    reason: "INVALID_TRACE_ID",
    countEvery: true,
    request: () => ({ traceId: Buffer.alloc(16) }),
  },
  {
    name: "StartSpan with a malformed traceparent",
    method: "StartSpan",
    code: "invalid_argument",
    reason: "INVALID_TRACEPARENT",
    request: (t) => ({ traceparent: `00-${hex(t.traceId)}-${hex(t.rootId).slice(0, 15)}-01`, name: "bad", serviceName: "errors" }),
    metadata: (t) => ({ traceparent: `00-${hex(t.traceId)}-${hex(t.rootId).slice(0, 15)}-01` }),
  },
  {
    name: "EndSpan with a traceparent whose span id is all zero",
    method: "EndSpan",
    code: "invalid_argument",
    reason: "INVALID_TRACEPARENT",
    request: (t) => ({ traceparent: `00-${hex(t.traceId)}-${"0".repeat(16)}-01` }),
  },
  {
    name: "AddSpanEvent with a traceparent naming another trace than trace_id",
    method: "AddSpanEvent",
    code: "invalid_argument",
    reason: "INVALID_TRACEPARENT",
    countEvery: true,
    request: (t) => ({ traceId: newTraceId(), traceparent: t.childTraceparent, name: "e" }),
  },
  {
    name: "EndSpan a second time with a different status",
    method: "EndSpan",
    code: "failed_precondition",
    reason: "SPAN_ALREADY_ENDED",
    request: async (t) => {
      await e2e.client.endSpan({ traceparent: t.childTraceparent, status: { code: 1 } });
      return { traceparent: t.childTraceparent, status: { code: 2, message: "changed my mind" } };
    },
    metadata: (t) => ({ trace_id: hex(t.traceId), span_id: hex(t.childId) }),
  },
  {
    name: "RecordError on an ended span",
    method: "RecordError",
    code: "failed_precondition",
    reason: "SPAN_ALREADY_ENDED",
    request: async (t) => {
      await e2e.client.endSpan({ traceparent: t.childTraceparent });
      return { traceparent: t.childTraceparent, errorType: "Late", message: "too late" };
    },
  },
  {
    name: "AddSpanEvent on an unknown span",
    method: "AddSpanEvent",
    code: "not_found",
    reason: "SPAN_NOT_FOUND",
    request: (t) => ({ traceId: t.traceId, spanId: Buffer.from("0102030405060708", "hex"), name: "orphan event" }),
    metadata: (t) => ({ trace_id: hex(t.traceId), span_id: "0102030405060708" }),
  },
  {
    name: "SetSpanAttributes on a span of a trace that does not exist",
    method: "SetSpanAttributes",
    code: "not_found",
    reason: "TRACE_NOT_FOUND",
    countEvery: true,
    request: () => ({ traceparent: traceparentOf(newTraceId(), newSpanId()), attributes: [{ key: "k", value: "v" }] }),
  },
  {
    name: "StartSpan in a completed trace",
    method: "StartSpan",
    code: "failed_precondition",
    reason: "TRACE_COMPLETED",
    request: async (t) => {
      await e2e.client.endSpan({ traceparent: t.childTraceparent });
      expect((await e2e.client.endSpan({ traceparent: t.rootTraceparent })).traceCompleted).toBe(true);
      return { traceparent: t.rootTraceparent, spanId: newSpanId(), name: "too late", serviceName: "errors" };
    },
    metadata: (t) => ({ trace_id: hex(t.traceId) }),
  },
  {
    name: "StartSpan reusing a span id with other content",
    method: "StartSpan",
    code: "already_exists",
    reason: "SPAN_ID_REUSED",
    request: (t) => ({ traceId: t.traceId, parentSpanId: t.rootId, spanId: t.childId, name: "another operation", serviceName: "errors", startTimeUnixNano: t.childStart }),
    metadata: (t) => ({ trace_id: hex(t.traceId), span_id: hex(t.childId) }),
  },
  {
    name: "AddSpanEvent reusing an event id for another event",
    method: "AddSpanEvent",
    code: "already_exists",
    reason: "REQUEST_ID_REUSED",
    request: async (t) => {
      await e2e.client.addSpanEvent({ traceparent: t.childTraceparent, eventId: "ev-1", name: "first" });
      return { traceparent: t.childTraceparent, eventId: "ev-1", name: "second" };
    },
  },
  {
    name: "EndSpan before the span started",
    method: "EndSpan",
    code: "invalid_argument",
    reason: "INVALID_TIME_RANGE",
    request: (t) => ({ traceparent: t.childTraceparent, endTimeUnixNano: t.childStart - 1_000_000n }),
  },
  {
    name: "StartSpan with an empty name",
    method: "StartSpan",
    code: "invalid_argument",
    reason: "INVALID_SPAN_NAME",
    request: (t) => ({ traceparent: t.rootTraceparent, spanId: newSpanId(), name: "  ", serviceName: "errors" }),
  },
  {
    name: `StartSpan larger than TRACELEDGER_MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES} bytes): a 100 KiB attribute`,
    method: "StartSpan",
    code: "resource_exhausted",
    // Refused by the transport before any handler runs: no traceledger ErrorInfo.
    reason: undefined,
    request: (t) => ({ traceparent: t.rootTraceparent, spanId: newSpanId(), name: "huge", serviceName: "errors", attributes: [{ key: "blob", value: "x".repeat(100 * 1024) }] }),
  },
];

describe.each<Kind>(["connect", "grpc-js", "fetch"])("errors through %s", (kind) => {
  it.each(CASES)("$name -> $code $reason", async (c) => {
    const trace = await runningTrace();
    const request = await c.request(trace);
    const before = c.countEvery ? await eventCount() : await eventIds(trace.traceId);

    const seen = await reject(kind, c.method, request);

    expect({ code: seen.code, reason: seen.reason, domain: seen.domain }).toEqual({
      code: c.code,
      reason: c.reason,
      domain: c.reason === undefined ? undefined : DOMAIN,
    });
    if (c.metadata) expect(seen.metadata).toMatchObject(c.metadata(trace));
    if (kind === "fetch") expect(seen.httpStatus).toBe(HTTP_STATUS[c.code]);
    // Nothing was written.
    expect(c.countEvery ? await eventCount() : await eventIds(trace.traceId)).toEqual(before);
  });
});

describe("Connect JSON requests the HTTP door refuses", () => {
  it("malformed JSON -> invalid_argument, HTTP 400, nothing written", async () => {
    const trace = await runningTrace();
    const before = await eventIds(trace.traceId);
    const response = await postJson(e2e.server.httpAddress, "StartSpan", `{"traceparent":"${trace.rootTraceparent}","name":"x",`);
    expect(response.status).toBe(400);
    expect((response.body as { code?: string }).code).toBe("invalid_argument");
    expect(await eventIds(trace.traceId)).toEqual(before);
  });

  it("a field of the wrong JSON type -> invalid_argument, HTTP 400", async () => {
    const response = await postJson(e2e.server.httpAddress, "GetTrace", { traceId: 12 });
    expect(response.status).toBe(400);
    expect((response.body as { code?: string }).code).toBe("invalid_argument");
  });

  // Ignored, a misspelt name would be stored as if absent: an error status as UNSET, for good.
  it.each([
    ["an enum name the contract does not have", "EndSpan", (t: Running) => ({ traceparent: t.childTraceparent, status: { code: "STATUS_CODE_EROR", message: "db down" } }), "STATUS_CODE_EROR"],
    ["a misspelt kind", "StartSpan", (t: Running) => ({ traceparent: t.rootTraceparent, spanId: "", name: "x", serviceName: "errors", kind: "SPAN_KIND_SERVR" }), "SPAN_KIND_SERVR"],
    ["a field name the contract does not have", "EndSpan", (t: Running) => ({ traceparent: t.childTraceparent, statsu: { code: "STATUS_CODE_ERROR" } }), "statsu"],
  ])("%s -> invalid_argument naming it, HTTP 400, nothing written", async (_, method, request, named) => {
    const trace = await runningTrace();
    const before = await eventIds(trace.traceId);
    const response = await postJson(e2e.server.httpAddress, method, request(trace));
    expect(response.status).toBe(400);
    expect(response.body as { code?: string; message?: string }).toMatchObject({ code: "invalid_argument", message: expect.stringContaining(named) });
    expect(await eventIds(trace.traceId)).toEqual(before);
  });

  // JSON carries bytes as base64, and 32 hex digits are valid base64 too (24 bytes).
  it.each([
    ["GetTrace's trace id", "GetTrace", (hexId: string) => ({ traceId: hexId })],
    ["StartSpan's trace id", "StartSpan", (hexId: string) => ({ traceId: hexId, spanId: "AQIDBAUGBwg=", name: "x", serviceName: "errors" })],
  ])("%s written as hex -> INVALID_TRACE_ID saying what to send instead", async (_, method, request) => {
    const hexId = hex(newTraceId());
    const response = await postJson(e2e.server.httpAddress, method, request(hexId));
    expect(response.status).toBe(400);
    expect(connectJsonError(response.body)).toMatchObject({ code: "invalid_argument", reason: "INVALID_TRACE_ID" });
    expect((response.body as { message: string }).message).toContain(`"${hexId}" looks like a hex id, but JSON carries bytes as base64: send "${Buffer.from(hexId, "hex").toString("base64")}"`);
  });

  it("a content type that is not Connect -> HTTP 415, nothing written", async () => {
    const trace = await runningTrace();
    const before = await eventIds(trace.traceId);
    const body = JSON.stringify({ traceparent: trace.rootTraceparent, name: "x", serviceName: "errors" });
    const response = await postJson(e2e.server.httpAddress, "StartSpan", body, "text/plain");
    expect(response.status).toBe(415);
    expect(await eventIds(trace.traceId)).toEqual(before);
  });
});

describe("a trace id of the wrong length", () => {
  // The store's stream ids are trace ids: such a command used to reach it and fail the whole
  // group commit as STORE_UNAVAILABLE, every other caller's commands in it too.
  it("is refused alone, as INVALID_TRACE_ID, in a batch and beside another caller's command", async () => {
    const unary = await e2e.client.endSpan({ traceId: Buffer.from("deadbeef", "hex"), spanId: newSpanId() }).catch((e: unknown) => e);
    expect(connectError(unary)).toMatchObject({ code: "invalid_argument", reason: "INVALID_TRACE_ID" });

    const traceId = newTraceId();
    const batch = await e2e.client.ingestBatch({
      commands: [
        { command: { case: "startTrace", value: { traceId, spanId: newSpanId(), name: "fine", serviceName: "wrong-length" } } },
        { command: { case: "endSpan", value: { traceId: Buffer.from("deadbeef", "hex"), spanId: newSpanId() } } },
      ],
    });
    expect(batch.results.map((r) => r.result.case)).toEqual(["startTrace", "error"]);
    expect(batch.results[1]!.result.value).toMatchObject({ reason: "INVALID_TRACE_ID" });
    expect((await e2e.client.getTrace({ traceId })).trace!.spans.map((s) => s.name)).toEqual(["fine"]);

    const other = newTraceId();
    const [good, bad] = await Promise.allSettled([
      e2e.client.startTrace({ traceId: other, spanId: newSpanId(), name: "other caller", serviceName: "wrong-length" }),
      e2e.client.recordError({ traceId: Buffer.from("00ff", "hex"), spanId: newSpanId(), errorType: "E" }),
    ]);
    expect(good.status).toBe("fulfilled");
    expect(bad.status === "rejected" && connectError(bad.reason).reason).toBe("INVALID_TRACE_ID");
  });
});
