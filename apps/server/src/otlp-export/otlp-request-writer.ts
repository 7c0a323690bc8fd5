// Transcoded spans written as ExportTraceServiceRequest bytes of at most
// `maxSpans` spans and `maxBytes` bytes each (a collector refuses a larger
// message for good, so the spans would be lost), grouped as OTLP wants them: one ResourceSpans per
// resource (service.name first, then the span's resource attributes; with its schema URL and
// dropped count), one ScopeSpans per instrumentation scope inside it (name, version,
// attributes, dropped count and schema URL: spans differing in any of them are apart). Written with protobuf-es's
// BinaryWriter (no reflection); fields at their defaults are left out.

import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { keyOf, stringKeyValue, type TranscodedSpan } from "./otlp-span-transcoder.js";

/** The scope of spans whose creator is not known: traceledger recorded them. */
const DEFAULT_SCOPE_NAME = "traceledger";
const SERVICE_NAME = "service.name";
const LEN = WireType.LengthDelimited;

interface EncodedExportRequest {
  readonly bytes: Uint8Array;
  readonly spanCount: number;
}

export function writeExportRequests(spans: readonly TranscodedSpan[], maxSpans: number, maxBytes = Infinity): EncodedExportRequest[] {
  const requests: EncodedExportRequest[] = [];
  for (let i = 0; i < spans.length; i += maxSpans) writeWithin(spans.slice(i, i + maxSpans), maxBytes, requests);
  return requests;
}

/** The spans as one request, or, when that is over maxBytes, their two halves the same way. A span alone goes as it is. */
function writeWithin(spans: readonly TranscodedSpan[], maxBytes: number, out: EncodedExportRequest[]): void {
  const bytes = writeExportRequest(spans);
  if (bytes.length <= maxBytes || spans.length === 1) {
    out.push({ bytes, spanCount: spans.length });
    return;
  }
  const half = spans.length >> 1;
  writeWithin(spans.slice(0, half), maxBytes, out);
  writeWithin(spans.slice(half), maxBytes, out);
}

interface ResourceGroup {
  readonly attributes: readonly Uint8Array[];
  readonly schemaUrl: string;
  readonly droppedAttributesCount: number;
  /** By scopeKey; each group's first span gives the scope's parts. */
  readonly scopes: Map<string, TranscodedSpan[]>;
}

function writeExportRequest(spans: readonly TranscodedSpan[]): Uint8Array {
  const resources = new Map<string, ResourceGroup>();
  // Spans whose resource is made of the same parts share a group without building it again.
  const byParts = new Map<string, ResourceGroup>();
  for (const span of spans) {
    const beyond = partsKey(span.resourceSchemaUrl, String(span.resourceDroppedAttributesCount));
    const parts = `${partsKey(span.serviceName)}${beyond}${latin1(span.resourceAttributes)}`;
    let group = byParts.get(parts);
    if (!group) {
      const attributes = resourceAttributes(span);
      const key = `${beyond}${latin1(attributes)}`;
      group = resources.get(key);
      if (!group) {
        group = { attributes, schemaUrl: span.resourceSchemaUrl, droppedAttributesCount: span.resourceDroppedAttributesCount, scopes: new Map() };
        resources.set(key, group);
      }
      byParts.set(parts, group);
    }
    const key = scopeKey(span);
    let scope = group.scopes.get(key);
    if (!scope) group.scopes.set(key, (scope = []));
    scope.push(span);
  }
  const w = new BinaryWriter();
  for (const group of resources.values()) {
    w.tag(1, LEN).fork(); // ResourceSpans
    w.tag(1, LEN).fork(); // Resource
    for (const kv of group.attributes) w.tag(1, LEN).bytes(kv);
    if (group.droppedAttributesCount !== 0) w.tag(2, WireType.Varint).uint32(group.droppedAttributesCount);
    w.join();
    for (const scopeSpans of group.scopes.values()) {
      const first = scopeSpans[0]!;
      w.tag(2, LEN).fork(); // ScopeSpans
      w.tag(1, LEN).fork(); // InstrumentationScope
      w.tag(1, LEN).string(first.scopeName || DEFAULT_SCOPE_NAME);
      if (first.scopeVersion !== "") w.tag(2, LEN).string(first.scopeVersion);
      for (const kv of first.scopeAttributes) w.tag(3, LEN).bytes(kv);
      if (first.scopeDroppedAttributesCount !== 0) w.tag(4, WireType.Varint).uint32(first.scopeDroppedAttributesCount);
      w.join();
      for (const span of scopeSpans) {
        w.tag(2, LEN).fork();
        writeSpan(w, span);
        w.join();
      }
      if (first.scopeSchemaUrl !== "") w.tag(3, LEN).string(first.scopeSchemaUrl);
      w.join();
    }
    if (group.schemaUrl !== "") w.tag(3, LEN).string(group.schemaUrl);
    w.join();
  }
  return w.finish();
}

/** Everything that makes a span's scope, as one string: spans that share it share a ScopeSpans. */
function scopeKey(span: TranscodedSpan): string {
  const name = span.scopeName || DEFAULT_SCOPE_NAME;
  return `${partsKey(name, span.scopeVersion, span.scopeSchemaUrl, String(span.scopeDroppedAttributesCount))}${latin1(span.scopeAttributes)}`;
}

/**
 * Texts as one key, each after its length: names and URLs may hold any character, U+0000
 * included, so no separator could tell ("a\u0000b", "c") from ("a", "b\u0000c").
 */
function partsKey(...texts: string[]): string {
  let key = "";
  for (const text of texts) key += `${text.length}:${text}`;
  return key;
}

/** Encoded messages as one string, for map keys. */
function latin1(messages: readonly Uint8Array[]): string {
  return messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString("latin1")).join("\u0000");
}

/** opentelemetry.proto.trace.v1.Span, field by field. */
function writeSpan(w: BinaryWriter, s: TranscodedSpan): void {
  if (s.traceId.length > 0) w.tag(1, LEN).bytes(s.traceId);
  if (s.spanId.length > 0) w.tag(2, LEN).bytes(s.spanId);
  if (s.traceState.length > 0) w.tag(3, LEN).bytes(s.traceState);
  if (s.parentSpanId.length > 0) w.tag(4, LEN).bytes(s.parentSpanId);
  if (s.name.length > 0) w.tag(5, LEN).bytes(s.name);
  if (s.kind !== 0) w.tag(6, WireType.Varint).int32(s.kind);
  if (s.startTimeUnixNano !== 0n) w.tag(7, WireType.Bit64).fixed64(s.startTimeUnixNano);
  if (s.endTimeUnixNano !== 0n) w.tag(8, WireType.Bit64).fixed64(s.endTimeUnixNano);
  for (const kv of s.attributes.values()) w.tag(9, LEN).bytes(kv);
  if (s.droppedAttributesCount !== 0) w.tag(10, WireType.Varint).uint32(s.droppedAttributesCount);
  for (const event of s.events) w.tag(11, LEN).bytes(event);
  if (s.droppedEventsCount !== 0) w.tag(12, WireType.Varint).uint32(s.droppedEventsCount);
  for (const link of s.links) w.tag(13, LEN).bytes(link);
  if (s.droppedLinksCount !== 0) w.tag(14, WireType.Varint).uint32(s.droppedLinksCount);
  if (s.status) w.tag(15, LEN).bytes(s.status);
  if (s.flags !== 0) w.tag(16, WireType.Bit32).fixed32(s.flags);
}

/** service.name first (the span's service, which the lifecycle API requires), then the rest of the resource. */
function resourceAttributes(span: TranscodedSpan): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let fromResource = "";
  for (const kv of span.resourceAttributes) {
    if (keyOf(kv) === SERVICE_NAME) fromResource ||= stringValueOf(kv);
    else rest.push(kv);
  }
  return [stringKeyValue(SERVICE_NAME, span.serviceName || fromResource || "unknown_service"), ...rest];
}

/** The string_value of an encoded KeyValue's AnyValue; "" when it holds another kind. */
function stringValueOf(keyValue: Uint8Array): string {
  const any = lengthDelimited(keyValue, 2);
  const text = any && lengthDelimited(any, 1);
  return text ? new TextDecoder().decode(text) : "";
}

/** The first length-delimited field `number` of an encoded message. */
function lengthDelimited(message: Uint8Array, number: number): Uint8Array | undefined {
  const r = new BinaryReader(message);
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === number && wireType === LEN) return r.bytes();
    r.skip(wireType, field);
  }
  return undefined;
}
