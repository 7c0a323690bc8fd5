// A crash in the middle of an export loses nothing. The server runs as its own
// process. The receiver takes the first request's spans and never answers (the
// collector accepted them; the answer is lost), and the server is SIGKILLed
// while it waits: its checkpoint never moved past those spans. A new process
// starts while the receiver is failing (503), takes over the lease once it
// expires, and sends again from the checkpoint. Every span arrives; the only
// copies are the spans of the request that was in flight, and the new process
// counts (and logs) them as possibly sent twice.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { sendTrace, type SentTrace } from "./support/export-traces.js";
import { connectClient } from "./support/in-process-server.js";
import { startOtlpHttpReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { within } from "./support/wait.js";

let db: TestDatabase;
let receiver: OtlpReceiver;
const processes: ServerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startOtlpHttpReceiver();
});

afterAll(async () => {
  for (const p of processes) await killServer(p);
  await receiver?.close();
  await db?.drop();
});

const MAX_BATCH_SPANS = 6;

async function spawnExporter(): Promise<ServerProcess> {
  const server = await spawnServer(db.url, {
    OTLP_ENDPOINT: receiver.url,
    OTLP_EXPORT_MAX_DELAY_MS: "20",
    OTLP_EXPORT_MAX_BATCH_SPANS: String(MAX_BATCH_SPANS),
    OTLP_EXPORT_LEASE_MS: "3000",
    OTLP_EXPORT_RETRY_INITIAL_MS: "20",
    OTLP_EXPORT_RETRY_MAX_MS: "100",
    // Long enough that the hung request is still waiting when the process dies.
    OTEL_EXPORTER_OTLP_TIMEOUT: "120000",
  });
  processes.push(server);
  return server;
}

describe("OTLP export across a crash", () => {
  it("loses no span when the server is killed mid-export and restarted while the collector fails", { timeout: 90_000 }, async () => {
    let phase: "hang-first" | "failing" | "healthy" = "hang-first";
    receiver.answer = (request) => {
      if (phase === "hang-first" && request.index === 1) return { kind: "hang" };
      if (phase === "healthy") return { kind: "accept" };
      return { kind: "status", status: 503, headers: { "retry-after": "0" } };
    };

    const first = await spawnExporter();
    await first.waitForOutput("otlp export: this replica exports", 15_000);
    const client = connectClient(first.grpcAddress);
    const traces: SentTrace[] = [];
    for (let i = 0; i < 8; i++) traces.push(await sendTrace(client, { children: 2 }));
    await receiver.waitForRequests(1);
    const inFlight = receiver.requests[0]!;
    expect(inFlight.answer).toBe("hang");
    expect(inFlight.spanCount).toBeGreaterThan(0);

    first.signal("SIGKILL");
    expect(await within(10_000, "the first process to die", first.exited)).toMatchObject({ signal: "SIGKILL" });
    phase = "failing";

    const second = await spawnExporter();
    await second.waitForOutput("otlp export: this replica exports", 20_000);
    const beforeRecovery = receiver.requests.length;
    await receiver.waitForRequests(beforeRecovery + 2, 20_000);
    phase = "healthy";

    await receiver.waitForSpans(traces.flatMap((t) => t.keys), 30_000);
    // Exactly the spans of the request that was in flight went twice, and no others.
    expect(receiver.duplicates()).toBe(inFlight.spanCount);
    for (const [, span] of receiver.spans) expect(span.times).toBeLessThanOrEqual(2);
    // The new process knew it might be repeating them, and said how many (an upper bound).
    await second.waitForOutput("re-sending spans the collector may already have", 5_000);
    const resent = second
      .output()
      .split("\n")
      .filter((line) => line.includes("re-sending spans the collector may already have"))
      .map((line) => JSON.parse(line) as { count: number; cause: string });
    expect(resent.every((r) => r.cause === "redelivered")).toBe(true);
    const counted = resent.reduce((sum, r) => sum + r.count, 0);
    expect(counted).toBeGreaterThanOrEqual(receiver.duplicates());
    // Bounded by one batch: take() stops at the trace that reaches the batch size (3 spans each here).
    expect(counted).toBeLessThanOrEqual(MAX_BATCH_SPANS + 3);

    // New traces flow as usual after the takeover.
    const after = await sendTrace(connectClient(second.grpcAddress));
    await receiver.waitForSpans(after.keys);
    // And nothing is sent again later: over 1 s, many times the batch delay (20 ms) and the
    // longest retry wait (100 ms) configured above, no request and no copy comes in.
    const requestsAfter = receiver.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.requests.length).toBe(requestsAfter);
    expect(receiver.duplicates()).toBe(inFlight.spanCount);

    second.signal("SIGTERM");
    expect(await within(20_000, "the second process to stop", second.exited)).toEqual({ code: 0, signal: null });
  });
});
