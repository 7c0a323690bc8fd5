// Retryable conditions, and only those, get UNAVAILABLE / 503 with
// Retry-After: a store that fails, and more spans waiting than allowed. The
// real command bus over the in-memory event store; the HTTP route on a real
// loopback server.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema, RetryInfoSchema, RpcStatusSchema } from "@traceledger/proto/google-rpc";
import { ExportTraceServiceRequestSchema } from "@traceledger/proto/otlp";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TraceCommandBus } from "../commands/trace-command-bus.js";
import { DEFAULT_SPAN_LIMITS } from "../domain/trace/span-limits.js";
import type { AppendRequest } from "../event-store/event-store.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { createLogger } from "../log/logger.js";
import { plainRouter } from "../rpc/transport/plain-routes.js";
import { OtlpFailure } from "./otlp-failure.js";
import { otlpTracesRoute } from "./otlp-http-route.js";
import { OtlpIngest } from "./otlp-ingest.js";

const clock = () => 1_764_000_000_000_000_000n;
let n = 0;

function request(spans: number): Uint8Array {
  const traceId = Buffer.alloc(16, ++n);
  return toBinary(
    ExportTraceServiceRequestSchema,
    create(ExportTraceServiceRequestSchema, {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: Array.from({ length: spans }, (_, i) => ({
                traceId,
                spanId: Buffer.from((i + 1).toString(16).padStart(16, "0"), "hex"),
                parentSpanId: i === 0 ? undefined : Buffer.from("1".padStart(16, "0"), "hex"),
                name: `op ${i}`,
                startTimeUnixNano: clock(),
                endTimeUnixNano: clock() + 1n,
              })),
            },
          ],
        },
      ],
    }),
  );
}

function ingestOver(store: InMemoryEventStore, maxPendingSpans = 1000) {
  const bus = new TraceCommandBus({ store, clock, newId: () => `id-${++n}`, limits: DEFAULT_SPAN_LIMITS });
  return new OtlpIngest({ submitAll: (commands) => bus.submitAll(commands), maxPendingSpans });
}

let server: Server | undefined;
afterEach(() => server?.close());

async function serve(ingest: OtlpIngest): Promise<string> {
  server = createServer(plainRouter([otlpTracesRoute(ingest, { maxBodyBytes: 1 << 20, log: createLogger("error", {}, () => {}) })], () => {}));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
}

describe("retryable failures", () => {
  it("a store that fails: the export fails as retryable, 503 with Retry-After over HTTP", async () => {
    const store = new InMemoryEventStore({ clock });
    store.appendMany = async () => {
      throw new Error("connection refused");
    };
    const ingest = ingestOver(store);
    await expect(ingest.export(request(2))).rejects.toMatchObject({ kind: "unavailable", reason: "STORE_UNAVAILABLE" });

    const response = await fetch(await serve(ingest), { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: request(2) });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    const status = fromBinary(RpcStatusSchema, new Uint8Array(await response.arrayBuffer()));
    expect(status.code).toBe(14);
    // One ErrorInfo, then a RetryInfo that says what Retry-After says.
    expect(status.details.map((d) => anyUnpack(d, ErrorInfoSchema)?.reason ?? anyUnpack(d, RetryInfoSchema)?.retryDelay?.seconds)).toEqual(["STORE_UNAVAILABLE", 1n]);
  });

  it("more spans waiting than allowed: later exports are told to retry, and succeed once the backlog clears", async () => {
    const store = new InMemoryEventStore({ clock });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const appendMany = store.appendMany.bind(store);
    store.appendMany = async (requests: readonly AppendRequest[]) => {
      await gate;
      return appendMany(requests);
    };
    const ingest = ingestOver(store, 5);
    const first = ingest.export(request(4));
    const second = ingest.export(request(4)).catch((error: unknown) => error);
    expect(await second).toBeInstanceOf(OtlpFailure);
    expect(await second).toMatchObject({ kind: "unavailable", reason: "INGEST_OVERLOADED" });
    release();
    expect(await first).toEqual({ rejectedSpans: 0, errorMessage: "" });
    expect(await ingest.export(request(4))).toEqual({ rejectedSpans: 0, errorMessage: "" });
  });

  it("an export of more spans than may wait, while none waits, is stored: refused, it would be refused on every retry", async () => {
    const store = new InMemoryEventStore({ clock });
    const ingest = ingestOver(store, 2);
    const body = request(3);
    // request() gives each request a trace of its own, its bytes all n.
    const traceId = Buffer.alloc(16, n).toString("hex");
    expect(await ingest.export(body)).toEqual({ rejectedSpans: 0, errorMessage: "" });
    expect((await store.readStream(traceId)).filter((e) => e.type === "SpanStarted")).toHaveLength(3);
  });

  it("a domain rejection is not retryable: it is a success with partial_success", async () => {
    const ingest = ingestOver(new InMemoryEventStore({ clock }));
    const bad = toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16), spanId: Buffer.alloc(8, 1), name: "x" }] }] }] }),
    );
    expect(await ingest.export(bad)).toMatchObject({ rejectedSpans: 1 });
  });

  it("a trace refused as a whole rejects each of its spans: partial_success counts them all", async () => {
    const ingest = ingestOver(new InMemoryEventStore({ clock }));
    const spans = [1, 2, 3].map((i) => ({ traceId: Buffer.alloc(16), spanId: Buffer.alloc(8, i), name: `op ${i}`, startTimeUnixNano: clock(), endTimeUnixNano: clock() + 1n }));
    const bad = toBinary(ExportTraceServiceRequestSchema, create(ExportTraceServiceRequestSchema, { resourceSpans: [{ scopeSpans: [{ spans }] }] }));
    const result = await ingest.export(bad);
    expect(result.rejectedSpans).toBe(3);
    expect(result.errorMessage).toMatch(/^3 of 3 spans rejected: INVALID_TRACE_ID x3 /);
  });
});
