// The OTLP ingest path in process, without I/O: the server's own functions on
// the workload's requests, stage by stage (each stage includes the ones
// before it), in CPU microseconds per span. It tells the cost of the path
// itself from the store's, the projector's and the garbage collector's.
//
// Stages: read (the request's bytes into RecordFinishedSpans commands), decide
// (decideTrace per trace), encode (each event's payload), ids (each event's
// derived id), fold (evolveTrace over the events, as the bus does after commit).

import { randomBytes } from "node:crypto";
import { DEFAULT_SPAN_LIMITS } from "../../../apps/server/src/domain/trace/span-limits.js";
import { decideTrace } from "../../../apps/server/src/domain/trace/trace-decide.js";
import { eventIdentity } from "../../../apps/server/src/domain/trace/trace-event.js";
import { evolveTrace, initialTraceState } from "../../../apps/server/src/domain/trace/trace-state.js";
import { bytesToHex } from "../../../apps/server/src/domain/trace/w3c-ids.js";
import { deriveEventId } from "../../../apps/server/src/events/event-id.js";
import { encodeTraceEvent, occurredAt } from "../../../apps/server/src/events/trace-event-codec.js";
import { readExportRequest } from "../../../apps/server/src/otlp-ingest/read-export-request.js";
import { otlpRequest, otlpTemplate, SPANS_PER_REQUEST, TRACES_PER_REQUEST } from "./otlp-workload.js";

export const PATH_STAGES = ["read", "decide", "encode", "ids", "fold"] as const;
export type PathStage = (typeof PATH_STAGES)[number];

/** CPU µs per span, per stage (cumulative), over `requests` requests after a warm-up. */
export function measureOtlpPath(requests: number): Record<PathStage, number> {
  const template = otlpTemplate(BigInt(Date.now()) * 1_000_000n);
  const bodies = Array.from({ length: 40 }, () => otlpRequest(template, Array.from({ length: TRACES_PER_REQUEST }, () => randomBytes(16))));
  const out = {} as Record<PathStage, number>;
  let sink = 0;
  for (const stage of PATH_STAGES) {
    const depth = PATH_STAGES.indexOf(stage);
    const once = (body: Buffer) => {
      const read = readExportRequest(body);
      if (depth === 0) return void (sink += read.spanCount);
      for (const [traceId, spans] of read.traces) {
        let state = initialTraceState(traceId);
        const decision = decideTrace({ type: "RecordFinishedSpans", traceId, spans }, state, { now: 1n, newId: () => "n", limits: DEFAULT_SPAN_LIMITS });
        if (!decision.ok) throw new Error(decision.error.message);
        if (depth === 1) {
          sink += decision.events.length;
          continue;
        }
        for (const event of decision.events) {
          sink += encodeTraceEvent(event).payload.length + Number(occurredAt(event) & 1n);
          if (depth >= 3) sink += deriveEventId(traceId, eventIdentity(event, bytesToHex)).length;
          if (depth >= 4) state = evolveTrace(state, event);
        }
      }
    };
    for (let i = 0; i < 100; i++) once(bodies[i % bodies.length]!);
    const before = process.cpuUsage();
    for (let i = 0; i < requests; i++) once(bodies[i % bodies.length]!);
    const cpu = process.cpuUsage(before);
    out[stage] = (cpu.user + cpu.system) / (requests * SPANS_PER_REQUEST);
  }
  if (sink === 0) throw new Error("nothing measured");
  return out;
}
