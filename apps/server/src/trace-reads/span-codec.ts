// Spans to and from their encoded form, many at a time. protobuf-es pays a fixed
// price per toBinary/fromBinary call; spans framed as the repeated field of one
// Trace message cost about half as much each as spans coded one by one.

import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { TraceSchema, TraceState, type Span, type Trace } from "@traceledger/proto";
import { scanSpanEntry, type SpanEntry } from "./span-entry.js";
import { tagByte, varintSize, WIRE_LENGTH_DELIMITED, WireReader, writeVarint } from "./wire.js";

const SPANS_TAG = tagByte(TraceSchema.field.spans.number, WIRE_LENGTH_DELIMITED);

/** Entries for these spans, in order, all in one new buffer; `seqs[i]` is the i-th span's start order. */
export function encodeSpanEntries(spans: readonly Span[], seqs: readonly number[]): SpanEntry[] {
  if (spans.length === 0) return [];
  const encoded = toBinary(TraceSchema, traceOf(spans));
  const reader = new WireReader(Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength));
  const entries: SpanEntry[] = [];
  while (!reader.done) {
    const tag = reader.varint();
    if (tag !== SPANS_TAG) throw new Error(`unexpected field ${tag >>> 3} in encoded spans`);
    entries.push(scanSpanEntry(reader, reader.delimitedEnd(), seqs[entries.length]!));
  }
  return entries;
}

/** The spans these entries hold, in order. */
export function decodeSpans(entries: readonly SpanEntry[]): Span[] {
  if (entries.length === 0) return [];
  let size = 0;
  for (const entry of entries) size += 1 + varintSize(entry.length) + entry.length;
  // A plain Uint8Array: decoded bytes fields are views of it, and no Buffer should leak into messages.
  const framed = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    framed[at++] = SPANS_TAG;
    at = writeVarint(framed, at, entry.length);
    at += entry.source.copy(framed, at, entry.offset, entry.offset + entry.length);
  }
  return fromBinary(TraceSchema, framed).spans;
}

/** A Trace with nothing but these spans: every other field at its default, so only the spans are written. */
function traceOf(spans: readonly Span[]): Trace {
  return {
    $typeName: "traceledger.v1.Trace",
    traceId: new Uint8Array(0),
    state: TraceState.UNSPECIFIED,
    version: 0n,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    durationNano: 0n,
    rootSpanId: new Uint8Array(0),
    rootName: "",
    rootServiceName: "",
    spanCount: 0,
    errorCount: 0,
    runningSpanCount: 0,
    spans: spans as Span[],
  } satisfies Trace;
}
