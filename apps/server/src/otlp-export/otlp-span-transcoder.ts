// A trace's stored events read straight into OTLP span parts, without protobuf-es
// reflection: measured, decoding the events and encoding the request with
// protobuf-es was about half of the exporter's CPU per span. traceledger.v1's
// KeyValue, SpanLink and Status are OTLP's KeyValue, Span.Link and Status byte
// for byte (same fields, same numbers), so their bytes are carried over as
// they are; only names, times, ids and counts are read. The mapping is the one
// otlp-export/testing/reference-span-fold.ts writes with protobuf-es, and a
// spec holds this reader to it on random traces.

import { OtlpSpanFlags } from "@traceledger/proto/otlp";
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { OrphanReason, SpanEndReason, TraceCompletedSchema } from "@traceledger/proto";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import type { Completion } from "./trace-export-selection.js";

/** One span, ready to be written into a request. */
export interface TranscodedSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly parentSpanId: Uint8Array;
  /** UTF-8 bytes, as stored. */
  readonly name: Uint8Array;
  readonly traceState: Uint8Array;
  readonly flags: number;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  /** Encoded KeyValues, in first-set order, a later value of a key replacing the earlier one. */
  readonly attributes: ReadonlyMap<string, Uint8Array>;
  readonly droppedAttributesCount: number;
  /** Encoded Span.Events. */
  readonly events: readonly Uint8Array[];
  /** Encoded Span.Links. */
  readonly links: readonly Uint8Array[];
  /** Encoded Status, when the span ended with one. */
  readonly status: Uint8Array | undefined;
  readonly serviceName: string;
  /** Encoded KeyValues of the resource, as started. */
  readonly resourceAttributes: readonly Uint8Array[];
  readonly scopeName: string;
  /** The stream version of the event that ended the span; 0 while it runs. */
  readonly endVersion: number;
  /** Dropped before the span reached traceledger (OTLP's counts). */
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  /** The rest of the scope and resource, as the reporter gave them (empty when it did not). */
  readonly scopeVersion: string;
  /** Encoded KeyValues of the scope. */
  readonly scopeAttributes: readonly Uint8Array[];
  readonly scopeDroppedAttributesCount: number;
  readonly scopeSchemaUrl: string;
  readonly resourceSchemaUrl: string;
  readonly resourceDroppedAttributesCount: number;
}

interface Draft extends TranscodedSpan {
  name: Uint8Array;
  attributes: Map<string, Uint8Array>;
  droppedAttributesCount: number;
  events: Uint8Array[];
  endTimeUnixNano: bigint;
  status: Uint8Array | undefined;
  endVersion: number;
}

const LEN = WireType.LengthDelimited;
const tag = (field: number, wireType: WireType) => (field << 3) | wireType;
const EMPTY: Uint8Array = new Uint8Array(0);
/** OTLP's Span.flags bits: the W3C trace flags (0-7), "is-remote known" (8) and "the parent is remote" (9). */
const SPAN_FLAGS = OtlpSpanFlags.TRACE_FLAGS_MASK | OtlpSpanFlags.CONTEXT_HAS_IS_REMOTE_MASK | OtlpSpanFlags.CONTEXT_IS_REMOTE_MASK;
const EXCEPTION_ESCAPED = "exception.escaped";

const END_REASON = "traceledger.span.end_reason";
const ORPHAN_REASON = "traceledger.span.orphan_reason";

export class OtlpSpanTranscoder {
  private readonly drafts = new Map<string, Draft>();
  private readonly completionList: Completion[] = [];

  /** Reads the stored event (`type`, `payload`) at stream version `version`; events must come in version order. */
  apply(version: number, type: string, payload: Uint8Array): this {
    switch (type) {
      case "SpanStarted":
        this.started(payload);
        break;
      case "SpanAttributeUpdated":
        this.attributesUpdated(payload);
        break;
      case "SpanEventRecorded":
        this.eventRecorded(payload);
        break;
      case "SpanErrorOccurred":
        this.errorOccurred(payload);
        break;
      case "SpanEnded":
        this.ended(version, payload);
        break;
      case "SpanOrphaned":
        this.orphaned(version, payload);
        break;
      case "TraceCompleted":
        this.completionList.push({ version, completed: fromBinary(TraceCompletedSchema, payload) });
        break;
      case "TraceStarted":
        break;
      default:
        // Unlike the listing and the saga (views rebuilt from the log), export cannot skip
        // what it does not know without losing it for good: it waits for a replica that does
        // (a newer one takes the export lease as a rolling upgrade goes on).
        throw new Error(`unmapped trace event type "${type}"`);
    }
    return this;
  }

  get completions(): readonly Completion[] {
    return this.completionList;
  }

  /** Every span read so far, in start order of the log. */
  spans(): TranscodedSpan[] {
    return [...this.drafts.values()];
  }

  private started(payload: Uint8Array): void {
    const r = new BinaryReader(payload);
    let traceId = EMPTY;
    let spanId = EMPTY;
    let parentSpanId = EMPTY;
    let name = EMPTY;
    let kind = 0;
    let serviceName = "";
    let start = 0n;
    const attributes = new Map<string, Uint8Array>();
    let traceState = EMPTY;
    const links: Uint8Array[] = [];
    const resourceAttributes: Uint8Array[] = [];
    let flags = 0;
    let dropped = 0;
    let droppedEvents = 0;
    let droppedLinks = 0;
    let scopeName = "";
    let scopeVersion = "";
    const scopeAttributes: Uint8Array[] = [];
    let scopeDropped = 0;
    let scopeSchemaUrl = "";
    let resourceSchemaUrl = "";
    let resourceDropped = 0;
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      switch (tag(field, wireType)) {
        case tag(1, LEN):
          traceId = r.bytes();
          break;
        case tag(2, LEN):
          spanId = r.bytes();
          break;
        case tag(3, LEN):
          parentSpanId = r.bytes();
          break;
        case tag(5, LEN):
          name = r.bytes();
          break;
        case tag(6, WireType.Varint):
          kind = r.int32();
          break;
        case tag(7, LEN):
          serviceName = r.string();
          break;
        case tag(8, WireType.Bit64):
          start = BigInt(r.fixed64());
          break;
        case tag(9, LEN): {
          const kv = r.bytes();
          attributes.set(keyOf(kv), kv);
          break;
        }
        case tag(10, LEN):
          traceState = r.bytes();
          break;
        case tag(11, LEN):
          links.push(r.bytes());
          break;
        case tag(12, LEN):
          resourceAttributes.push(r.bytes());
          break;
        case tag(13, WireType.Bit32):
          flags = r.fixed32();
          break;
        case tag(14, WireType.Varint):
          dropped = r.uint32();
          break;
        case tag(16, LEN):
          scopeName = r.string();
          break;
        case tag(17, WireType.Varint):
          droppedEvents = r.uint32();
          break;
        case tag(18, WireType.Varint):
          droppedLinks = r.uint32();
          break;
        case tag(19, LEN):
          scopeVersion = r.string();
          break;
        case tag(20, LEN):
          scopeAttributes.push(r.bytes());
          break;
        case tag(21, WireType.Varint):
          scopeDropped = r.uint32();
          break;
        case tag(22, LEN):
          scopeSchemaUrl = r.string();
          break;
        case tag(23, LEN):
          resourceSchemaUrl = r.string();
          break;
        case tag(24, WireType.Varint):
          resourceDropped = r.uint32();
          break;
        default:
          r.skip(wireType, field);
      }
    }
    this.drafts.set(bytesToHex(spanId), {
      traceId,
      spanId,
      parentSpanId,
      name,
      traceState,
      // As stored: an OTLP span's flags as its reporter sent them (bits 8 and 9 unset when it
      // did not say whether the parent is remote); the lifecycle API sets both, as it knows.
      flags: flags & SPAN_FLAGS,
      kind,
      startTimeUnixNano: start,
      endTimeUnixNano: 0n,
      attributes,
      droppedAttributesCount: dropped,
      events: [],
      links,
      status: undefined,
      serviceName,
      resourceAttributes,
      scopeName,
      droppedEventsCount: droppedEvents,
      droppedLinksCount: droppedLinks,
      scopeVersion,
      scopeAttributes,
      scopeDroppedAttributesCount: scopeDropped,
      scopeSchemaUrl,
      resourceSchemaUrl,
      resourceDroppedAttributesCount: resourceDropped,
      endVersion: 0,
    });
  }

  private attributesUpdated(payload: Uint8Array): void {
    const r = new BinaryReader(payload);
    let draft: Draft | undefined;
    const attributes: Uint8Array[] = [];
    let dropped = 0;
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      switch (tag(field, wireType)) {
        case tag(2, LEN):
          draft = this.drafts.get(bytesToHex(r.bytes()));
          break;
        case tag(4, LEN):
          attributes.push(r.bytes());
          break;
        case tag(5, WireType.Varint):
          dropped = r.uint32();
          break;
        default:
          r.skip(wireType, field);
      }
    }
    if (!draft) return;
    for (const kv of attributes) draft.attributes.set(keyOf(kv), kv);
    draft.droppedAttributesCount += dropped;
  }

  private eventRecorded(payload: Uint8Array): void {
    const r = new BinaryReader(payload);
    let draft: Draft | undefined;
    let time = 0n;
    let name = EMPTY;
    const attributes: Uint8Array[] = [];
    let dropped = 0;
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      switch (tag(field, wireType)) {
        case tag(2, LEN):
          draft = this.drafts.get(bytesToHex(r.bytes()));
          break;
        case tag(4, WireType.Bit64):
          time = BigInt(r.fixed64());
          break;
        case tag(5, LEN):
          name = r.bytes();
          break;
        case tag(6, LEN):
          attributes.push(r.bytes());
          break;
        case tag(7, WireType.Varint):
          dropped = r.uint32();
          break;
        default:
          r.skip(wireType, field);
      }
    }
    draft?.events.push(spanEvent(time, name, attributes, dropped));
  }

  private errorOccurred(payload: Uint8Array): void {
    const r = new BinaryReader(payload);
    let draft: Draft | undefined;
    let time = 0n;
    let errorType = EMPTY;
    let message = EMPTY;
    let stacktrace = EMPTY;
    let escaped = false;
    const own: Uint8Array[] = [];
    let dropped = 0;
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      switch (tag(field, wireType)) {
        case tag(2, LEN):
          draft = this.drafts.get(bytesToHex(r.bytes()));
          break;
        case tag(4, WireType.Bit64):
          time = BigInt(r.fixed64());
          break;
        case tag(5, LEN):
          errorType = r.bytes();
          break;
        case tag(6, LEN):
          message = r.bytes();
          break;
        case tag(7, LEN):
          stacktrace = r.bytes();
          break;
        case tag(8, WireType.Varint):
          escaped = r.bool();
          break;
        case tag(9, LEN):
          own.push(r.bytes());
          break;
        case tag(10, WireType.Varint):
          dropped = r.uint32();
          break;
        default:
          r.skip(wireType, field);
      }
    }
    if (!draft) return;
    // OpenTelemetry's exception event (semantic conventions: exceptions on spans).
    const attributes: Uint8Array[] = [];
    const taken = new Set<string>();
    const add = (key: string, kv: Uint8Array) => {
      attributes.push(kv);
      taken.add(key);
    };
    if (errorType.length > 0) add("exception.type", stringKeyValue("exception.type", errorType));
    if (message.length > 0) add("exception.message", stringKeyValue("exception.message", message));
    if (stacktrace.length > 0) add("exception.stacktrace", stringKeyValue("exception.stacktrace", stacktrace));
    // An exception.escaped of the error's own (OTLP ingest keeps there what is not exactly
    // a bool true: a false, a string) goes out as it came in, not restated from the flag.
    const ownKeys = own.map(keyOf);
    if (escaped && !ownKeys.includes(EXCEPTION_ESCAPED)) add(EXCEPTION_ESCAPED, ESCAPED_TRUE);
    own.forEach((kv, i) => {
      if (!taken.has(ownKeys[i]!)) attributes.push(kv);
    });
    draft.events.push(spanEvent(time, EXCEPTION, attributes, dropped));
  }

  private ended(version: number, payload: Uint8Array): void {
    const r = new BinaryReader(payload);
    let draft: Draft | undefined;
    let end = 0n;
    let status: Uint8Array | undefined;
    let endReason = 0;
    const attributes: Uint8Array[] = [];
    let dropped = 0;
    let name = EMPTY;
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      switch (tag(field, wireType)) {
        case tag(2, LEN):
          draft = this.drafts.get(bytesToHex(r.bytes()));
          break;
        case tag(3, WireType.Bit64):
          end = BigInt(r.fixed64());
          break;
        case tag(4, LEN):
          status = r.bytes();
          break;
        case tag(5, WireType.Varint):
          endReason = r.int32();
          break;
        case tag(6, LEN):
          attributes.push(r.bytes());
          break;
        case tag(7, WireType.Varint):
          dropped = r.uint32();
          break;
        case tag(9, LEN):
          name = r.bytes();
          break;
        default:
          r.skip(wireType, field);
      }
    }
    if (!draft) return;
    draft.endTimeUnixNano = end;
    if (name.length > 0) draft.name = name;
    if (status) draft.status = status;
    for (const kv of attributes) draft.attributes.set(keyOf(kv), kv);
    draft.droppedAttributesCount += dropped;
    if (endReason === SpanEndReason.CANCELLED) draft.attributes.set(END_REASON, CANCELLED);
    draft.endVersion = version;
  }

  private orphaned(version: number, payload: Uint8Array): void {
    const r = new BinaryReader(payload);
    let draft: Draft | undefined;
    let closed = 0n;
    let reason = 0;
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      switch (tag(field, wireType)) {
        case tag(2, LEN):
          draft = this.drafts.get(bytesToHex(r.bytes()));
          break;
        case tag(3, WireType.Bit64):
          closed = BigInt(r.fixed64());
          break;
        case tag(4, WireType.Varint):
          reason = r.int32();
          break;
        default:
          r.skip(wireType, field);
      }
    }
    if (!draft) return;
    draft.endTimeUnixNano = closed;
    draft.attributes.set(END_REASON, ORPHANED);
    draft.attributes.set(ORPHAN_REASON, ORPHAN_REASONS.get(reason) ?? ORPHAN_REASONS.get(OrphanReason.UNSPECIFIED)!);
    draft.endVersion = version;
  }
}

/** The key of an encoded KeyValue (field 1). */
export function keyOf(keyValue: Uint8Array): string {
  const r = new BinaryReader(keyValue);
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === LEN) return r.string();
    r.skip(wireType, field);
  }
  return "";
}

/** KeyValue { key = 1; AnyValue value = 2 { string_value = 1 } } with the value's UTF-8 bytes as given. */
export function stringKeyValue(key: string, utf8: Uint8Array | string): Uint8Array {
  const w = new BinaryWriter().tag(1, LEN).string(key).tag(2, LEN).fork();
  if (typeof utf8 === "string") w.tag(1, LEN).string(utf8);
  else w.tag(1, LEN).bytes(utf8);
  return w.join().finish();
}

/** Span.Event { fixed64 time_unix_nano = 1; name = 2; attributes = 3; dropped_attributes_count = 4 }, defaults left out. */
function spanEvent(time: bigint, name: Uint8Array, attributes: readonly Uint8Array[], dropped: number): Uint8Array {
  const w = new BinaryWriter();
  if (time !== 0n) w.tag(1, WireType.Bit64).fixed64(time);
  if (name.length > 0) w.tag(2, LEN).bytes(name);
  for (const kv of attributes) w.tag(3, LEN).bytes(kv);
  if (dropped !== 0) w.tag(4, WireType.Varint).uint32(dropped);
  return w.finish();
}

const EXCEPTION = new TextEncoder().encode("exception");
const ESCAPED_TRUE = new BinaryWriter().tag(1, LEN).string(EXCEPTION_ESCAPED).tag(2, LEN).fork().tag(2, WireType.Varint).bool(true).join().finish();
const CANCELLED = stringKeyValue(END_REASON, "cancelled");
const ORPHANED = stringKeyValue(END_REASON, "orphaned");
const ORPHAN_REASONS = new Map<number, Uint8Array>([
  [OrphanReason.UNSPECIFIED, stringKeyValue(ORPHAN_REASON, "unspecified")],
  [OrphanReason.TIMEOUT, stringKeyValue(ORPHAN_REASON, "timeout")],
  [OrphanReason.TRACE_CLOSED, stringKeyValue(ORPHAN_REASON, "trace_closed")],
]);
