// A realistic large trace for benchmarks: a root and `spans - 1` children, each
// with a few attributes, some events and errors, all ended, decided by the real
// TraceAggregate so the events are exactly what the server stores.

import { KeyValueSchema, SpanKind, StatusCode } from "@traceledger/proto";
import { create } from "@bufbuild/protobuf";
import { DEFAULT_SPAN_LIMITS } from "../../../apps/server/src/domain/trace/span-limits.js";
import type { TraceCommand } from "../../../apps/server/src/domain/trace/trace-commands.js";
import { decideTrace } from "../../../apps/server/src/domain/trace/trace-decide.js";
import type { TraceEventCase } from "../../../apps/server/src/domain/trace/trace-event.js";
import { evolveTrace, initialTraceState } from "../../../apps/server/src/domain/trace/trace-state.js";

const attr = (key: string, value: string) => create(KeyValueSchema, { key, value: { value: { case: "stringValue", value } } });

export function bigTraceEvents(traceId: string, spans: number, t0 = 1_764_000_000_000_000_000n): TraceEventCase[] {
  const spanId = (i: number) => (i + 1).toString(16).padStart(16, "0");
  const commands: TraceCommand[] = [];
  const start = (i: number): TraceCommand => ({
    type: "StartSpan",
    traceId,
    spanId: spanId(i),
    parentSpanId: i === 0 ? "" : spanId(0),
    parentIsRemote: false,
    name: i === 0 ? "POST /checkout" : `SELECT orders #${i % 20}`,
    kind: i === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
    serviceName: `service-${i % 7}`,
    startTime: t0 + BigInt(i) * 1000n,
    attributes: [attr("db.system", "postgresql"), attr("db.statement", `select * from orders where id = ${i}`), attr("net.peer.name", "db-1")],
    links: [],
    resourceAttributes: [],
    tracestate: "",
    flags: 1,
    scopeName: "bench",
  });
  commands.push(start(0));
  for (let i = 1; i < spans; i++) {
    commands.push(start(i));
    if (i % 10 === 0) commands.push({ type: "AddSpanEvent", traceId, spanId: spanId(i), eventId: `e${i}`, time: t0 + BigInt(i) * 1000n + 10n, name: "cache.miss", attributes: [] });
    if (i % 50 === 0) commands.push({ type: "RecordError", traceId, spanId: spanId(i), errorId: `x${i}`, time: t0 + BigInt(i) * 1000n + 20n, errorType: "Timeout", message: "slow", stacktrace: "", escaped: false, attributes: [] });
    commands.push({ type: "EndSpan", traceId, spanId: spanId(i), endTime: t0 + BigInt(i) * 1000n + 500n, statusCode: StatusCode.OK, statusMessage: "", endReason: 0, attributes: [], name: "" });
  }
  commands.push({ type: "EndSpan", traceId, spanId: spanId(0), endTime: t0 + BigInt(spans) * 1000n + 1000n, statusCode: StatusCode.OK, statusMessage: "", endReason: 0, attributes: [], name: "" });

  let state = initialTraceState(traceId);
  const events: TraceEventCase[] = [];
  for (const command of commands) {
    const decision = decideTrace(command, state, { now: t0, newId: () => "n", limits: DEFAULT_SPAN_LIMITS });
    if (!decision.ok) throw new Error(`${command.type}: ${decision.error.message}`);
    for (const event of decision.events) {
      events.push(event);
      state = evolveTrace(state, event);
    }
  }
  return events;
}
