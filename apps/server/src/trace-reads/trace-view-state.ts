// A trace view at one version of its stream, held as encoded spans: what GetTrace
// answers, a snapshot stores and the read cache keeps. It is immutable; applying
// events gives a new state that shares every untouched span with the old one.
//
// Applying events folds them with the same TraceViewBuilder as a full read,
// resumed from this state: only the spans the events touch are decoded (and
// adopted by the builder), folded, and encoded again. Answering a read writes the
// trace-level fields and copies the span bytes, inserting the duration of
// running spans, which depends on the moment viewed.

import { toBinary } from "@bufbuild/protobuf";
import { SpanSchema, TraceSchema, TraceState } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { TraceViewBuilder, type TraceViewProgress } from "../projections/trace-view.js";
import { readSpanEntry, scanSpanEntry, type SpanEntry } from "./span-entry.js";
import { decodeSpans, encodeSpans } from "./span-codec.js";
import { traceHeader } from "./trace-header.js";
import { tagByte, varint64Size, varintSize, WIRE_LENGTH_DELIMITED, WIRE_VARINT, WireReader, writeVarint, writeVarint64 } from "./wire.js";

const TRACE_FIELD = TraceSchema.field;
const SPANS_TAG = tagByte(TRACE_FIELD.spans.number, WIRE_LENGTH_DELIMITED);
const DURATION_TAG = tagByte(SpanSchema.field.durationNano.number, WIRE_VARINT);
/** GetTraceResponse.trace is field 1. */
const RESPONSE_TRACE_TAG = tagByte(1, WIRE_LENGTH_DELIMITED);
/** Rough bytes of bookkeeping per span beside its encoding, for the cache's budget. */
const ENTRY_OVERHEAD = 120;

export class TraceViewState {
  private memo: { at: bigint | undefined; bytes: Uint8Array } | undefined;
  readonly runningSpans: number;
  private readonly spanBytes: number;

  private constructor(
    readonly traceId: string,
    readonly progress: TraceViewProgress,
    /** When the event at `progress.version` was recorded: the moment an as-of-version read shows. */
    readonly recordedAt: bigint,
    /** Ordered as the view lists them: by start time, then by when they started in the stream. */
    readonly entries: readonly SpanEntry[],
    private readonly byId: ReadonlyMap<string, SpanEntry>,
    private readonly nextSeq: number,
  ) {
    let running = 0;
    let bytes = 0;
    for (const entry of entries) {
      if (entry.running) running++;
      bytes += entry.bytes.length;
    }
    this.runningSpans = running;
    this.spanBytes = bytes;
  }

  static empty(traceId: string): TraceViewState {
    return new TraceViewState(traceId, { version: 0, completed: false, rootSpanId: "" }, 0n, [], new Map(), 0);
  }

  /** A state from a stored snapshot: an encoded Trace as snapshotBytes() wrote it. */
  static fromSnapshot(traceId: string, bytes: Uint8Array, recordedAt: bigint): TraceViewState {
    const reader = new WireReader(bytes);
    let version = 0;
    let state = 0;
    let rootSpanId = "";
    const entries: SpanEntry[] = [];
    while (!reader.done) {
      const tag = reader.varint();
      const field = tag >>> 3;
      if (tag === SPANS_TAG) entries.push(scanSpanEntry(reader, reader.delimitedEnd(), entries.length));
      else if (field === TRACE_FIELD.version.number && (tag & 7) === WIRE_VARINT) version = reader.varint();
      else if (field === TRACE_FIELD.state.number && (tag & 7) === WIRE_VARINT) state = reader.varint();
      else if (field === TRACE_FIELD.rootSpanId.number && (tag & 7) === WIRE_LENGTH_DELIMITED) rootSpanId = bytesToHex(reader.delimited());
      else reader.skip(tag & 7);
    }
    const progress = { version, completed: state === TraceState.COMPLETED, rootSpanId };
    return new TraceViewState(traceId, progress, recordedAt, entries, indexById(entries), entries.length);
  }

  get version(): number {
    return this.progress.version;
  }

  /** True when the view does not depend on the moment viewed: no span is running. */
  get stable(): boolean {
    return this.runningSpans === 0;
  }

  /** Approximate memory held, for the read cache's budget. */
  get sizeBytes(): number {
    return this.spanBytes + this.entries.length * ENTRY_OVERHEAD + (this.memo?.bytes.length ?? 0);
  }

  /** The state after these events, the next ones of the stream; the last was recorded at `recordedAt`. */
  apply(events: readonly TraceEventCase[], recordedAt: bigint): TraceViewState {
    if (events.length === 0) return this;
    const builder = new TraceViewBuilder(this.traceId, this.progress);
    const adopted: SpanEntry[] = [];
    const adoptedIds = new Set<string>();
    const started: string[] = [];
    const startedIds = new Set<string>();
    for (const event of events) {
      const spanId = spanIdOf(event);
      if (spanId === undefined) continue;
      const existing = this.byId.get(spanId);
      if (existing && !adoptedIds.has(spanId)) {
        adoptedIds.add(spanId);
        adopted.push(existing);
      }
      if (event.case === "spanStarted" && !existing && !startedIds.has(spanId)) {
        startedIds.add(spanId);
        started.push(spanId);
      }
    }
    for (const span of decodeSpans(adopted.map((entry) => entry.bytes))) builder.adopt(span);
    for (const event of events) builder.apply(event);

    // build() measures running spans to its `now`: at 0 their duration is 0 and not written.
    const built = builder.build(0n).spans;
    const encoded = encodeSpans(built);
    const seqOf = new Map<string, number>();
    started.forEach((spanId, i) => seqOf.set(spanId, this.nextSeq + i));
    const byId = new Map(this.byId);
    const added: SpanEntry[] = [];
    let moved = false;
    built.forEach((span, i) => {
      const spanId = bytesToHex(span.spanId);
      const existing = this.byId.get(spanId);
      const entry = readSpanEntry(encoded[i]!, existing?.seq ?? seqOf.get(spanId) ?? this.nextSeq + started.length);
      byId.set(spanId, entry);
      if (!existing) added.push(entry);
      else if (existing.start !== entry.start) moved = true;
    });
    const entries = this.entries.map((entry) => byId.get(entry.spanId)!);
    for (const entry of added) entries.push(entry);
    if (moved || added.length > 0) sortEntries(entries);
    return new TraceViewState(this.traceId, builder.progress, recordedAt, entries, byId, this.nextSeq + started.length);
  }

  /** The encoded GetTraceResponse for this state as seen at `at` (running spans measured to it). */
  responseBytes(at: bigint): Uint8Array {
    const memoAt = this.stable ? undefined : at;
    if (this.memo && this.memo.at === memoAt) return this.memo.bytes;
    const trace = this.traceBytes(at, RESPONSE_TRACE_TAG);
    // Worth keeping when another read can ask for it: a stable view, or the one moment an as-of-version read shows.
    if (this.stable || at === this.recordedAt) this.memo = { at: memoAt, bytes: trace };
    return trace;
  }

  /** The encoded Trace to store as a snapshot: running spans without their duration. */
  snapshotBytes(): Uint8Array {
    return this.traceBytes(0n);
  }

  /** The Trace as of `at`, encoded; wrapped as field `wrapTag` of an outer message when given. */
  private traceBytes(at: bigint, wrapTag?: number): Uint8Array {
    const header = toBinary(TraceSchema, traceHeader(this.traceId, this.progress, this.entries, this.byId, at));
    const durations: bigint[] = new Array<bigint>(this.entries.length);
    let size = header.length;
    this.entries.forEach((entry, i) => {
      let length = entry.bytes.length;
      const duration = entry.running && at > entry.start ? at - entry.start : 0n;
      durations[i] = duration;
      if (duration > 0n) length += 1 + varint64Size(duration);
      size += 1 + varintSize(length) + length;
    });
    const total = wrapTag === undefined ? size : 1 + varintSize(size) + size;
    const out = new Uint8Array(total);
    let pos = 0;
    if (wrapTag !== undefined) {
      out[pos++] = wrapTag;
      pos = writeVarint(out, pos, size);
    }
    out.set(header, pos);
    pos += header.length;
    this.entries.forEach((entry, i) => {
      const duration = durations[i]!;
      const bytes = entry.bytes;
      out[pos++] = SPANS_TAG;
      if (duration === 0n) {
        pos = writeVarint(out, pos, bytes.length);
        out.set(bytes, pos);
        pos += bytes.length;
        return;
      }
      // duration_nano goes where field order puts it, as protobuf-es would write it.
      pos = writeVarint(out, pos, bytes.length + 1 + varint64Size(duration));
      out.set(bytes.subarray(0, entry.durationAt), pos);
      pos += entry.durationAt;
      out[pos++] = DURATION_TAG;
      pos = writeVarint64(out, pos, duration);
      out.set(bytes.subarray(entry.durationAt), pos);
      pos += bytes.length - entry.durationAt;
    });
    return out;
  }
}

function spanIdOf(event: TraceEventCase): string | undefined {
  const value = event.value as { spanId?: Uint8Array };
  return value.spanId === undefined ? undefined : bytesToHex(value.spanId);
}

function indexById(entries: readonly SpanEntry[]): Map<string, SpanEntry> {
  const byId = new Map<string, SpanEntry>();
  for (const entry of entries) byId.set(entry.spanId, entry);
  return byId;
}

function sortEntries(entries: SpanEntry[]): void {
  let sorted = true;
  for (let i = 1; i < entries.length && sorted; i++) sorted = compareEntries(entries[i - 1]!, entries[i]!) <= 0;
  if (!sorted) entries.sort(compareEntries);
}

function compareEntries(a: SpanEntry, b: SpanEntry): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.seq - b.seq;
}
