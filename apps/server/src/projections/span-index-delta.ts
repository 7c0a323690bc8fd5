// Folds a slice of the event log into per-span changes for the span_index
// table, so a batch of thousands of events becomes one upsert. Pure: events in,
// rows out. A span that started in an earlier slice appears with started=false
// and only the fields that changed. Events are read for their listing fields
// only (listing-event-reader.ts), straight from the stored payloads.
//
// Per trace it notes what the summary needs: whether the slice holds the
// trace's first event (version 1), whether a span started, and whether the
// trace completed. The log hands out a stream's events in version order, so a
// trace whose first event is in the slice has no rows yet: its spans here are
// all it has, and its summary can be computed from them without reading back.

import { StatusCode } from "@traceledger/proto";
import { isTraceStream } from "../events/reserved-streams.js";
import { decodeTraceEvent, isTraceEventType } from "../events/trace-event-codec.js";
import { JsonMembers } from "./json-members.js";
import { ListingEventKind, listingEventOf, readListingEvent } from "./listing-event-reader.js";

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
  /**
   * Attribute key -> value as text: segments (start, end pairs) of the delta's
   * JsonMembers, each JSON object members (`"key":"text",...`), in the order they
   * were set; a key set again comes again, and the later one wins when PostgreSQL
   * reads the object (jsonb keeps the last of duplicate keys). Undefined for none.
   */
  attributes: number[] | undefined;
}

export interface TraceDelta {
  /** The slice holds the trace's first event: the trace has no rows from earlier slices. */
  readonly isNew: boolean;
  /** A span of the trace started in the slice. */
  spanStarted: boolean;
  /** A span of the trace was renamed as it ended: its root's name may have changed. */
  spanRenamed: boolean;
  completed: boolean;
  /** Its spans in the slice, in order of first mention. */
  readonly spans: SpanDelta[];
}

export interface ListingDelta {
  readonly spans: SpanDelta[];
  /** Where the spans' attributes are written. */
  readonly members: JsonMembers;
  /** Every trace the slice touched. */
  readonly traces: Map<string, TraceDelta>;
}

/** A stored event as the fold needs it (the event store's StoredEvent has these fields). */
interface LoggedEvent {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly payload: Uint8Array;
}

const RUNNING = 1;
const ENDED = 2;
const ORPHANED = 3;

export function listingDelta(events: Iterable<LoggedEvent>): ListingDelta {
  const all: SpanDelta[] = [];
  const members = new JsonMembers();
  const traces = new Map<string, TraceDelta>();
  // Spans by id within their trace: no key strings built per event.
  const spansOf = new Map<TraceDelta, Map<string, SpanDelta>>();
  let streamId = "";
  let trace: TraceDelta | undefined;
  let spans: Map<string, SpanDelta> | undefined;
  for (const stored of events) {
    // A stream's events mostly come together (group commits order them by stream).
    if (stored.streamId !== streamId) {
      streamId = stored.streamId;
      // The monitoring stream's alert events share the log but are not trace events.
      if (!isTraceStream(streamId)) {
        trace = undefined;
        continue;
      }
      trace = traces.get(streamId);
      if (!trace) {
        trace = { isNew: stored.version === 1, spanStarted: false, spanRenamed: false, completed: false, spans: [] };
        traces.set(streamId, trace);
        spansOf.set(trace, (spans = new Map()));
      } else spans = spansOf.get(trace)!;
    }
    if (!trace || !isTraceEventType(stored.type)) continue;
    const e = readListingEvent(stored.type, stored.payload, members) ?? listingEventOf(decodeTraceEvent(stored.type, stored.payload), members);
    if (e.kind === ListingEventKind.Other) continue;
    if (e.kind === ListingEventKind.TraceCompleted) {
      trace.completed = true;
      continue;
    }
    let d = spans!.get(e.spanId);
    if (!d) {
      d = { traceId: streamId, spanId: e.spanId, started: false, parentSpanId: "", name: "", serviceName: "", startTime: 0n, endTime: 0n, state: 0, statusCode: 0, hasError: false, attributes: undefined };
      spans!.set(e.spanId, d);
      trace.spans.push(d);
      all.push(d);
    }
    switch (e.kind) {
      case ListingEventKind.SpanStarted:
        d.started = true;
        trace.spanStarted = true;
        d.parentSpanId = e.parentSpanId;
        d.name = e.name;
        d.serviceName = e.serviceName;
        d.startTime = e.time;
        d.state = RUNNING;
        break;
      case ListingEventKind.SpanEnded:
        d.endTime = e.time;
        d.state = ENDED;
        d.statusCode = e.statusCode;
        if (d.statusCode === StatusCode.ERROR) d.hasError = true;
        if (e.name !== "") {
          d.name = e.name;
          trace.spanRenamed = true;
        }
        break;
      case ListingEventKind.SpanOrphaned:
        d.endTime = e.time;
        d.state = ORPHANED;
        break;
      case ListingEventKind.SpanError:
        d.hasError = true;
        break;
    }
    if (e.attributesEnd > e.attributesStart) (d.attributes ??= []).push(e.attributesStart, e.attributesEnd);
  }
  return { spans: all, members, traces };
}
