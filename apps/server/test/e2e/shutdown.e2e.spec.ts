// Graceful shutdown of a real server process: SIGTERM arrives while a
// WatchTrace stream is open and an IngestBatch is in flight. The batch must be
// answered (it was accepted, so it is drained, committed and acknowledged),
// the watcher's stream must end (UNAVAILABLE: "go elsewhere", not a complete
// stream), and the process must exit 0.
//
// "In flight" is made certain, not hoped for: the test holds an EXCLUSIVE lock
// on the events table (reads still pass, writes wait), so the batch's append
// waits in PostgreSQL (seen in pg_stat_activity) until the test lets go, after
// the server said it is shutting down.

import { grpcJsError } from "./support/error-details.js";
import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { TracingCommandSchema, type IngestBatchResponse } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { ForeignTracingClient } from "./support/grpc-js-client.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { connectClient } from "./support/in-process-server.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { within } from "./support/wait.js";
import { holdEventWrites, type HeldEventWrites } from "./support/held-event-writes.js";

let db: TestDatabase;
let proc: ServerProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await killServer(proc);
  await db?.drop();
});

async function eventCount(): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int4 as n from events`;
  return row!.n;
}

describe("SIGTERM to a server process", () => {
  it("answers the call in flight, ends the open WatchTrace stream, and exits 0", async () => {
    proc = await spawnServer(db.url, { TRACELEDGER_SHUTDOWN_GRACE_MS: "20000" });
    const client = connectClient(proc.grpcAddress);
    const foreign = new ForeignTracingClient(proc.grpcAddress);
    let writes: HeldEventWrites | undefined;
    try {
      // An open trace, watched: the replay proves the stream is established.
      const root = await client.startTrace({ name: "watched", serviceName: "shutdown" });
      const watch = foreign.watch({ trace_id: Buffer.from(root.traceId), after_version: "0" });
      expect((await watch.reader.take(2, 10_000, "the watch's replay")).length).toBe(2);

      // Hold the event store's writes.
      writes = await holdEventWrites(db.sql);

      // A batch of 200 traces, each started and ended: 800 events once committed.
      const traces = Array.from({ length: 200 }, () => ({ traceId: newTraceId(), spanId: newSpanId() }));
      const commands = traces.flatMap((t, i) => [
        create(TracingCommandSchema, { command: { case: "startTrace", value: { traceId: t.traceId, spanId: t.spanId, name: `job ${i}`, serviceName: "shutdown-batch" } } }),
        create(TracingCommandSchema, { command: { case: "endSpan", value: { traceId: t.traceId, spanId: t.spanId } } }),
      ]);
      const batch: Promise<{ ok: true; response: IngestBatchResponse } | { ok: false; error: unknown }> = client.ingestBatch({ commands }).then(
        (response) => ({ ok: true, response }),
        (error: unknown) => ({ ok: false, error }),
      );

      // The batch is in flight: its append waits for the lock.
      await writes.appendWaiting();

      proc.signal("SIGTERM");
      await proc.waitForOutput('"msg":"shutting down"', 10_000);
      await writes.release();

      const exit = await within(30_000, "the process to exit after SIGTERM", proc.exited);
      const answered = await within(10_000, "the in-flight IngestBatch to settle", batch);
      const ended = await watch.reader.ending(10_000, "the open WatchTrace stream to end", { drain: true });

      expect(exit, proc.output()).toEqual({ code: 0, signal: null });
      expect(proc.output()).toContain('"msg":"stopped"');
      expect(answered.ok, answered.ok ? "" : String(answered.error)).toBe(true);
      if (answered.ok) {
        expect(answered.response.results).toHaveLength(400);
        expect(answered.response.results.filter((r) => r.result.case === "error")).toEqual([]);
      }
      expect(ended.ok).toBe(false);
      expect(ended.ok ? undefined : (ended.error as ServiceError).code).toBe(grpcStatus.UNAVAILABLE);
      // With its ErrorInfo, as every error the server gives: a client can tell "stopping" from other trouble.
      expect(ended.ok ? undefined : grpcJsError(ended.error as ServiceError)).toMatchObject({ code: "unavailable", reason: "SHUTTING_DOWN", domain: "traceledger.dev" });
      // Acknowledged means durable: the watched trace's 2 events and the batch's 800.
      expect(await eventCount()).toBe(2 + 200 * 4);
    } finally {
      await writes?.release();
      foreign.close();
    }
  }, 90_000);

  it("exits 1 when the stop outlasts the grace period by 10 s (a database that hangs), instead of waiting for a SIGKILL", async () => {
    const hung = await spawnServer(db.url, { TRACELEDGER_SHUTDOWN_GRACE_MS: "500" });
    const client = connectClient(hung.grpcAddress);
    let writes: HeldEventWrites | undefined;
    try {
      writes = await holdEventWrites(db.sql);
      const call = client.startTrace({ name: "stuck", serviceName: "shutdown-hung" }).catch((error: unknown) => error);
      await writes.appendWaiting();
      const signalled = performance.now();
      hung.signal("SIGTERM");
      const exit = await within(25_000, "the process to give up and exit", hung.exited);
      expect(exit, hung.output()).toEqual({ code: 1, signal: null });
      expect(performance.now() - signalled).toBeGreaterThan(10_000);
      expect(hung.output()).toContain("shutdown did not finish in time");
      await call;
    } finally {
      await writes?.release();
      await killServer(hung);
    }
  }, 60_000);
});
