// An OTLP ExportTraceServiceRequest, read from its wire bytes into finished
// spans grouped by trace: one RecordFinishedSpans command per trace. Ids are
// passed on as the hex of whatever bytes arrived, and the domain rejects what
// is invalid, span by span. What OTLP itself allows but the log's invariants
// do not is mapped here instead of costing the span: an empty name (OTLP's
// "unknown") becomes UNNAMED, an attribute with an empty key is dropped and
// counted, a link OpenTelemetry would not record is left out.
//
// A resource's attributes (and service.name) and a scope's name, version and
// attributes, with the schema URLs and dropped counts (the span's provenance),
// are read once and shared by all their spans. Field order on the wire is free, so a
// resource or scope that comes after its spans is still applied to them.
// Being stored with each span, they are counted against the request's
// expansion budget (expansion-budget.ts) before its spans are read.

import { OtlpSpanFlags } from "@traceledger/proto/otlp";
import type { KeyValue, SpanLink } from "@traceledger/proto";
import { linkProblem } from "../domain/trace/span-validation.js";
import type { FinishedSpan, FinishedSpanError, FinishedSpanEvent, SpanProvenance } from "../domain/trace/trace-commands.js";
import { markSharedAttributes } from "../events/trace-event-writer.js";
import { ExpansionTooLarge } from "./expansion-budget.js";
import { ProtobufCursor, type HexMemo } from "./protobuf-cursor.js";
import { readKeyValueLazily, stringAttribute } from "./read-attributes.js";
import { reportedSpanFlags } from "./reported-span-flags.js";
import { finishedSpanEvent } from "./span-event-mapping.js";

interface OtlpSpans {
  /** Spans by trace id (lowercase hex of the bytes received), in the order received. */
  readonly traces: Map<string, FinishedSpan[]>;
  readonly spanCount: number;
}

/** OpenTelemetry's own default when a resource names no service. */
export const UNKNOWN_SERVICE = "unknown_service";

/** A span or event whose name is empty ("unknown" in OTLP) is stored under this one (the SDK's OTel bridge uses it too). */
export const UNNAMED = "(unnamed)";

interface Resource {
  readonly attributes: KeyValue[];
  readonly serviceName: string;
  /** Attributes the reporter dropped, and those left out here for an empty key. */
  readonly droppedAttributesCount: number;
}

interface Scope {
  readonly name: string;
  readonly version: string;
  readonly attributes: KeyValue[];
  readonly droppedAttributesCount: number;
}

/** The events or links of a span that has none; never changed. */
const NONE: readonly never[] = [];

const NO_PARENT = "0000000000000000";
const NO_RESOURCE: Resource = { attributes: [], serviceName: UNKNOWN_SERVICE, droppedAttributesCount: 0 };

const NO_SCOPE: Scope = { name: "", version: "", attributes: [], droppedAttributesCount: 0 };

/**
 * Throws MalformedOtlp when the bytes are not an ExportTraceServiceRequest, and
 * ExpansionTooLarge when its resources and scopes, stored with each of their
 * spans, come to more than `expansionBudget` bytes.
 */
export function readExportRequest(body: Uint8Array, expansionBudget = Infinity): OtlpSpans {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const c = new ProtobufCursor(buf);
  const out: ReadState = { traces: new Map<string, FinishedSpan[]>(), spanCount: 0, traceId: { start: 0, end: 0, hex: "" }, expanded: 0, expansionBudget };
  while (c.pos < c.end) {
    const tag = c.tag();
    if (tag === 0x0a) readResourceSpans(c, out);
    else c.skip(tag & 7);
  }
  c.endOf(c.end);
  return { traces: out.traces, spanCount: out.spanCount };
}

interface ReadState {
  readonly traces: Map<string, FinishedSpan[]>;
  spanCount: number;
  /** The trace id read last: the next span's is usually the same. */
  readonly traceId: HexMemo;
  /** Bytes of resources and scopes so far, once per span they are stored with. */
  expanded: number;
  readonly expansionBudget: number;
}

function readResourceSpans(c: ProtobufCursor, out: ReadState): void {
  const end = c.lengthEnd();
  let resource = NO_RESOURCE;
  let schemaUrl = "";
  // As encoded (the last of each, as read): what each of its spans stores of it.
  let resourceBytes = 0;
  let schemaUrlBytes = 0;
  const scopes: number[] = [];
  while (c.pos < end) {
    const at = c.pos;
    const tag = c.tag();
    if (tag === 0x0a) {
      resource = readResource(c);
      resourceBytes = c.pos - at;
    } else if (tag === 0x12) {
      scopes.push(c.pos);
      c.pos = c.lengthEnd();
    } else if (tag === 0x1a) {
      schemaUrl = c.string();
      schemaUrlBytes = c.pos - at;
    } else c.skip(tag & 7);
  }
  c.endOf(end);
  for (const start of scopes) {
    c.pos = start;
    readScopeSpans(c, resource, schemaUrl, resourceBytes + schemaUrlBytes, out);
  }
  c.pos = end;
}

function readResource(c: ProtobufCursor): Resource {
  const end = c.lengthEnd();
  const attributes: KeyValue[] = [];
  let dropped = 0;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x0a) {
      // One with an empty key is left out and counted as dropped.
      const kv = readKeyValueLazily(c);
      if (kv) attributes.push(kv);
      else dropped++;
    } else if (tag === 0x10) dropped += c.uint32();
    else c.skip(tag & 7);
  }
  c.endOf(end);
  // Every span of the resource carries this list in its SpanStarted: encoded once.
  markSharedAttributes(attributes);
  return { attributes, serviceName: stringAttribute(attributes, "service.name") || UNKNOWN_SERVICE, droppedAttributesCount: dropped };
}

/** `resourceBytes`: the resource's bytes (and its schema URL's) each span stores. */
function readScopeSpans(c: ProtobufCursor, resource: Resource, resourceSchemaUrl: string, resourceBytes: number, out: ReadState): void {
  const end = c.lengthEnd();
  let scope = NO_SCOPE;
  let schemaUrl = "";
  let scopeBytes = 0;
  let schemaUrlBytes = 0;
  const spans: number[] = [];
  while (c.pos < end) {
    const at = c.pos;
    const tag = c.tag();
    if (tag === 0x0a) {
      scope = readScope(c);
      scopeBytes = c.pos - at;
    } else if (tag === 0x12) {
      spans.push(c.pos);
      c.pos = c.lengthEnd();
    } else if (tag === 0x1a) {
      schemaUrl = c.string();
      schemaUrlBytes = c.pos - at;
    } else c.skip(tag & 7);
  }
  c.endOf(end);
  const shared = resourceBytes + scopeBytes + schemaUrlBytes;
  out.expanded += shared * spans.length;
  if (out.expanded > out.expansionBudget) throw new ExpansionTooLarge(shared, spans.length, out.expansionBudget);
  const provenance = provenanceOf(resource, resourceSchemaUrl, scope, schemaUrl);
  for (const start of spans) {
    c.pos = start;
    const span = readSpan(c, resource, scope.name, provenance, out.traceId);
    const traceId = out.traceId.hex;
    const list = out.traces.get(traceId);
    if (list) list.push(span);
    else out.traces.set(traceId, [span]);
    out.spanCount++;
  }
  c.pos = end;
}

function readScope(c: ProtobufCursor): Scope {
  const end = c.lengthEnd();
  let name = "";
  let version = "";
  const attributes: KeyValue[] = [];
  let dropped = 0;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x0a) name = c.string();
    else if (tag === 0x12) version = c.string();
    else if (tag === 0x1a) {
      const kv = readKeyValueLazily(c);
      if (kv) attributes.push(kv);
      else dropped++;
    } else if (tag === 0x20) dropped += c.uint32();
    else c.skip(tag & 7);
  }
  c.endOf(end);
  markSharedAttributes(attributes);
  return { name, version, attributes, droppedAttributesCount: dropped };
}

/** Undefined when the report says nothing beyond names and attributes of resources: most spans carry nothing here. */
function provenanceOf(resource: Resource, resourceSchemaUrl: string, scope: Scope, scopeSchemaUrl: string): SpanProvenance | undefined {
  if (resourceSchemaUrl === "" && scopeSchemaUrl === "" && resource.droppedAttributesCount === 0 && scope.version === "" && scope.attributes.length === 0 && scope.droppedAttributesCount === 0) {
    return undefined;
  }
  return {
    scopeVersion: scope.version,
    scopeAttributes: scope.attributes,
    scopeDroppedAttributesCount: scope.droppedAttributesCount,
    scopeSchemaUrl,
    resourceSchemaUrl,
    resourceDroppedAttributesCount: resource.droppedAttributesCount,
  };
}

/** Reads one span; its trace id is left in `traceId` (the memo of the last one read). */
function readSpan(c: ProtobufCursor, resource: Resource, scopeName: string, provenance: SpanProvenance | undefined, traceId: HexMemo): FinishedSpan {
  const end = c.lengthEnd();
  let hasTraceId = false;
  let spanId = "";
  let tracestate = "";
  let parentSpanId = "";
  let flags = 0;
  let name = "";
  let kind = 0;
  let startTime = 0n;
  let endTime = 0n;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let invalidAttributes = 0;
  let droppedEventsCount = 0;
  let reportedDroppedLinks = 0;
  let leftOutLinks = 0;
  // Most spans have neither: made on first use, else the shared empty list.
  let events: Array<FinishedSpanEvent | FinishedSpanError> | undefined;
  let links: SpanLink[] | undefined;
  let statusCode = 0;
  let statusMessage = "";
  while (c.pos < end) {
    const tag = c.tag();
    switch (tag) {
      case 0x0a:
        c.hexRemembered(traceId);
        hasTraceId = true;
        break;
      case 0x12:
        spanId = c.hex();
        break;
      case 0x1a:
        tracestate = c.string();
        break;
      case 0x22:
        parentSpanId = c.hex();
        // Some producers write a root's absent parent as eight zero bytes, which is no span id.
        if (parentSpanId === NO_PARENT) parentSpanId = "";
        break;
      case 0x2a:
        name = c.string();
        break;
      case 0x30:
        kind = c.uint32();
        break;
      case 0x39:
        startTime = c.fixed64();
        break;
      case 0x41:
        endTime = c.fixed64();
        break;
      case 0x4a: {
        const kv = readKeyValueLazily(c);
        if (kv) attributes.push(kv);
        else invalidAttributes++;
        break;
      }
      case 0x50:
        droppedAttributesCount = c.uint32();
        break;
      case 0x5a:
        (events ??= []).push(readEvent(c, events.length));
        break;
      case 0x6a: {
        const link = readLink(c);
        // A link OpenTelemetry would not record (ids of other lengths, or an invalid context with nothing else) is left out, not the span.
        if (linkProblem([link], "") === undefined) (links ??= []).push(link);
        else leftOutLinks++;
        break;
      }
      case 0x60:
        droppedEventsCount = c.uint32();
        break;
      case 0x70:
        reportedDroppedLinks = c.uint32();
        break;
      case 0x7a: {
        const statusEnd = c.lengthEnd();
        while (c.pos < statusEnd) {
          const inner = c.tag();
          if (inner === 0x12) statusMessage = c.string();
          else if (inner === 0x18) statusCode = c.uint32();
          else c.skip(inner & 7);
        }
        c.endOf(statusEnd);
        break;
      }
      case 0x85: // field 16, fixed32
        flags = c.fixed32();
        break;
      default:
        c.skip(tag & 7);
    }
  }
  c.endOf(end);
  if (!hasTraceId) {
    traceId.start = traceId.end = 0;
    traceId.hex = "";
  }
  return {
    spanId,
    parentSpanId,
    // Span.flags bit 8 says whether bit 9 (the parent is remote) is known.
    parentIsRemote: (flags & OtlpSpanFlags.CONTEXT_HAS_IS_REMOTE_MASK) === 0 ? undefined : (flags & OtlpSpanFlags.CONTEXT_IS_REMOTE_MASK) !== 0,
    // OTLP: "Empty value is equivalent to an unknown span name"; the log's spans all have one.
    name: name.trim() === "" ? UNNAMED : name,
    kind,
    serviceName: resource.serviceName,
    startTime,
    endTime,
    attributes,
    droppedAttributesCount: droppedAttributesCount + invalidAttributes,
    links: links ?? NONE,
    resourceAttributes: resource.attributes,
    tracestate,
    flags: reportedSpanFlags(flags),
    scopeName,
    ...(provenance ? { provenance } : {}),
    statusCode,
    statusMessage,
    events: events ?? NONE,
    droppedEventsCount,
    droppedLinksCount: reportedDroppedLinks + leftOutLinks,
  };
}

function readEvent(c: ProtobufCursor, index: number): FinishedSpanEvent | FinishedSpanError {
  const end = c.lengthEnd();
  let time = 0n;
  let name = "";
  const attributes: KeyValue[] = [];
  let dropped = 0;
  let invalid = 0;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x09) time = c.fixed64();
    else if (tag === 0x12) name = c.string();
    else if (tag === 0x1a) {
      const kv = readKeyValueLazily(c);
      if (kv) attributes.push(kv);
      else invalid++;
    } else if (tag === 0x20) dropped = c.uint32();
    else c.skip(tag & 7);
  }
  c.endOf(end);
  return finishedSpanEvent(index, time, name.trim() === "" ? UNNAMED : name, attributes, dropped + invalid);
}

function readLink(c: ProtobufCursor): SpanLink {
  const end = c.lengthEnd();
  let traceId: Uint8Array = new Uint8Array(0);
  let spanId: Uint8Array = new Uint8Array(0);
  let tracestate = "";
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let invalid = 0;
  let flags = 0;
  while (c.pos < end) {
    const tag = c.tag();
    if (tag === 0x0a) traceId = c.bytes();
    else if (tag === 0x12) spanId = c.bytes();
    else if (tag === 0x1a) tracestate = c.string();
    else if (tag === 0x22) {
      const kv = readKeyValueLazily(c);
      if (kv) attributes.push(kv);
      else invalid++;
    } else if (tag === 0x28) droppedAttributesCount = c.uint32();
    else if (tag === 0x35) flags = c.fixed32();
    else c.skip(tag & 7);
  }
  c.endOf(end);
  return { $typeName: "traceledger.v1.SpanLink", traceId, spanId, tracestate, attributes, droppedAttributesCount: droppedAttributesCount + invalid, flags };
}
