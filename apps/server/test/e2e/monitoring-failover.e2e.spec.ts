// Failover of the saga between two server processes on one database: A holds
// the lease and alerts; it is killed with SIGKILL just as spans it alerted on
// end (it may have resolved some, all or none of them); then, with A dead, new
// spans arrive that were slow when they ended, so their alerts are B's to
// raise and resolve: B takes the lease once it expires and carries on. No alert
// may be lost or doubled: the monitoring stream holds exactly one AlertRaised
// and one AlertResolved per slow span, and the webhook receiver got every one
// of those events (at least once, told apart by key). A stores a snapshot of its
// state once it has read a few events (before it alerts), and B's rebuild goes on
// from it: the alerts A stored after it are folded over it, not decided again.

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AlertKind, MonitoringService, StatusCode, type MonitoringEventEnvelope } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { hex, newSpanId, newTraceId, nowNanos } from "./support/ids.js";
import { connectClient } from "./support/in-process-server.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { readIterable } from "./support/stream-reader.js";
import { until, within } from "./support/wait.js";

const TOOK_LEASE = "took the saga's lease";
const SLOW_SPANS = 5;

let db: TestDatabase;
let receiver: Server;
let a: ServerProcess | undefined;
let b: ServerProcess | undefined;
const delivered: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = createServer((request, response) => {
    delivered.push(String(request.headers["idempotency-key"]));
    request.resume();
    request.on("end", () => response.writeHead(200).end());
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
});

afterAll(async () => {
  await Promise.all([killServer(a), killServer(b)]);
  receiver?.close();
  await db?.drop();
});

function env(): Record<string, string> {
  return {
    MONITORING_SLOW_SPAN_MS: "300",
    MONITORING_SLOW_TRACE_MS: "600000",
    MONITORING_TICK_MS: "50",
    MONITORING_LEASE_MS: "1500",
    MONITORING_SNAPSHOT_EVERY_EVENTS: "5",
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
  };
}

async function monitoringStream(): Promise<Array<{ event_id: string; type: string; version: number }>> {
  return db.sql<{ event_id: string; type: string; version: number }[]>`
    select event_id::text, type, version from events where trace_id = ${Buffer.alloc(16)} order by version`;
}

describe("the saga across two server processes", () => {
  it("moves to the other replica when its leader is killed, losing and doubling no alert", async () => {
    a = await spawnServer(db.url, env());
    await a.waitForOutput(TOOK_LEASE, 30_000);
    b = await spawnServer(db.url, env());
    const tracingA = connectClient(a.grpcAddress);
    const tracingB = connectClient(b.grpcAddress);
    const monitoringB = createClient(MonitoringService, createGrpcTransport({ baseUrl: `http://${b.grpcAddress}` }));
    const stop = new AbortController();
    const watch = readIterable(monitoringB.watchAlerts({ afterVersion: 0n }, { signal: stop.signal }));
    const seen: MonitoringEventEnvelope[] = [];
    const readUntil = (count: number, what: string) =>
      within(30_000, what, (async () => {
        while (seen.length < count) seen.push((await watch.next(30_000, what)).event!);
      })());

    try {
      // A alerts on spans that run too long.
      const running = Array.from({ length: SLOW_SPANS }, () => ({ traceId: newTraceId(), spanId: newSpanId() }));
      for (const s of running) await tracingA.startTrace({ ...s, name: "long job", serviceName: "batch" });
      await readUntil(SLOW_SPANS, "A's slow-span alerts");
      expect(seen.every((e) => e.event?.event.case === "alertRaised" && e.event.event.value.kind === AlertKind.SLOW_SPAN)).toBe(true);

      // Through B: the running spans end. Then A dies, whatever it made of those ends.
      await Promise.all(running.map((s) => tracingB.endSpan({ ...s, status: { code: StatusCode.OK } })));
      a.signal("SIGKILL");
      await within(10_000, "A to die", a.exited);
      // What A stored before it died: its raises, and at most the resolutions of the running spans.
      const atKill = (await monitoringStream()).length;
      expect(atKill).toBeGreaterThanOrEqual(SLOW_SPANS);
      expect(atKill).toBeLessThanOrEqual(2 * SLOW_SPANS);
      // So the takeover is exercised: of the 4 * SLOW_SPANS events, at least the 2 * SLOW_SPANS
      // of the spans below (they arrive after the kill) are left for B.

      // With A dead, new spans arrive through B that were slow when they ended: only B can alert on them.
      const finished = Array.from({ length: SLOW_SPANS }, () => ({ traceId: newTraceId(), spanId: newSpanId() }));
      await Promise.all(
        finished.map(async (s) => {
          const end = nowNanos();
          await tracingB.startTrace({ ...s, name: "quick job", serviceName: "batch", startTimeUnixNano: end - 1_000_000_000n });
          await tracingB.endSpan({ ...s, endTimeUnixNano: end, status: { code: StatusCode.OK } });
        }),
      );

      await b.waitForOutput(TOOK_LEASE, 30_000);
      await b.waitForOutput("the saga's state goes on from its snapshot", 30_000);
      const expected = 4 * SLOW_SPANS;
      await readUntil(expected, "every span's alert raised and resolved");
      await until(30_000, "the webhook to have every alert event", () => (new Set(delivered).size >= expected ? true : undefined), 50);

      // Exactly one raise and one resolution per span, in the stream and on the hook.
      const stream = await monitoringStream();
      expect(stream).toHaveLength(expected);
      const ids = (e: MonitoringEventEnvelope) => `${e.event!.event.case} ${e.event!.event.value!.alertId}`;
      const perSpan = [...running, ...finished].flatMap((s) => [`alertRaised slow_span:${hex(s.traceId)}:${hex(s.spanId)}`, `alertResolved slow_span:${hex(s.traceId)}:${hex(s.spanId)}`]);
      expect(seen.map(ids).sort()).toEqual(perSpan.sort());
      expect(new Set(delivered)).toEqual(new Set(stream.map((e) => e.event_id)));
    } finally {
      stop.abort();
    }
  }, 90_000);
});
