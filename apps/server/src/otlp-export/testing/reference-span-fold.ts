// The reference mapping of a trace's stored events to OTLP spans, written with
// protobuf-es messages for the reader: the exporter's OtlpSpanTranscoder reads
// the same events straight from their bytes and is held to this by a spec
// (otlp-span-transcoder.unit.spec.ts) on random traces.
//
// Mapping (docs/operations.md, "OTLP export"):
// - ids, parent, name, kind, times, tracestate, links: as started (the name as
//   the end gave it, if it renamed the span); kind and status codes have OTLP's
//   numbers already.
// - flags: as stored: the W3C trace flags, and OTLP's "has is_remote" and
//   "is_remote" bits as the reporter sent them (an OTLP span: unset when it did
//   not say) or as the lifecycle API set them (it always knows).
// - attributes: those given at start, updated while running and added at end,
//   in first-set order, a later value replacing an earlier one; dropped counts
//   add up (shortened values are not "dropped" in OTLP's sense); the events and links the
//   reporter dropped, as SpanStarted counts them.
// - recorded errors become OTLP exception events (exception.type, .message,
//   .stacktrace, .escaped and the error's own attributes), in log order with
//   the span's other events; an exception.escaped among the error's own
//   attributes (OTLP ingest keeps there one that is not a bool true) is sent
//   as it is, in place of the one the escaped flag would add.
// - a cancelled or orphaned span keeps its status; why it stopped is in the
//   attribute traceledger.span.end_reason (and traceledger.span.orphan_reason).

import { OrphanReason, SpanEndReason, type SpanLink } from "@traceledger/proto";
import { OtlpSpanFlags, type OtlpKeyValue, type OtlpSpan, type OtlpSpanEvent, type OtlpSpanLink } from "@traceledger/proto/otlp";
import type { TraceEventCase } from "../../domain/trace/trace-event.js";
import { bytesToHex } from "../../domain/trace/w3c-ids.js";
import type { Completion } from "../trace-export-selection.js";
import { otlpBool, otlpString, toOtlpKeyValue, toOtlpKeyValues } from "./to-otlp-attributes.js";

export interface FoldedSpan {
  readonly span: OtlpSpan;
  readonly serviceName: string;
  readonly resourceAttributes: readonly OtlpKeyValue[];
  /** The instrumentation scope that created the span, when known ("" otherwise). */
  readonly scopeName: string;
  /** The rest of the scope and resource, as stored. */
  readonly provenance: FoldedProvenance;
  /** The stream version of the event that ended the span; 0 while it runs. */
  readonly endVersion: number;
}

export interface FoldedProvenance {
  readonly scopeVersion: string;
  readonly scopeAttributes: readonly OtlpKeyValue[];
  readonly scopeDroppedAttributesCount: number;
  readonly scopeSchemaUrl: string;
  readonly resourceSchemaUrl: string;
  readonly resourceDroppedAttributesCount: number;
}

interface Draft {
  readonly span: OtlpSpan;
  readonly attributes: Map<string, OtlpKeyValue>;
  readonly serviceName: string;
  readonly resourceAttributes: readonly OtlpKeyValue[];
  readonly scopeName: string;
  readonly provenance: FoldedProvenance;
  endVersion: number;
}

export class OtlpSpanFold {
  private readonly drafts = new Map<string, Draft>();
  private readonly completionList: Completion[] = [];

  /** Folds the event at stream version `version`; events must come in version order. */
  apply(version: number, event: TraceEventCase): this {
    switch (event.case) {
      case "spanStarted": {
        const e = event.value;
        const attributes = new Map<string, OtlpKeyValue>();
        for (const kv of e.attributes) attributes.set(kv.key, toOtlpKeyValue(kv));
        const flags = e.flags & (OtlpSpanFlags.TRACE_FLAGS_MASK | OtlpSpanFlags.CONTEXT_HAS_IS_REMOTE_MASK | OtlpSpanFlags.CONTEXT_IS_REMOTE_MASK);
        this.drafts.set(bytesToHex(e.spanId), {
          attributes,
          serviceName: e.serviceName,
          resourceAttributes: toOtlpKeyValues(e.resourceAttributes),
          scopeName: e.scopeName,
          provenance: {
            scopeVersion: e.scopeVersion,
            scopeAttributes: toOtlpKeyValues(e.scopeAttributes),
            scopeDroppedAttributesCount: e.scopeDroppedAttributesCount,
            scopeSchemaUrl: e.scopeSchemaUrl,
            resourceSchemaUrl: e.resourceSchemaUrl,
            resourceDroppedAttributesCount: e.resourceDroppedAttributesCount,
          },
          endVersion: 0,
          span: {
            $typeName: "opentelemetry.proto.trace.v1.Span",
            traceId: e.traceId,
            spanId: e.spanId,
            traceState: e.tracestate,
            parentSpanId: e.parentSpanId,
            flags,
            name: e.name,
            kind: e.kind as number,
            startTimeUnixNano: e.startTimeUnixNano,
            endTimeUnixNano: 0n,
            attributes: [],
            droppedAttributesCount: e.droppedAttributesCount,
            events: [],
            droppedEventsCount: e.droppedEventsCount,
            links: e.links.map(toOtlpLink),
            droppedLinksCount: e.droppedLinksCount,
            status: undefined,
          },
        });
        break;
      }
      case "spanAttributeUpdated": {
        const draft = this.draft(event.value.spanId);
        if (!draft) break;
        for (const kv of event.value.attributes) draft.attributes.set(kv.key, toOtlpKeyValue(kv));
        draft.span.droppedAttributesCount += event.value.droppedAttributesCount;
        break;
      }
      case "spanEventRecorded": {
        const e = event.value;
        this.draft(e.spanId)?.span.events.push(otlpEvent(e.timeUnixNano, e.name, toOtlpKeyValues(e.attributes), e.droppedAttributesCount));
        break;
      }
      case "spanErrorOccurred": {
        const e = event.value;
        const draft = this.draft(e.spanId);
        if (!draft) break;
        // OpenTelemetry's exception event (semantic conventions: exceptions on spans).
        const attributes: OtlpKeyValue[] = [];
        if (e.errorType) attributes.push(otlpString("exception.type", e.errorType));
        if (e.message) attributes.push(otlpString("exception.message", e.message));
        if (e.stacktrace) attributes.push(otlpString("exception.stacktrace", e.stacktrace));
        if (e.escaped && !e.attributes.some((kv) => kv.key === "exception.escaped")) attributes.push(otlpBool("exception.escaped", true));
        const taken = new Set(attributes.map((kv) => kv.key));
        for (const kv of e.attributes) if (!taken.has(kv.key)) attributes.push(toOtlpKeyValue(kv));
        draft.span.events.push(otlpEvent(e.timeUnixNano, "exception", attributes, e.droppedAttributesCount));
        break;
      }
      case "spanEnded": {
        const e = event.value;
        const draft = this.draft(e.spanId);
        if (!draft) break;
        draft.span.endTimeUnixNano = e.endTimeUnixNano;
        if (e.name !== "") draft.span.name = e.name;
        if (e.status) draft.span.status = { $typeName: "opentelemetry.proto.trace.v1.Status", message: e.status.message, code: e.status.code as number };
        for (const kv of e.attributes) draft.attributes.set(kv.key, toOtlpKeyValue(kv));
        draft.span.droppedAttributesCount += e.droppedAttributesCount;
        if (e.endReason === SpanEndReason.CANCELLED) draft.attributes.set(END_REASON, otlpString(END_REASON, "cancelled"));
        draft.endVersion = version;
        break;
      }
      case "spanOrphaned": {
        const e = event.value;
        const draft = this.draft(e.spanId);
        if (!draft) break;
        draft.span.endTimeUnixNano = e.closedTimeUnixNano;
        draft.attributes.set(END_REASON, otlpString(END_REASON, "orphaned"));
        draft.attributes.set(ORPHAN_REASON, otlpString(ORPHAN_REASON, orphanReasonName(e.reason)));
        draft.endVersion = version;
        break;
      }
      case "traceCompleted":
        this.completionList.push({ version, completed: event.value });
        break;
      case "traceStarted":
        break;
      default: {
        // A new event type must be mapped here (or knowingly skipped), not silently lost.
        const unmapped: never = event;
        throw new Error(`unmapped trace event ${JSON.stringify((unmapped as { case?: string }).case)}`);
      }
    }
    return this;
  }

  /** The trace's completions so far, in order. */
  get completions(): readonly Completion[] {
    return this.completionList;
  }

  /** Every span folded so far, in start order of the log. */
  spans(): FoldedSpan[] {
    return [...this.drafts.values()].map((d) => {
      d.span.attributes = [...d.attributes.values()];
      return { span: d.span, serviceName: d.serviceName, resourceAttributes: d.resourceAttributes, scopeName: d.scopeName, provenance: d.provenance, endVersion: d.endVersion };
    });
  }

  private draft(spanId: Uint8Array): Draft | undefined {
    return this.drafts.get(bytesToHex(spanId));
  }
}

const END_REASON = "traceledger.span.end_reason";
const ORPHAN_REASON = "traceledger.span.orphan_reason";

function orphanReasonName(reason: OrphanReason): string {
  switch (reason) {
    case OrphanReason.TIMEOUT:
      return "timeout";
    case OrphanReason.TRACE_CLOSED:
      return "trace_closed";
    default:
      return "unspecified";
  }
}

function otlpEvent(timeUnixNano: bigint, name: string, attributes: OtlpKeyValue[], droppedAttributesCount: number): OtlpSpanEvent {
  return { $typeName: "opentelemetry.proto.trace.v1.Span.Event", timeUnixNano, name, attributes, droppedAttributesCount };
}

function toOtlpLink(link: SpanLink): OtlpSpanLink {
  return {
    $typeName: "opentelemetry.proto.trace.v1.Span.Link",
    traceId: link.traceId,
    spanId: link.spanId,
    traceState: link.tracestate,
    attributes: toOtlpKeyValues(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount,
    flags: link.flags,
  };
}
