// Shutdown with WatchTrace clients that have stopped reading, on both doors.
// Such a stream is blocked by flow control (HTTP/2's window on the gRPC port,
// TCP's on the HTTP/1.1 port), so the end that closes it (UNAVAILABLE) waits
// behind messages the client will not take: before, it held the server's close
// for the whole grace period (TRACELEDGER_SHUTDOWN_GRACE_MS), and only then was
// everything cut. Now such a stream is cut soon after shutdown begins (gRPC: a
// reset, which the client reads as CANCELLED; HTTP/1.1: its connection is
// closed), while a watcher that reads still gets every message and UNAVAILABLE,
// and a unary call in flight is still answered.

import { create, toJsonString } from "@bufbuild/protobuf";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { Metadata, status as grpcStatus, type ClientReadableStream, type StatusObject } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { ForeignTracingClient, type Wire } from "./support/grpc-js-client.js";
import { grpcJsError } from "./support/error-details.js";
import { holdEventWrites, type HeldEventWrites } from "./support/held-event-writes.js";
import { connectClient } from "./support/in-process-server.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { text } from "./support/values.js";
import { within } from "./support/wait.js";
import { SetSpanAttributesRequestSchema, WatchTraceRequestSchema } from "@traceledger/proto";
import type { ServiceError } from "@grpc/grpc-js";

const GRACE_MS = 10_000;
/**
 * Events written to the watched trace after it started, 30 MiB: more than the stalled gRPC
 * client buffers (16 messages) and its HTTP/2 window (64 KiB), and more than the loopback
 * TCP buffers between the server and the stalled HTTP/1.1 client take.
 */
const BIG_EVENTS = 120;
const BLOB = "x".repeat(256 * 1024);

let db: TestDatabase;
let proc: ServerProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await killServer(proc);
  await db?.drop();
});

/**
 * WatchTrace from a grpc-js client that takes the first message and then stops reading, as
 * an application stuck in its handler does. (One that never reads at all is no test: grpc-js
 * then buffers whatever arrives, without limit, and never applies back-pressure.) The stream
 * then buffers at most its high-water mark (16 messages) and pauses the HTTP/2 stream: the
 * server can send no more than the stream's flow-control window (64 KiB) past that.
 */
function stalledWatch(client: ForeignTracingClient, traceId: Uint8Array): { call: ClientReadableStream<Wire>; status: Promise<StatusObject> } {
  const method = (client.client as unknown as Record<string, (request: object, metadata: Metadata) => ClientReadableStream<Wire>>)["WatchTrace"]!;
  const call = method.call(client.client, { trace_id: Buffer.from(traceId), after_version: "0" }, new Metadata());
  call.once("data", () => call.pause());
  call.on("error", () => undefined);
  const status = new Promise<StatusObject>((resolve) => call.on("status", resolve));
  return { call, status };
}

/**
 * WatchTrace over the HTTP port (Connect protocol, JSON, HTTP/1.1) from a client that reads
 * the first bytes and then stops reading: TCP flow control then holds the server back.
 * `resume()` reads on, and `ended` settles once the response is over (a paused client sees
 * its connection close only after what was sent before): `complete` says whether it ended
 * as HTTP says (the Connect end-of-stream message and all), not by its connection closing.
 */
function stalledHttpWatch(address: string, traceId: Uint8Array): { ended: Promise<{ complete: boolean }>; resume: () => void } {
  let resume = () => undefined as void;
  const json = Buffer.from(toJsonString(WatchTraceRequestSchema, create(WatchTraceRequestSchema, { traceId })));
  const envelope = Buffer.alloc(5 + json.length);
  envelope.writeUInt32BE(json.length, 1);
  json.copy(envelope, 5);
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const ended = new Promise<{ complete: boolean }>((resolve) => {
    const request = httpRequest(
      { host, port, method: "POST", path: "/traceledger.v1.TracingService/WatchTrace", headers: { "content-type": "application/connect+json", "connect-protocol-version": "1" } },
      (response: IncomingMessage) => {
        response.once("data", () => response.pause());
        resume = () => void response.resume();
        response.on("error", () => undefined);
        response.once("close", () => resolve({ complete: response.complete }));
      },
    );
    request.on("error", () => resolve({ complete: false }));
    request.end(envelope);
  });
  return { ended, resume: () => resume() };
}

describe("SIGTERM with WatchTrace clients that stopped reading", () => {
  it("cuts their streams at once on both doors, ends a reading watcher with UNAVAILABLE, answers the call in flight, and exits 0 long before the grace period ends", async () => {
    proc = await spawnServer(db.url, { TRACELEDGER_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const client = connectClient(proc.grpcAddress);
    const stalledClient = new ForeignTracingClient(proc.grpcAddress);
    const readingClient = new ForeignTracingClient(proc.grpcAddress);
    let writes: HeldEventWrites | undefined;
    try {
      const root = await client.startTrace({ name: "watched", serviceName: "stalled-watch" });
      const stalled = stalledWatch(stalledClient, root.traceId);
      const stalledHttp = stalledHttpWatch(proc.httpAddress, root.traceId);
      const reading = readingClient.watch({ trace_id: Buffer.from(root.traceId), after_version: "0" });
      expect((await reading.reader.take(2, 10_000, "the reading watch's replay")).length).toBe(2);

      // Megabytes for the stalled watchers: they stop taking them early on.
      for (let i = 0; i < BIG_EVENTS; i++) {
        await client.setSpanAttributes(create(SetSpanAttributesRequestSchema, { traceId: root.traceId, spanId: root.spanId, updateId: `blob-${i}`, attributes: [text("blob", BLOB)] }));
      }
      // The reading watcher has them all: the server has written them, or tried to, to both.
      await reading.reader.take(BIG_EVENTS, 30_000, "the big events on the reading watch");

      // A unary call in flight at the signal: its append waits on the test's lock.
      writes = await holdEventWrites(db.sql);
      const inFlight = client.startSpan({ traceId: root.traceId, parentSpanId: root.spanId, name: "in flight", serviceName: "stalled-watch" }).then(
        (response) => ({ ok: true as const, response }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      await writes.appendWaiting();

      const signalled = performance.now();
      proc.signal("SIGTERM");
      await proc.waitForOutput('"msg":"shutting down"', 10_000);
      await writes.release();

      const exit = await within(GRACE_MS + 20_000, "the process to exit after SIGTERM", proc.exited);
      const tookMs = performance.now() - signalled;
      expect(exit, proc.output()).toEqual({ code: 0, signal: null });
      // Not held for the grace period by the readers that do not read (generous for a loaded machine).
      expect(tookMs, `the stop took ${Math.round(tookMs)} ms`).toBeLessThan(4_000);

      const answered = await within(10_000, "the call in flight to settle", inFlight);
      expect(answered.ok, answered.ok ? "" : String(answered.error)).toBe(true);

      const ended = await reading.reader.ending(10_000, "the reading watch to end", { drain: true });
      expect(ended.ok).toBe(false);
      expect(ended.ok ? undefined : grpcJsError(ended.error as ServiceError)).toMatchObject({ code: "unavailable", reason: "SHUTTING_DOWN" });

      const cut = await within(10_000, "the stalled gRPC watch's status", stalled.status);
      expect(cut.code, cut.details).toBe(grpcStatus.CANCELLED);
      stalledHttp.resume();
      expect(await within(10_000, "the stalled HTTP watch to be closed", stalledHttp.ended)).toEqual({ complete: false });
    } finally {
      await writes?.release();
      stalledClient.close();
      readingClient.close();
    }
  }, 90_000);
});
