// The bytes of a SagaFoldImage. The state is plain data, which node:v8's
// structured-clone serialisation keeps whole (bigints, Maps in their order). It is
// written as records, a Map entry or Set member each, in parts of at most PART_RECORDS
// records and about PART_BYTES, one v8 serialisation per part, and read back the same way, so the event
// loop turns between parts (TimeSlices): a state of a hundred thousand running
// spans or operations holds the loop a few milliseconds at a time, not a second.
//
// A trace is written as its fields, then its running spans a record each, so one
// trace with sixty thousand running spans is spread over many parts too. An object
// already written as a value of an earlier Map, under the same key (statisticAlerts
// holds openAlerts' alerts) or anywhere (liveTraces holds the traces), is written as
// a reference to it, so the restored state shares the objects the live one shares.

import { deserialize, serialize } from "node:v8";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createDeflate, inflate as inflateCallback } from "node:zlib";
import { DEFAULT_MONITORING_CONFIG, initialMonitoringState } from "../domain/monitoring/index.js";
import type { ActiveSpan, TraceTrack } from "../domain/monitoring/monitoring-state.js";
import { TimeSlices, type Steps } from "../trace-reads/time-slices.js";
import type { SagaFoldImage } from "./saga-snapshot.js";

// zlib's format, not raw deflate: its Adler-32 check refuses bytes changed on the way.
const inflate = promisify(inflateCallback);

/** The bytes are not an image this code can read (corrupt, cut, another layout). */
export class SnapshotUnreadable extends Error {}

/** Records per part at most: a part takes a few milliseconds to write or read. */
const PART_RECORDS = 1000;
/**
 * And bytes per part, about: records differ in size (an operation's error-rate window holds
 * three numbers per bucket, and a window may have thousands of buckets), so each collection
 * starts with a part of FIRST_RECORDS record and sizes the next by what a record took.
 */
const PART_BYTES = 256 * 1024;
const FIRST_RECORDS = 1;

type ImageState = SagaFoldImage["state"];

/** What is not a record: the fold's tick fields, the state's plain fields, and its collections by name. */
interface ImageHead {
  readonly lastTick: bigint;
  readonly nextTick: bigint;
  readonly newestRecorded: bigint;
  readonly scalars: Record<string, unknown>;
  readonly collections: readonly { readonly name: string; readonly kind: "map" | "set" }[];
  readonly parts: number;
}

/**
 * One record: [collection, key, value]; or [collection, key, undefined, from]: the value
 * is the one stored under that key in collection `from`; the running spans of `traces`
 * come as [SPAN, traceId, [spanId, span]]. A Set's member has its key in `from`, or none.
 */
type ImageRecord = [number, unknown, unknown] | [number, unknown, undefined, number];

/** The collection index of a running span's record. */
const SPAN = -1;

/**
 * The image as bytes, in chunks (a head, then each part's length and bytes): tens of
 * megabytes are never copied into one buffer on the event loop. Steps, so the loop can
 * turn between parts; the caller must not change the fold until they end (the runner
 * changes it only inside a step).
 */
export function* encodeImage(image: SagaFoldImage, partRecords = PART_RECORDS): Steps<Buffer[]> {
  const scalars: Record<string, unknown> = {};
  const collections: { name: string; kind: "map" | "set" }[] = [];
  const parts: Buffer[] = [];
  let records: ImageRecord[] = [];
  const written = new Map<object, { collection: number; key: unknown }>();
  /** Records in the part being filled: set at each collection's start and after each part. */
  let budget: number;
  const flush = () => {
    const bytes = serialize(records);
    parts.push(...framed(bytes));
    budget = Math.max(1, Math.min(partRecords, Math.floor((PART_BYTES * records.length) / bytes.length)));
    records = [];
  };
  for (const [name, value] of Object.entries(image.state)) {
    if (!(value instanceof Map) && !(value instanceof Set)) {
      scalars[name] = value;
      continue;
    }
    const collection = collections.length;
    collections.push({ name, kind: value instanceof Map ? "map" : "set" });
    budget = Math.min(FIRST_RECORDS, partRecords);
    const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value : [...value].map((member: unknown) => [undefined, member]);
    for (const [key, entry] of entries) {
      const earlier = typeof entry === "object" && entry !== null ? written.get(entry) : undefined;
      if (earlier && (value instanceof Set || earlier.key === key)) {
        records.push([collection, earlier.key, undefined, earlier.collection]);
      } else if (name === "traces") {
        const track = entry as TraceTrack;
        records.push([collection, key, { ...track, running: undefined }]);
        for (const span of track.running) {
          if (records.length >= budget) {
            flush();
            yield;
          }
          records.push([SPAN, key, span]);
        }
      } else {
        records.push([collection, key, entry]);
      }
      // Only a Map's values can be referred to: a reference names its key.
      if (value instanceof Map && typeof entry === "object" && entry !== null && !written.has(entry)) written.set(entry, { collection, key });
      if (records.length >= budget) {
        flush();
        yield;
      }
    }
  }
  if (records.length > 0) flush();
  const head: ImageHead = { lastTick: image.lastTick, nextTick: image.nextTick, newestRecorded: image.newestRecorded, scalars, collections, parts: parts.length / 2 };
  return [...framed(serialize(head)), ...parts];
}

/** Deflates the chunks in zlib's threads, one after the other. */
export async function compressImage(chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), createDeflate(), async (deflated: AsyncIterable<Buffer>) => {
    for await (const chunk of deflated) out.push(chunk);
  });
  return Buffer.concat(out);
}

/**
 * Throws SnapshotUnreadable when the bytes are not a whole image of the state's shape; what
 * the slices' pause hook throws is passed on as it is.
 */
export async function decodeImage(compressed: Buffer, slices: TimeSlices = new TimeSlices()): Promise<SagaFoldImage> {
  let bytes: Buffer;
  try {
    bytes = await inflate(compressed);
  } catch (error) {
    throw new SnapshotUnreadable(`the saga snapshot does not inflate: ${error instanceof Error ? error.message : String(error)}`);
  }
  return slices.run(unreadableOnError(readImage(bytes)));
}

function* unreadableOnError<T>(steps: Steps<T>): Steps<T> {
  try {
    return yield* steps;
  } catch (error) {
    throw error instanceof SnapshotUnreadable ? error : new SnapshotUnreadable(`the saga snapshot does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What a state's fields are (a Map, a Set, a bigint...), from a fresh one: a decoded state must match. */
const STATE_SHAPE: ReadonlyMap<string, string> = new Map(
  Object.entries(initialMonitoringState(DEFAULT_MONITORING_CONFIG))
    .filter(([name]) => name !== "config")
    .map(([name, value]) => [name, kindOf(value)]),
);

function kindOf(value: unknown): string {
  return value instanceof Map ? "map" : value instanceof Set ? "set" : typeof value;
}

function* readImage(bytes: Buffer): Steps<SagaFoldImage> {
  let offset = 0;
  const part = (): unknown => {
    if (offset + 4 > bytes.length) throw new Error("the saga snapshot ends before its last part");
    const length = bytes.readUInt32BE(offset);
    if (offset + 4 + length > bytes.length) throw new Error("the saga snapshot ends inside a part");
    const value = deserialize(bytes.subarray(offset + 4, offset + 4 + length)) as unknown;
    offset += 4 + length;
    return value;
  };
  const head = part() as ImageHead;
  const times = typeof head === "object" && head !== null && [head.lastTick, head.nextTick, head.newestRecorded].every((t) => typeof t === "bigint");
  if (!times || !Array.isArray(head.collections) || typeof head.parts !== "number") throw new Error("the saga snapshot does not begin with a fold's image");
  const built = head.collections.map((c) => (c.kind === "map" ? new Map<unknown, unknown>() : new Set<unknown>()));
  const traces = built[head.collections.findIndex((c) => c.name === "traces")] as Map<unknown, TraceTrack> | undefined;
  for (let i = 0; i < head.parts; i++) {
    if (i > 0) yield;
    for (const [collection, key, value, from] of part() as ImageRecord[]) {
      if (collection === SPAN) {
        const [spanId, span] = value as [string, ActiveSpan];
        const track = traces?.get(key);
        if (!track) throw new Error(`the saga snapshot has a running span of trace ${String(key)}, which it does not hold`);
        track.running.set(spanId, span);
        continue;
      }
      const target = built[collection];
      let entry = value;
      if (from !== undefined) {
        const source = built[from];
        if (!(source instanceof Map) || !source.has(key)) throw new Error(`the saga snapshot refers to ${String(key)} in ${head.collections[from]?.name}, which does not hold it`);
        entry = source.get(key);
      } else if (target === traces) {
        entry = { ...(value as TraceTrack), running: new Map() };
      }
      if (target instanceof Map) target.set(key, entry);
      else if (target instanceof Set) target.add(entry);
      else throw new Error(`the saga snapshot has a record of collection ${collection}, which it does not name`);
    }
  }
  if (offset !== bytes.length) throw new Error("the saga snapshot has bytes after its last part");
  const state: Record<string, unknown> = { ...head.scalars };
  head.collections.forEach((c, i) => (state[c.name] = built[i]));
  const fields = Object.keys(state);
  if (fields.length !== STATE_SHAPE.size || fields.some((name) => STATE_SHAPE.get(name) !== kindOf(state[name]))) {
    throw new SnapshotUnreadable(`the saga snapshot's state has fields ${fields.join(", ")}, not those of this server's state`);
  }
  return { lastTick: head.lastTick, nextTick: head.nextTick, newestRecorded: head.newestRecorded, state: state as unknown as ImageState };
}

/** A part's length, then its bytes. */
function framed(bytes: Buffer): [Buffer, Buffer] {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}
