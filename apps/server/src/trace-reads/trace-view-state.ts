// A trace view at one version of its stream, held as encoded spans: what GetTrace
// answers, a snapshot stores and the read cache keeps. It is immutable; applying
// events gives a new state that shares every untouched span with the old one.
//
// Applying events folds them with the same TraceViewBuilder as a full read,
// resumed from this state: only the spans the events touch are decoded (and
// adopted by the builder), folded, and encoded again. Answering a read writes the
// trace-level fields and copies the span bytes, inserting the duration of
// running spans, which depends on the moment viewed.
//
// A state read from a snapshot stays a block of bytes until something needs its
// spans one by one: a view with no running span is answered with the stored
// bytes as they are.
//
// What passes over every span or event (parsing a snapshot, indexing, applying,
// encoding) is written as steps (time-slices.ts), so that a read of a big trace
// can let the event loop turn between them; the plain methods run the same steps
// to their end.

import { toBinary } from "@bufbuild/protobuf";
import { SpanSchema, TraceSchema, TraceState } from "@traceledger/proto";
import type { TraceEventCase } from "../domain/trace/trace-event.js";
import { bytesToHex } from "../domain/trace/w3c-ids.js";
import { TraceViewBuilder, type TraceViewProgress } from "../projections/trace-view.js";
import { decodeSpans, encodeSpanEntries } from "./span-codec.js";
import { scanSpanEntry, type SpanEntry } from "./span-entry.js";
import { traceHeader } from "./trace-header.js";
import { runToEnd, type Steps } from "./time-slices.js";
import { hexOf, tagByte, varint64Size, varintSize, WIRE_LENGTH_DELIMITED, WIRE_VARINT, WireReader, writeVarint, writeVarint64 } from "./wire.js";

const TRACE_FIELD = TraceSchema.field;
const SPANS_TAG = tagByte(TRACE_FIELD.spans.number, WIRE_LENGTH_DELIMITED);
const DURATION_TAG = tagByte(SpanSchema.field.durationNano.number, WIRE_VARINT);
/** GetTraceResponse.trace is field 1. */
const RESPONSE_TRACE_TAG = tagByte(1, WIRE_LENGTH_DELIMITED);
/** Rough bytes of bookkeeping per span beside its encoding, for the cache's budget. */
const ENTRY_OVERHEAD = 120;
/**
 * Work between two steps (points where a read may pause): spans passed over
 * (about 0.3-1 us each: scanned, indexed, copied), events applied (1-3 us), spans
 * decoded or encoded by protobuf-es (5-10 us, and one call per step's spans: its
 * fixed cost is then spread over many), bytes copied. A step is then 1 ms or less.
 * Each step's loop is a plain function (below the class): the same loops written
 * inside the generators cost a read of 1,000 spans 8-19% more CPU (measured).
 */
const SPANS_PER_STEP = 1024;
const EVENTS_PER_STEP = 256;
const CODED_SPANS_PER_STEP = 128;
const BYTES_PER_STEP = 1 << 20;

/** Where the spans are: parsed entries, or the stored snapshot they are still part of. */
type Spans = ParsedSpans | { snapshot: Buffer; spansAt: number; count: number };
type ParsedSpans = { entries: readonly SpanEntry[]; byId?: Map<string, SpanEntry> };

/**
 * An event of a type this server does not know (a newer replica's, during a rolling
 * upgrade): the view skips it, as the other readers of the log do, instead of failing
 * every read of its trace.
 */
export const SKIPPED = Symbol("an event of an unknown type");

export class TraceViewState {
  private memo: { at: bigint | undefined; bytes: Uint8Array } | undefined;
  readonly runningSpans: number;
  private readonly spanBytes: number;

  private constructor(
    readonly traceId: string,
    readonly progress: TraceViewProgress,
    /** When the event at `progress.version` was recorded: the moment an as-of-version read shows. */
    readonly recordedAt: bigint,
    private spans: Spans,
    runningSpans: number,
  ) {
    this.runningSpans = runningSpans;
    if ("snapshot" in spans) this.spanBytes = spans.snapshot.length;
    else {
      let bytes = 0;
      for (const entry of spans.entries) bytes += entry.length;
      this.spanBytes = bytes;
    }
  }

  static empty(traceId: string): TraceViewState {
    return new TraceViewState(traceId, { version: 0, completed: false, rootSpanId: "" }, 0n, { entries: [] }, 0);
  }

  /** A state from a stored snapshot: an encoded Trace as snapshotBytes() wrote it. Only its trace-level fields are read now. */
  static fromSnapshot(traceId: string, bytes: Uint8Array, recordedAt: bigint): TraceViewState {
    const snapshot = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const reader = new WireReader(snapshot);
    let version = 0;
    let state = 0;
    let rootSpanId = "";
    let count = 0;
    let running = 0;
    let spansAt = snapshot.length;
    while (!reader.done) {
      const at = reader.pos;
      const tag = reader.varint();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (tag === SPANS_TAG) {
        // The spans come last (field order): the header has been read.
        spansAt = at;
        break;
      }
      if (wireType === WIRE_VARINT && field === TRACE_FIELD.version.number) version = reader.varint();
      else if (wireType === WIRE_VARINT && field === TRACE_FIELD.state.number) state = reader.varint();
      else if (wireType === WIRE_VARINT && field === TRACE_FIELD.spanCount.number) count = reader.varint();
      else if (wireType === WIRE_VARINT && field === TRACE_FIELD.runningSpanCount.number) running = reader.varint();
      else if (wireType === WIRE_LENGTH_DELIMITED && field === TRACE_FIELD.rootSpanId.number) {
        const end = reader.delimitedEnd();
        rootSpanId = hexOf(snapshot, reader.pos, end);
        reader.pos = end;
      } else reader.skip(wireType);
    }
    const progress = { version, completed: state === TraceState.COMPLETED, rootSpanId };
    return new TraceViewState(traceId, progress, recordedAt, { snapshot, spansAt, count }, running);
  }

  get version(): number {
    return this.progress.version;
  }

  /** True when the view does not depend on the moment viewed: no span is running. */
  get stable(): boolean {
    return this.runningSpans === 0;
  }

  /** The number of spans, known without parsing a snapshot's. */
  get spanCount(): number {
    return "snapshot" in this.spans ? this.spans.count : this.spans.entries.length;
  }

  /** Approximate memory held, for the read cache's budget. */
  get sizeBytes(): number {
    return this.spanBytes + this.spanCount * ENTRY_OVERHEAD + (this.memo?.bytes.length ?? 0);
  }

  /** The spans, ordered as the view lists them: by start time, then by when they started in the stream. */
  get entries(): readonly SpanEntry[] {
    return runToEnd(this.parsedSteps()).entries;
  }

  /**
   * The state after these events, the next ones of the stream; the last was recorded at
   * `recordedAt`. SKIPPED stands for an event of a type this server does not know: it
   * takes its version and shows nothing.
   *
   * Besides the spans the events touch, this costs a pass over every span (the new
   * list, and the index built when the new state is applied to in turn): callers
   * folding a long stream apply it in few large batches (see TraceReader's fold).
   */
  apply(events: readonly (TraceEventCase | typeof SKIPPED)[], recordedAt: bigint): TraceViewState {
    return runToEnd(this.applySteps(events, recordedAt));
  }

  /** apply() in steps: a read of a big trace runs them in time slices (TraceReader). */
  *applySteps(events: readonly (TraceEventCase | typeof SKIPPED)[], recordedAt: bigint): Steps<TraceViewState> {
    if (events.length === 0) return this;
    const { entries } = yield* this.parsedSteps();
    const byId = yield* this.byIdSteps();
    const nextSeq = entries.length;
    const builder = new TraceViewBuilder(this.traceId, this.progress);
    const touched: Touched = { byId, nextSeq, adopted: [], adoptedIds: new Set(), seqOf: new Map() };
    for (let from = 0; from < events.length; from += EVENTS_PER_STEP) {
      if (from > 0) yield;
      noteTouched(touched, events, from, Math.min(from + EVENTS_PER_STEP, events.length));
    }
    const { adopted, seqOf } = touched;
    // Spans are decoded on their own (each from its own bytes): a few at a time decode as all at once.
    for (let i = 0; i < adopted.length; i += CODED_SPANS_PER_STEP) {
      yield;
      for (const span of decodeSpans(adopted.slice(i, i + CODED_SPANS_PER_STEP))) builder.adopt(span);
    }
    for (let from = 0; from < events.length; from += EVENTS_PER_STEP) {
      yield;
      applyEvents(builder, events, from, Math.min(from + EVENTS_PER_STEP, events.length));
    }
    yield;

    // build() measures running spans to its `now`: at 0 their duration is 0 and not written.
    const built = builder.build(0n).spans;
    const ids = built.map((span) => bytesToHex(span.spanId));
    const seqs = ids.map((id) => byId.get(id)?.seq ?? seqOf.get(id) ?? nextSeq + seqOf.size);
    // Each span is encoded on its own too: a few at a time give the same bytes.
    const fresh: SpanEntry[] = [];
    for (let i = 0; i < built.length; i += CODED_SPANS_PER_STEP) {
      yield;
      for (const entry of encodeSpanEntries(built.slice(i, i + CODED_SPANS_PER_STEP), seqs.slice(i, i + CODED_SPANS_PER_STEP))) fresh.push(entry);
    }
    // Only the touched spans change: the new state's index is built if it is ever applied to.
    const replaced = new Map<string, SpanEntry>();
    const added: SpanEntry[] = [];
    let moved = false;
    let running = this.runningSpans;
    fresh.forEach((entry, i) => {
      const existing = byId.get(ids[i]!);
      if (entry.running) running++;
      if (!existing) added.push(entry);
      else {
        replaced.set(existing.spanId, entry);
        if (existing.running) running--;
        if (existing.start !== entry.start) moved = true;
      }
    });
    yield;
    const next = replaced.size === 0 ? entries.slice() : entries.map((entry) => replaced.get(entry.spanId) ?? entry);
    // New spans come sorted among themselves (build() sorts, and seq follows their start
    // order); they usually start after every span already there, which one comparison shows.
    const joinsInOrder = added.length === 0 || next.length === 0 || compareEntries(next[next.length - 1]!, added[0]!) <= 0;
    for (const entry of added) next.push(entry);
    if (moved || !joinsInOrder) {
      yield;
      next.sort(compareEntries);
    }
    return new TraceViewState(this.traceId, builder.progress, recordedAt, { entries: next }, running);
  }

  /** The encoded GetTraceResponse for this state as seen at `at` (running spans measured to it). */
  responseBytes(at: bigint): Uint8Array {
    return runToEnd(this.responseSteps(at));
  }

  /** responseBytes() in steps. */
  *responseSteps(at: bigint): Steps<Uint8Array> {
    const memoAt = this.stable ? undefined : at;
    if (this.memo && this.memo.at === memoAt) return this.memo.bytes;
    const response = this.stable && "snapshot" in this.spans ? yield* this.wrapSnapshot() : yield* this.traceBytes(at, RESPONSE_TRACE_TAG);
    // Worth keeping when another read can ask for it: a stable view, or the one moment an as-of-version read shows.
    if (this.stable || at === this.recordedAt) this.memo = { at: memoAt, bytes: response };
    return response;
  }

  /** The encoded Trace to store as a snapshot: running spans without their duration. */
  snapshotBytes(): Uint8Array {
    return runToEnd(this.snapshotSteps());
  }

  /** snapshotBytes() in steps. */
  *snapshotSteps(): Steps<Uint8Array> {
    return "snapshot" in this.spans ? this.spans.snapshot : yield* this.traceBytes(0n);
  }

  /**
   * The spans parsed out of the snapshot, once. Another read of this state may parse
   * it too while this one pauses: the first to finish keeps its entries for both.
   */
  private *parsedSteps(): Steps<ParsedSpans> {
    const spans = this.spans;
    if (!("snapshot" in spans)) return spans;
    const reader = new WireReader(spans.snapshot, spans.spansAt);
    const entries: SpanEntry[] = [];
    while (!scanSpans(reader, entries, SPANS_PER_STEP)) yield;
    if ("snapshot" in this.spans) this.spans = { entries };
    return this.spans as ParsedSpans;
  }

  private *byIdSteps(): Steps<Map<string, SpanEntry>> {
    const spans = yield* this.parsedSteps();
    if (spans.byId) return spans.byId;
    const byId = new Map<string, SpanEntry>();
    const entries = spans.entries;
    for (let from = 0; from < entries.length; from += SPANS_PER_STEP) {
      if (from > 0) yield;
      indexEntries(byId, entries, from, Math.min(from + SPANS_PER_STEP, entries.length));
    }
    return (spans.byId ??= byId);
  }

  /** The root span's entry, or the earliest span's (the lowest span id among equal starts) when the root is not here, as build() picks it. */
  private rootEntry(): SpanEntry | undefined {
    const spans = runToEnd(this.parsedSteps());
    const rootSpanId = this.progress.rootSpanId;
    const root = rootSpanId === "" ? undefined : spans.byId ? spans.byId.get(rootSpanId) : spans.entries.find((entry) => entry.spanId === rootSpanId);
    if (root) return root;
    let earliest: SpanEntry | undefined;
    for (const entry of spans.entries) {
      if (!earliest || entry.start < earliest.start || (entry.start === earliest.start && entry.spanId < earliest.spanId)) earliest = entry;
    }
    return earliest;
  }

  /** A stable snapshot answers for itself: a snapshot is the Trace encoded at time 0, and a stable view does not depend on time. */
  private *wrapSnapshot(): Steps<Uint8Array> {
    const { snapshot } = this.spans as { snapshot: Buffer };
    const out = new Uint8Array(1 + varintSize(snapshot.length) + snapshot.length);
    out[0] = RESPONSE_TRACE_TAG;
    const at = writeVarint(out, 1, snapshot.length);
    for (let from = 0; from < snapshot.length; from += BYTES_PER_STEP) {
      if (from > 0) yield;
      snapshot.copy(out, at + from, from, Math.min(from + BYTES_PER_STEP, snapshot.length));
    }
    return out;
  }

  /** The Trace as of `at`, encoded; wrapped as field `wrapTag` of an outer message when given. */
  private *traceBytes(at: bigint, wrapTag?: number): Steps<Uint8Array> {
    const { entries } = yield* this.parsedSteps();
    const header = toBinary(TraceSchema, traceHeader(this.traceId, this.progress, entries, this.rootEntry(), at));
    const durations: bigint[] = new Array<bigint>(entries.length);
    let size = header.length;
    for (let from = 0; from < entries.length; from += SPANS_PER_STEP) {
      yield;
      size += measureSpans(entries, durations, at, from, Math.min(from + SPANS_PER_STEP, entries.length));
    }
    const total = wrapTag === undefined ? size : 1 + varintSize(size) + size;
    const out = new Uint8Array(total);
    let pos = 0;
    if (wrapTag !== undefined) {
      out[pos++] = wrapTag;
      pos = writeVarint(out, pos, size);
    }
    out.set(header, pos);
    pos += header.length;
    for (let from = 0; from < entries.length; from += SPANS_PER_STEP) {
      yield;
      pos = writeSpans(out, pos, entries, durations, from, Math.min(from + SPANS_PER_STEP, entries.length));
    }
    return out;
  }
}

/** What the events of a batch touch: the stored spans to adopt, and the start order of new ones. */
interface Touched {
  readonly byId: Map<string, SpanEntry>;
  readonly nextSeq: number;
  readonly adopted: SpanEntry[];
  readonly adoptedIds: Set<string>;
  readonly seqOf: Map<string, number>;
}

function noteTouched(touched: Touched, events: readonly (TraceEventCase | typeof SKIPPED)[], from: number, to: number): void {
  const { byId, adopted, adoptedIds, seqOf } = touched;
  for (let i = from; i < to; i++) {
    const event = events[i]!;
    if (event === SKIPPED) continue;
    const spanId = spanIdOf(event);
    if (spanId === undefined) continue;
    const existing = byId.get(spanId);
    if (existing && !adoptedIds.has(spanId)) {
      adoptedIds.add(spanId);
      adopted.push(existing);
    }
    if (event.case === "spanStarted" && !existing && !seqOf.has(spanId)) seqOf.set(spanId, touched.nextSeq + seqOf.size);
  }
}

function applyEvents(builder: TraceViewBuilder, events: readonly (TraceEventCase | typeof SKIPPED)[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const event = events[i]!;
    if (event === SKIPPED) builder.skip();
    else builder.apply(event);
  }
}

/** Scans up to `count` more spans of a snapshot into `entries`; true once the snapshot is done. */
function scanSpans(reader: WireReader, entries: SpanEntry[], count: number): boolean {
  const until = entries.length + count;
  while (!reader.done) {
    if (entries.length === until) return false;
    const tag = reader.varint();
    if (tag === SPANS_TAG) entries.push(scanSpanEntry(reader, reader.delimitedEnd(), entries.length));
    else reader.skip(tag & 7);
  }
  return true;
}

function indexEntries(byId: Map<string, SpanEntry>, entries: readonly SpanEntry[], from: number, to: number): void {
  for (let i = from; i < to; i++) byId.set(entries[i]!.spanId, entries[i]!);
}

/** The encoded size of entries [from, to) as spans of a Trace at `at`, each running span's duration noted. */
function measureSpans(entries: readonly SpanEntry[], durations: bigint[], at: bigint, from: number, to: number): number {
  let size = 0;
  for (let i = from; i < to; i++) {
    const entry = entries[i]!;
    let length = entry.length;
    const duration = entry.running && at > entry.start ? at - entry.start : 0n;
    durations[i] = duration;
    if (duration > 0n) length += 1 + varint64Size(duration);
    size += 1 + varintSize(length) + length;
  }
  return size;
}

/** Writes entries [from, to) as spans of a Trace at `pos`; returns the position after them. */
function writeSpans(out: Uint8Array, pos: number, entries: readonly SpanEntry[], durations: readonly bigint[], from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const { source, offset, length, durationAt } = entries[i]!;
    const duration = durations[i]!;
    out[pos++] = SPANS_TAG;
    if (duration === 0n) {
      pos = writeVarint(out, pos, length);
      pos += source.copy(out, pos, offset, offset + length);
      continue;
    }
    // duration_nano goes where field order puts it, as protobuf-es would write it.
    pos = writeVarint(out, pos, length + 1 + varint64Size(duration));
    pos += source.copy(out, pos, offset, offset + durationAt);
    out[pos++] = DURATION_TAG;
    pos = writeVarint64(out, pos, duration);
    pos += source.copy(out, pos, offset + durationAt, offset + length);
  }
  return pos;
}

function spanIdOf(event: TraceEventCase): string | undefined {
  const value = event.value as { spanId?: Uint8Array };
  return value.spanId === undefined ? undefined : bytesToHex(value.spanId);
}

function compareEntries(a: SpanEntry, b: SpanEntry): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.seq - b.seq;
}
