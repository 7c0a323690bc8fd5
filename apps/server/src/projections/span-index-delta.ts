// Folds a slice of the event log into per-span changes for the span_index
// table, so a batch of thousands of events becomes one upsert. Pure: events in,
// rows out. A span that started in an earlier slice appears with started=false
// and only the fields that changed.
//
// Per trace it notes what the summary needs: whether the slice holds the
// trace's first event (version 1), whether a span started, and whether the
// trace completed. The log hands out a stream's events in version order, so a
// trace whose first event is in the slice has no rows yet: its spans here are
// all it has, and its summary can be computed from them without reading back.

import { StatusCode } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { attributeText } from "./attribute-text.js";

export interface SpanDelta {
  traceId: string;
  spanId: string;
  started: boolean;
  parentSpanId: string;
  name: string;
  serviceName: string;
  startTime: bigint;
  endTime: bigint;
  /** 0 unchanged, else traceledger.v1.SpanState. */
  state: number;
  statusCode: number;
  hasError: boolean;
  attributes: Record<string, string>;
}

export interface TraceDelta {
  /** The slice holds the trace's first event: the trace has no rows from earlier slices. */
  readonly isNew: boolean;
  /** A span of the trace started in the slice. */
  spanStarted: boolean;
  completed: boolean;
  /** Its spans in the slice, in order of first mention. */
  readonly spans: SpanDelta[];
}

export interface ListingDelta {
  readonly spans: SpanDelta[];
  /** Every trace the slice touched. */
  readonly traces: Map<string, TraceDelta>;
}

const RUNNING = 1;
const ENDED = 2;
const ORPHANED = 3;

export function listingDelta(events: Iterable<{ traceId: string; version: number; event: TraceEventCase }>): ListingDelta {
  const spans = new Map<string, SpanDelta>();
  const traces = new Map<string, TraceDelta>();
  let trace: TraceDelta | undefined;
  const delta = (traceId: string, spanIdBytes: Uint8Array): SpanDelta => {
    const spanId = bytesToHex(spanIdBytes);
    const key = traceId + spanId;
    let d = spans.get(key);
    if (!d) {
      d = { traceId, spanId, started: false, parentSpanId: "", name: "", serviceName: "", startTime: 0n, endTime: 0n, state: 0, statusCode: 0, hasError: false, attributes: {} };
      spans.set(key, d);
      trace!.spans.push(d);
    }
    return d;
  };
  for (const { traceId, version, event } of events) {
    trace = traces.get(traceId);
    if (!trace) {
      trace = { isNew: version === 1, spanStarted: false, completed: false, spans: [] };
      traces.set(traceId, trace);
    }
    switch (event.case) {
      case "traceStarted":
        break;
      case "spanStarted": {
        const e = event.value;
        const d = delta(traceId, e.spanId);
        d.started = true;
        trace.spanStarted = true;
        d.parentSpanId = bytesToHex(e.parentSpanId);
        d.name = e.name;
        d.serviceName = e.serviceName;
        d.startTime = e.startTimeUnixNano;
        d.state = RUNNING;
        for (const kv of e.attributes) d.attributes[kv.key] = attributeText(kv.value);
        break;
      }
      case "spanEnded": {
        const e = event.value;
        const d = delta(traceId, e.spanId);
        d.endTime = e.endTimeUnixNano;
        d.state = ENDED;
        d.statusCode = e.status?.code ?? StatusCode.UNSPECIFIED;
        if (d.statusCode === StatusCode.ERROR) d.hasError = true;
        for (const kv of e.attributes) d.attributes[kv.key] = attributeText(kv.value);
        break;
      }
      case "spanOrphaned": {
        const d = delta(traceId, event.value.spanId);
        d.endTime = event.value.closedTimeUnixNano;
        d.state = ORPHANED;
        break;
      }
      case "spanErrorOccurred":
        delta(traceId, event.value.spanId).hasError = true;
        break;
      case "spanAttributeUpdated": {
        const d = delta(traceId, event.value.spanId);
        for (const kv of event.value.attributes) d.attributes[kv.key] = attributeText(kv.value);
        break;
      }
      case "spanEventRecorded":
        break;
      case "traceCompleted":
        trace.completed = true;
        break;
    }
  }
  return { spans: [...spans.values()], traces };
}
