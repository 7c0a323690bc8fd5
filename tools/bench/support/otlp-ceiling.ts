// The raw PostgreSQL ceiling for otlp-ingest.ts: the events the server stores
// for one OTLP request of the workload (read, decided and encoded by the
// server's own code), with fresh trace ids per batch, into a bare copy of the
// events table (support/pg-ceiling.ts) over `lanes` connections, as `unnest`
// inserts and as binary COPY; the faster is the ceiling.

import { randomBytes, randomUUID } from "node:crypto";
import type { Sql } from "../../../apps/server/src/database/open-database.js";
import { DEFAULT_SPAN_LIMITS } from "../../../apps/server/src/domain/trace/span-limits.js";
import { decideTrace } from "../../../apps/server/src/domain/trace/trace-decide.js";
import { initialTraceState } from "../../../apps/server/src/domain/trace/trace-state.js";
import { encodeTraceEvent, occurredAt } from "../../../apps/server/src/events/trace-event-codec.js";
import { readExportRequest } from "../../../apps/server/src/otlp-ingest/read-export-request.js";
import { otlpTemplate } from "./otlp-workload.js";
import { measureCeilingOf, type CeilingFigures, type CeilingRow } from "./pg-ceiling.js";

interface TraceEvents {
  readonly events: Array<{ type: string; payload: Uint8Array; occurredAt: bigint }>;
}

/** Per trace of one request, the events the server stores for it. */
export function serverEventsOfOneRequest(t0: bigint): TraceEvents[] {
  const read = readExportRequest(otlpTemplate(t0).bytes);
  const out: TraceEvents[] = [];
  for (const [traceId, spans] of read.traces) {
    const decision = decideTrace({ type: "RecordFinishedSpans", traceId, spans }, initialTraceState(traceId), { now: t0, newId: () => "n", limits: DEFAULT_SPAN_LIMITS });
    if (!decision.ok) throw new Error(decision.error.message);
    if (decision.outcome.type !== "FinishedSpansRecorded" || decision.outcome.rejected.length > 0) throw new Error("the workload has rejected spans");
    out.push({ events: decision.events.map((e) => ({ ...encodeTraceEvent(e), occurredAt: occurredAt(e) })) });
  }
  return out;
}

export function eventsPerRequest(t0: bigint): number {
  return serverEventsOfOneRequest(t0).reduce((n, t) => n + t.events.length, 0);
}

function workload(lanes: number, batches: number, t0: bigint): CeilingRow[][][] {
  const traces = serverEventsOfOneRequest(t0);
  return Array.from({ length: lanes }, () =>
    Array.from({ length: batches }, () => {
      const rows: CeilingRow[] = [];
      for (const trace of traces) {
        const traceId = randomBytes(16);
        trace.events.forEach((e, i) => rows.push({ traceId, version: i + 1, eventId: randomUUID(), ...e }));
      }
      return rows;
    }),
  );
}

/** rows/s of both methods, each on a fresh table after a warm-up. `sql` needs `lanes` connections. */
export function measureOtlpCeiling(sql: Sql, lanes: number, batchesPerLane: number): Promise<CeilingFigures> {
  const now = BigInt(Date.now()) * 1_000_000n;
  return measureCeilingOf(sql, workload(lanes, batchesPerLane, now), workload(lanes, 2, now), now);
}
