// Spans to and from their encoded form, many at a time. protobuf-es pays a fixed
// price per toBinary/fromBinary call; spans framed as the repeated field of one
// Trace message cost about half as much each as spans coded one by one.

import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { TraceSchema, TraceState, type Span, type Trace } from "@traceledger/proto";
import { varintSize, WIRE_LENGTH_DELIMITED, WireReader, writeVarint } from "./wire.js";

const SPANS = TraceSchema.field.spans.number;
const SPANS_TAG = (SPANS << 3) | WIRE_LENGTH_DELIMITED;

/** The encoded bytes of each span, in order. */
export function encodeSpans(spans: readonly Span[]): Uint8Array[] {
  if (spans.length === 0) return [];
  const bytes = toBinary(TraceSchema, traceOf(spans));
  const out: Uint8Array[] = [];
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const tag = reader.varint();
    if (tag !== SPANS_TAG) throw new Error(`unexpected field ${tag >>> 3} in encoded spans`);
    out.push(reader.delimited());
  }
  return out;
}

/** The spans of these encoded Span messages, in order. */
export function decodeSpans(encoded: readonly Uint8Array[]): Span[] {
  if (encoded.length === 0) return [];
  let size = 0;
  for (const bytes of encoded) size += 1 + varintSize(bytes.length) + bytes.length;
  const framed = new Uint8Array(size);
  let at = 0;
  for (const bytes of encoded) {
    framed[at++] = SPANS_TAG;
    at = writeVarint(framed, at, bytes.length);
    framed.set(bytes, at);
    at += bytes.length;
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
