// A big, flat trace for specs of read costs: a root and `spans - 1` children, each
// started and ended, every tenth with a span event; decided by the real
// TraceAggregate so the events are exactly what the server would store.

import { StatusCode } from "@traceledger/proto";
import { attr, endSpan, ms, startSpan, T0 } from "../../domain/testing/trace-fixtures.js";
import { TRACE } from "../../domain/testing/trace-specification.js";
import type { TraceCommand } from "../../domain/trace/trace-commands.js";
import { decideTrace } from "../../domain/trace/trace-decide.js";
import type { TraceEventCase } from "../../domain/trace/trace-event.js";
import { DEFAULT_SPAN_LIMITS } from "../../domain/trace/span-limits.js";
import { evolveTrace, initialTraceState } from "../../domain/trace/trace-state.js";

export function wideTraceEvents(spans: number, traceId = TRACE): TraceEventCase[] {
  const spanId = (i: number) => (i + 1).toString(16).padStart(16, "0");
  const root = spanId(0);
  let state = initialTraceState(traceId);
  const events: TraceEventCase[] = [];
  const run = (command: TraceCommand) => {
    const decision = decideTrace({ ...command, traceId }, state, { now: T0, newId: () => "n", limits: DEFAULT_SPAN_LIMITS });
    if (!decision.ok) throw new Error(`${command.type}: ${decision.error.message}`);
    for (const event of decision.events) {
      events.push(event);
      state = evolveTrace(state, event);
    }
  };
  run(startSpan(root, { startTime: T0 }));
  for (let i = 1; i < spans; i++) {
    const id = spanId(i);
    const startTime = T0 + BigInt(i) * 1000n;
    run(startSpan(id, { parentSpanId: root, startTime, name: `query ${i % 20}`, attributes: [attr("db.statement", `select ${i}`)] }));
    if (i % 10 === 0) run({ type: "AddSpanEvent", traceId, spanId: id, eventId: `e${i}`, time: startTime + 10n, name: "cache.miss", attributes: [] });
    run(endSpan(id, { endTime: startTime + 500n }));
  }
  run(endSpan(root, { endTime: T0 + BigInt(spans) * 1000n + ms(1), statusCode: StatusCode.OK }));
  return events;
}
