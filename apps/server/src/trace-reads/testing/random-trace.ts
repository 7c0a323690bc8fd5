// Random traces for specs, decided by the real TraceAggregate so the events are
// exactly what the server would store: spans started under random parents (many
// at the same instant, to exercise the order of ties), ended with random
// statuses, errors, span events and attribute updates on overlapping keys,
// orphans closed, the root ended, and late finished spans after completion.
// Seeded, so a failure can be replayed.

import { SpanEndReason, SpanKind, StatusCode } from "@traceledger/proto";
import {
  addSpanEvent,
  attr,
  endSpan,
  finishedError,
  finishedEvent,
  finishedSpan,
  ms,
  recordError,
  recordFinished,
  setSpanAttributes,
  startSpan,
  T0,
} from "../../domain/testing/trace-fixtures.js";
import { TRACE } from "../../domain/testing/trace-specification.js";
import { DEFAULT_SPAN_LIMITS } from "../../domain/trace/span-limits.js";
import { seededRandom } from "../../domain/testing/seeded-random.js";
import type { TraceCommand } from "../../domain/trace/trace-commands.js";
import { decideTrace } from "../../domain/trace/trace-decide.js";
import type { TraceEventCase } from "../../domain/trace/trace-event.js";
import { evolveTrace, initialTraceState } from "../../domain/trace/trace-state.js";

export { TRACE };


const KEYS = ["http.route", "db.system", "retries", "customer.tier", "peer.service"];

export function randomTraceEvents(seed: number, steps: number, traceId = TRACE): TraceEventCase[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const spanId = (n: number) => (n + 1).toString(16).padStart(16, "0");
  const attrs = () => Array.from({ length: Math.floor(random() * 3) }, () => attr(pick(KEYS), pick(["a", "b", 1, 2, true])));
  // Few distinct instants, so that spans often start at the same time.
  const time = (floor: bigint) => floor + ms(Math.floor(random() * 6));

  let state = initialTraceState(traceId);
  const events: TraceEventCase[] = [];
  const open = new Map<string, bigint>();
  const started: string[] = [];
  let next = 0;
  let n = 0;
  const run = (anyTrace: TraceCommand): boolean => {
    const command = { ...anyTrace, traceId };
    const decision = decideTrace(command, state, { now: T0 + ms(50), newId: () => `id-${n++}`, limits: DEFAULT_SPAN_LIMITS });
    if (!decision.ok) return false;
    for (const event of decision.events) {
      events.push(event);
      state = evolveTrace(state, event);
    }
    return true;
  };
  const start = (parent: string) => {
    const id = spanId(next++);
    const at = time(T0);
    const flags = random() < 0.8 ? 1 : 0;
    if (run(startSpan(id, { parentSpanId: parent, startTime: at, attributes: attrs(), flags, kind: pick([SpanKind.SERVER, SpanKind.CLIENT]), name: `op ${id.slice(-2)}` }))) {
      open.set(id, at);
      started.push(id);
    }
  };

  start("");
  const root = started[0]!;
  for (let step = 0; step < steps; step++) {
    const r = random();
    const running = [...open.keys()];
    const child = running.filter((id) => id !== root);
    if (r < 0.35 && open.has(root)) start(pick(started.filter((id) => open.has(id)).concat(root)));
    else if (r < 0.6 && child.length > 0) {
      const id = pick(child);
      const ok = run(
        endSpan(id, {
          endTime: open.get(id)! + ms(Math.floor(random() * 8)),
          statusCode: pick([StatusCode.OK, StatusCode.ERROR, StatusCode.UNSPECIFIED]),
          statusMessage: random() < 0.3 ? "failed" : "",
          endReason: pick([SpanEndReason.UNSPECIFIED, SpanEndReason.CANCELLED]),
          attributes: attrs(),
        }),
      );
      if (ok) open.delete(id);
    } else if (r < 0.7 && running.length > 0) run(recordError(pick(running), { errorId: `e${step}`, time: time(T0 + ms(2)), attributes: attrs() }));
    else if (r < 0.8 && running.length > 0) run(addSpanEvent(pick(running), { eventId: `v${step}`, time: time(T0 + ms(2)), attributes: attrs() }));
    else if (r < 0.9 && running.length > 0) run(setSpanAttributes(pick(running), { updateId: `u${step}`, attributes: attrs() }));
    else if (r < 0.93 && child.length > 0) {
      const id = pick(child);
      if (run({ type: "CloseOrphanedSpan", traceId: TRACE, spanId: id, reason: "timeout" })) open.delete(id);
    }
  }
  // End everything, the root last: the trace completes.
  for (const id of [...open.keys()].filter((id) => id !== root)) if (run(endSpan(id, { endTime: open.get(id)! + ms(9) }))) open.delete(id);
  if (open.has(root)) run(endSpan(root, { endTime: T0 + ms(30), statusCode: StatusCode.OK }));
  // Late spans reported after completion (OTLP), one with an event and an error.
  const late = spanId(next++);
  run(
    recordFinished(
      finishedSpan(late, {
        parentSpanId: root,
        startTime: time(T0),
        endTime: T0 + ms(31),
        statusCode: StatusCode.ERROR,
        events: [finishedEvent("late-event"), finishedError("late-error")],
      }),
    ),
  );
  return events;
}
