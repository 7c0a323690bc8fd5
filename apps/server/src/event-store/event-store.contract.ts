// The EventStore contract: every behaviour an implementation must have, run against
// each implementation by its own spec file (in-memory, PostgreSQL). Tests never
// assert timings.

import { randomBytes, randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AppendRequest,
  type AppendResult,
  EventIdConflictError,
  type EventStore,
  type ExpectedVersion,
  type GlobalCheckpoint,
  type NewEvent,
  START_OF_LOG,
  type StoredEvent,
  VersionConflictError,
} from "./event-store.js";

/** A controllable clock, in Unix nanoseconds. */
class TestClock {
  constructor(public now = 1_700_000_000_000_000_000n) {}
  readonly read = (): bigint => this.now;
  advance(nanos: bigint): bigint {
    this.now += nanos;
    return this.now;
  }
}

/** Creates an empty store reading the given clock. */
type EventStoreFactory = (clock: () => bigint) => Promise<EventStore>;

export function streamId(): string {
  return randomBytes(16).toString("hex");
}

let eventCounter = 0;
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  eventCounter++;
  return {
    eventId: randomUUID(),
    type: "SpanStarted",
    payload: new Uint8Array(randomBytes(20 + (eventCounter % 40))),
    occurredAt: 1_700_000_000_000_000_000n + BigInt(eventCounter),
    ...overrides,
  };
}

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, () => newEvent());
}

function request(stream: string, expectedVersion: ExpectedVersion, evs: NewEvent[]): AppendRequest {
  return { streamId: stream, expectedVersion, events: evs };
}

/** What readStream and readAll must give back for appended events. */
function expectStored(stored: readonly StoredEvent[], stream: string, appended: readonly NewEvent[], firstVersion = 1): void {
  expect(stored.map((e) => e.eventId)).toEqual(appended.map((e) => e.eventId));
  stored.forEach((event, k) => {
    const original = appended[k]!;
    expect(event.streamId).toBe(stream);
    expect(event.version).toBe(firstVersion + k);
    expect(event.type).toBe(original.type);
    expect(event.occurredAt).toBe(original.occurredAt);
    expect(Buffer.from(event.payload).equals(Buffer.from(original.payload))).toBe(true);
    expect(typeof event.position).toBe("bigint");
    expect(typeof event.recordedAt).toBe("bigint");
  });
}

/**
 * Reads the log from `from` to its end. With `atLeast`, keeps reading until that many
 * events came (for a while): on PostgreSQL, readAll holds back what comes after any
 * transaction still running in the cluster, even another test's in another database.
 */
export async function drain(
  store: EventStore,
  from: GlobalCheckpoint,
  options: { pageSize?: number; atLeast?: number } = {},
): Promise<{ events: StoredEvent[]; checkpoint: GlobalCheckpoint }> {
  const pageSize = options.pageSize ?? 1000;
  const deadline = Date.now() + 10_000;
  const all: StoredEvent[] = [];
  let checkpoint = from;
  for (;;) {
    const page = await store.readAll(checkpoint, pageSize);
    all.push(...page.events);
    checkpoint = page.checkpoint;
    if (page.events.length < pageSize) {
      if (all.length >= (options.atLeast ?? 0) || Date.now() > deadline) return { events: all, checkpoint };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export function eventStoreContract(name: string, factory: EventStoreFactory): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let clock: TestClock;

    beforeEach(async () => {
      clock = new TestClock();
      store = await factory(clock.read);
    });
    afterEach(async () => {
      await store.close();
    });

    describe("append", () => {
      it("creates a stream: versions from 1, positions growing, not a duplicate", async () => {
        const s = streamId();
        const evs = events(3);
        const result = await store.append(request(s, "no_stream", evs));
        expect(result.streamId).toBe(s);
        expect(result.nextVersion).toBe(3);
        expect(result.duplicate).toBe(false);
        expect(result.positions).toHaveLength(3);
        expect(result.positions[0]! < result.positions[1]! && result.positions[1]! < result.positions[2]!).toBe(true);
        expect(await store.streamVersion(s)).toBe(3);
        const stored = await store.readStream(s);
        expectStored(stored, s, evs);
        expect(stored.map((e) => e.position)).toEqual(result.positions);
        expect(stored.every((e) => e.recordedAt === clock.now)).toBe(true);
      });

      it("reports version 0 for a stream that does not exist", async () => {
        expect(await store.streamVersion(streamId())).toBe(0);
        expect(await store.readStream(streamId())).toEqual([]);
      });

      it("reports many streams' versions at once, in the order asked, 0 for those that do not exist", async () => {
        const [a, b, missing] = [streamId(), streamId(), streamId()];
        await store.append(request(a, "no_stream", events(2)));
        await store.append(request(b, "no_stream", events(5)));
        expect(await store.streamVersions([b, missing, a, b])).toEqual([5, 0, 2, 5]);
        expect(await store.streamVersions([])).toEqual([]);
        await expect(store.streamVersions(["not hex"])).rejects.toThrow();
      });

      it("tells which of the event ids asked a stream holds, not another stream's", async () => {
        const [a, b] = [streamId(), streamId()];
        const [first, second] = events(2);
        const [elsewhere] = events(1);
        await store.append(request(a, "no_stream", [first!, second!]));
        await store.append(request(b, "no_stream", [elsewhere!]));
        const present = await store.presentEventIds(a, [second!.eventId, elsewhere!.eventId, randomUUID()]);
        expect([...present]).toEqual([second!.eventId]);
        expect(await store.presentEventIds(streamId(), [first!.eventId])).toEqual(new Set());
        expect(await store.presentEventIds(a, [])).toEqual(new Set());
      });

      it("continues a stream at the expected version", async () => {
        const s = streamId();
        const first = events(2);
        const second = events(2);
        await store.append(request(s, 0, first));
        const result = await store.append(request(s, 2, second));
        expect(result.nextVersion).toBe(4);
        expectStored(await store.readStream(s), s, [...first, ...second]);
      });

      it("continues a stream only after the expected last event, when one is named: a stream begun again is another", async () => {
        const [s, other, missing] = [streamId(), streamId(), streamId()];
        const first = await store.append(request(s, "no_stream", events(2)));
        const [before, last] = first.positions as [bigint, bigint];
        const otherFirst = await store.append(request(other, "no_stream", events(1)));
        expect(await store.streamHead(s)).toEqual({ version: 2, lastPosition: last });
        expect(await store.streamHead(missing)).toEqual({ version: 0 });
        await expect(store.streamHead("not hex")).rejects.toThrow();
        // At the expected version, but its last event is not the one named (the stream was deleted
        // and begun again up to that version): a conflict, alone in its batch or not.
        const lost = await store.append({ ...request(s, 2, events(1)), expectedLastPosition: before }).catch((e: unknown) => e);
        expect(lost).toBeInstanceOf(VersionConflictError);
        expect(lost).toMatchObject({ streamId: s, expected: 2, actual: 2, message: expect.stringMatching(/begun again/) });
        const continued = events(1);
        const results = await store.appendMany([
          { ...request(s, 2, events(1)), expectedLastPosition: before },
          { ...request(other, 1, continued), expectedLastPosition: otherFirst.positions[0]! },
        ]);
        expect(results[0]).toBeInstanceOf(VersionConflictError);
        expect(results[1]).toMatchObject({ streamId: other, nextVersion: 2, duplicate: false });
        expect(await store.streamVersion(s)).toBe(2);
        // After the last event named, it goes on; a retry is still a retry.
        const next = events(2);
        const appended = await store.append({ ...request(s, 2, next), expectedLastPosition: last });
        expect(appended).toMatchObject({ nextVersion: 4, duplicate: false });
        expect(await store.append({ ...request(s, 2, next), expectedLastPosition: before })).toEqual({ ...appended, duplicate: true });
        expect(await store.streamHead(s)).toEqual({ version: 4, lastPosition: appended.positions[1] });
      });

      describe("expected version matrix", () => {
        // [expected, current version of the stream, succeeds]
        const cases: Array<[ExpectedVersion, number, boolean]> = [
          ["no_stream", 0, true],
          [0, 0, true],
          ["any", 0, true],
          [1, 0, false],
          [5, 0, false],
          ["no_stream", 2, false],
          [0, 2, false],
          [1, 2, false],
          [2, 2, true],
          [3, 2, false],
          ["any", 2, true],
        ];
        it.each(cases)("expected %s on a stream at version %i: succeeds %s", async (expected, current, succeeds) => {
          const s = streamId();
          if (current > 0) await store.append(request(s, "no_stream", events(current)));
          const appended = events(2);
          const attempt = store.append(request(s, expected, appended));
          if (succeeds) {
            const result = await attempt;
            expect(result.nextVersion).toBe(current + 2);
            expect(result.duplicate).toBe(false);
            expect(await store.streamVersion(s)).toBe(current + 2);
          } else {
            const error = await attempt.then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(VersionConflictError);
            const conflict = error as VersionConflictError;
            expect(conflict.name).toBe("VersionConflictError");
            expect(conflict.streamId).toBe(s);
            expect(conflict.expected).toBe(expected);
            expect(conflict.actual).toBe(current);
            expect(await store.streamVersion(s)).toBe(current);
            expect(await store.readStream(s)).toHaveLength(current);
          }
        });
      });

      it("treats a retry with the same event ids as a no-op returning the original result", async () => {
        const s = streamId();
        const evs = events(2);
        const original = await store.append(request(s, "no_stream", evs));
        clock.advance(1_000n);
        const retry = await store.append(request(s, "no_stream", evs));
        expect(retry).toEqual({ ...original, duplicate: true });
        expect(await store.streamVersion(s)).toBe(2);
        expectStored(await store.readStream(s), s, evs);
      });

      it("recognises a retry whatever its expected version, also after later appends", async () => {
        const s = streamId();
        const evs = events(2);
        const original = await store.append(request(s, "no_stream", evs));
        await store.append(request(s, 2, events(3)));
        for (const expected of ["no_stream", 0, 1, 2, 5, "any"] as ExpectedVersion[]) {
          const retry = await store.append(request(s, expected, evs));
          expect(retry).toEqual({ ...original, duplicate: true });
        }
        // At the stream's current version the check passes, and the ids still make it a retry.
        const atCurrent = await store.append(request(s, 5, evs));
        expect(atCurrent).toEqual({ ...original, duplicate: true });
        expect(await store.streamVersion(s)).toBe(5);
      });

      it("rejects a reused event id with other content, and writes nothing", async () => {
        const s = streamId();
        const [a, b] = events(2) as [NewEvent, NewEvent];
        await store.append(request(s, "no_stream", [a, b]));
        const variants: NewEvent[] = [
          { ...b, payload: new Uint8Array([1, 2, 3]) },
          { ...b, type: "SpanEnded" },
          { ...b, occurredAt: b.occurredAt + 1n },
        ];
        for (const changed of variants) {
          for (const expected of [2, "any", 0] as ExpectedVersion[]) {
            const error = await store.append(request(s, expected, [a, changed])).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(EventIdConflictError);
            expect((error as EventIdConflictError).name).toBe("EventIdConflictError");
            expect((error as EventIdConflictError).streamId).toBe(s);
            expect((error as EventIdConflictError).eventId).toBe(b.eventId);
          }
        }
        expect(await store.streamVersion(s)).toBe(2);
        expectStored(await store.readStream(s), s, [a, b]);
      });

      it("rejects a request that reuses some stored ids next to new ones, or stored ids out of order", async () => {
        const s = streamId();
        const [a, b] = events(2) as [NewEvent, NewEvent];
        await store.append(request(s, "no_stream", [a, b]));
        const partial = await store.append(request(s, 2, [a, newEvent()])).catch((e: unknown) => e);
        expect(partial).toBeInstanceOf(EventIdConflictError);
        expect((partial as EventIdConflictError).eventId).toBe(a.eventId);
        const newFirst = await store.append(request(s, 2, [newEvent(), b])).catch((e: unknown) => e);
        expect(newFirst).toBeInstanceOf(EventIdConflictError);
        expect((newFirst as EventIdConflictError).eventId).toBe(b.eventId);
        const swapped = await store.append(request(s, "any", [b, a])).catch((e: unknown) => e);
        expect(swapped).toBeInstanceOf(EventIdConflictError);
        expect((swapped as EventIdConflictError).eventId).toBe(a.eventId);
        expect(await store.streamVersion(s)).toBe(2);
      });

      it("accepts the same event id in another stream (ids are unique per stream)", async () => {
        const shared = newEvent();
        const one = await store.append(request(streamId(), "no_stream", [shared]));
        const other = await store.append(request(streamId(), "no_stream", [shared]));
        expect(one.duplicate).toBe(false);
        expect(other.duplicate).toBe(false);
        expect(other.positions[0]).not.toBe(one.positions[0]);
      });

      it("stores payloads byte for byte, including empty ones", async () => {
        const s = streamId();
        const all = new Uint8Array(256).map((_, i) => i);
        const evs = [newEvent({ payload: new Uint8Array(0) }), newEvent({ payload: all }), newEvent({ payload: new Uint8Array(64 * 1024).fill(0x5c) })];
        await store.append(request(s, "no_stream", evs));
        expectStored(await store.readStream(s), s, evs);
      });

      it("keeps stored payloads apart from the caller's buffers", async () => {
        const s = streamId();
        const payload = new Uint8Array([1, 2, 3]);
        await store.append(request(s, "no_stream", [newEvent({ payload })]));
        payload[0] = 9;
        const [read] = await store.readStream(s);
        expect(Array.from(read!.payload)).toEqual([1, 2, 3]);
        read!.payload[1] = 9;
        const [again] = await store.readStream(s);
        expect(Array.from(again!.payload)).toEqual([1, 2, 3]);
      });

      it("rejects malformed requests before writing anything", async () => {
        const s = streamId();
        const existing = streamId();
        const existingEvents = events(2);
        await store.append(request(existing, "no_stream", existingEvents));
        const before = await drain(store, START_OF_LOG, { atLeast: existingEvents.length });
        expect(before.events.map((e) => e.eventId)).toEqual(existingEvents.map((e) => e.eventId));
        const good = request(s, "no_stream", events(1));
        const bad: AppendRequest[] = [
          request("not-a-trace-id", "no_stream", events(1)),
          request(s.toUpperCase(), "no_stream", events(1)),
          request(streamId(), "no_stream", []),
          request(streamId(), -1, events(1)),
          request(streamId(), 1.5, events(1)),
          request(streamId(), "no_stream", [newEvent({ eventId: "not-a-uuid" })]),
          request(streamId(), "no_stream", [newEvent({ eventId: randomUUID().toUpperCase() })]),
          (() => {
            const e = newEvent();
            return request(streamId(), "no_stream", [e, { ...e }]);
          })(),
          request(streamId(), "no_stream", [newEvent({ type: "" })]),
          // A last position names the last event of a stream that has one, as a positive bigint.
          { ...request(streamId(), "no_stream", events(1)), expectedLastPosition: 1n },
          { ...request(streamId(), "any", events(1)), expectedLastPosition: 1n },
          { ...request(streamId(), 1, events(1)), expectedLastPosition: 0n },
          { ...request(streamId(), 1, events(1)), expectedLastPosition: 1 as unknown as bigint },
        ];
        for (const malformed of bad) {
          await expect(store.append(malformed)).rejects.toThrow();
          await expect(store.appendMany([good, malformed])).rejects.toThrow();
        }
        expect(await store.streamVersion(s)).toBe(0);
        // Most malformed requests name streams of their own: the whole log must be as it
        // was. A marker appended last shows the read reached past anything they could have
        // written (PostgreSQL's readAll holds back what follows a transaction still open).
        const marker = request(streamId(), "no_stream", events(1));
        await store.append(marker);
        const after = await drain(store, START_OF_LOG, { atLeast: before.events.length + 1 });
        expect(after.events.map((e) => e.eventId)).toEqual([...before.events, ...marker.events].map((e) => e.eventId));
      });
    });

    describe("appendMany (group commit)", () => {
      it("answers each request in its slot: successes, conflicts, retries and reused ids", async () => {
        const existing = streamId();
        const retried = streamId();
        const reused = streamId();
        await store.append(request(existing, "no_stream", events(2)));
        const retriedEvents = events(2);
        const original = await store.append(request(retried, "no_stream", retriedEvents));
        const reusedEvent = newEvent();
        await store.append(request(reused, "no_stream", [reusedEvent]));
        const conflicting = streamId();
        await store.append(request(conflicting, "no_stream", events(1)));

        const fresh = streamId();
        const freshEvents = events(3);
        const continued = events(2);
        const anyStream = streamId();
        const results = await store.appendMany([
          request(fresh, "no_stream", freshEvents),
          request(conflicting, 5, events(1)),
          request(retried, "no_stream", retriedEvents),
          request(existing, 2, continued),
          request(reused, 1, [{ ...reusedEvent, payload: new Uint8Array([7]) }]),
          request(anyStream, "any", events(1)),
          request(streamId(), 3, events(1)),
        ]);
        expect(results).toHaveLength(7);
        const [r0, r1, r2, r3, r4, r5, r6] = results;
        expect(r0).toMatchObject({ streamId: fresh, nextVersion: 3, duplicate: false });
        expect(r1).toBeInstanceOf(VersionConflictError);
        expect(r1).toMatchObject({ streamId: conflicting, expected: 5, actual: 1 });
        expect(r2).toEqual({ ...original, duplicate: true });
        expect(r3).toMatchObject({ streamId: existing, nextVersion: 4, duplicate: false });
        expect(r4).toBeInstanceOf(EventIdConflictError);
        expect(r4).toMatchObject({ streamId: reused, eventId: reusedEvent.eventId });
        expect(r5).toMatchObject({ streamId: anyStream, nextVersion: 1, duplicate: false });
        expect(r6).toBeInstanceOf(VersionConflictError);
        expect(r6).toMatchObject({ actual: 0, expected: 3 });

        expectStored(await store.readStream(fresh), fresh, freshEvents);
        expectStored(await store.readStream(existing, { afterVersion: 2 }), existing, continued, 3);
        expect(await store.streamVersion(conflicting)).toBe(1);
        expect(await store.streamVersion(retried)).toBe(2);
        expect(await store.streamVersion(reused)).toBe(1);
        const positions = (results.filter((r) => !(r instanceof Error)) as AppendResult[]).flatMap((r) => r.positions);
        expect(new Set(positions).size).toBe(positions.length);
        // The positions a result reports are where the events are.
        const read = await store.readStream(fresh);
        expect(read.map((e) => e.position)).toEqual((r0 as AppendResult).positions);
      });

      it("answers requests whose check passes but whose ids are stored, without failing the others", async () => {
        const retried = streamId();
        const reused = streamId();
        const retriedEvents = events(2);
        const original = await store.append(request(retried, "no_stream", retriedEvents));
        const reusedEvent = newEvent();
        await store.append(request(reused, "no_stream", [reusedEvent]));
        const fresh = streamId();
        const results = await store.appendMany([
          request(retried, "any", retriedEvents), // a retry with "any": the check passes
          request(fresh, "no_stream", events(1)),
          request(reused, 1, [{ ...reusedEvent, type: "SpanEnded" }]), // at the current version: the check passes
          request(retried, 2, events(1)), // after the retry, in the same batch
        ]);
        expect(results[0]).toEqual({ ...original, duplicate: true });
        expect(results[1]).toMatchObject({ streamId: fresh, nextVersion: 1, duplicate: false });
        expect(results[2]).toBeInstanceOf(EventIdConflictError);
        expect(results[2]).toMatchObject({ eventId: reusedEvent.eventId });
        expect(results[3]).toMatchObject({ streamId: retried, nextVersion: 3, duplicate: false });
        expect(await store.streamVersion(reused)).toBe(1);
        expect(await store.streamVersion(retried)).toBe(3);
      });

      it("applies requests for the same stream in order, as if appended one after the other", async () => {
        const s = streamId();
        const a = events(2);
        const b = events(1);
        const results = await store.appendMany([
          request(s, "no_stream", a),
          request(s, 2, b),
          request(s, 2, events(1)),
          request(s, "any", a),
          request(s, "any", events(1)),
        ]);
        expect(results[0]).toMatchObject({ nextVersion: 2, duplicate: false });
        expect(results[1]).toMatchObject({ nextVersion: 3, duplicate: false });
        expect(results[2]).toBeInstanceOf(VersionConflictError);
        expect(results[2]).toMatchObject({ actual: 3 });
        expect(results[3]).toEqual({ ...(results[0] as AppendResult), duplicate: true });
        expect(results[4]).toMatchObject({ nextVersion: 4, duplicate: false });
        const stored = await store.readStream(s);
        expect(stored.map((e) => e.version)).toEqual([1, 2, 3, 4]);
        // Later requests of the batch got later positions.
        const positions = stored.map((e) => e.position);
        expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
      });

      it("returns nothing for an empty batch", async () => {
        expect(await store.appendMany([])).toEqual([]);
      });

      it("appends to many streams at once", async () => {
        const requests = Array.from({ length: 300 }, () => request(streamId(), "no_stream", events(3)));
        const results = await store.appendMany(requests);
        expect(results.every((r) => !(r instanceof Error) && r.nextVersion === 3 && !r.duplicate)).toBe(true);
        for (const r of requests.slice(0, 10)) expectStored(await store.readStream(r.streamId), r.streamId, [...r.events]);
        const again = await store.appendMany(requests);
        expect(again.every((r) => !(r instanceof Error) && r.duplicate)).toBe(true);
        expect(again).toEqual(results.map((r) => ({ ...(r as AppendResult), duplicate: true })));
      });
    });

    describe("readStream", () => {
      it("reads ranges: after a version, up to a version, at most a number", async () => {
        const s = streamId();
        const evs = events(10);
        await store.append(request(s, "no_stream", evs));
        const versions = async (options: Parameters<EventStore["readStream"]>[1]) =>
          (await store.readStream(s, options)).map((e) => e.version);
        expect(await versions({})).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await versions({ afterVersion: 7 })).toEqual([8, 9, 10]);
        expect(await versions({ toVersion: 3 })).toEqual([1, 2, 3]);
        expect(await versions({ afterVersion: 2, toVersion: 5 })).toEqual([3, 4, 5]);
        expect(await versions({ afterVersion: 2, limit: 2 })).toEqual([3, 4]);
        expect(await versions({ limit: 0 })).toEqual([]);
        expect(await versions({ afterVersion: 10 })).toEqual([]);
        expect(await versions({ afterVersion: 5, toVersion: 5 })).toEqual([]);
        expect(await versions({ toVersion: 0 })).toEqual([]);
        expectStored(await store.readStream(s, { afterVersion: 4, toVersion: 6 }), s, evs.slice(4, 6), 5);
      });

      it("travels in time: the events recorded at or before a moment", async () => {
        const s = streamId();
        const t1 = clock.advance(1_000n);
        await store.append(request(s, "no_stream", events(2)));
        const t2 = clock.advance(1_000n);
        await store.append(request(s, 2, events(1)));
        const t3 = clock.advance(1_000n);
        await store.append(request(s, 3, events(2)));
        const asOf = async (t: bigint, options: Parameters<EventStore["readStream"]>[1] = {}) =>
          (await store.readStream(s, { ...options, recordedAtOrBefore: t })).map((e) => e.version);
        expect(await asOf(t1 - 1n)).toEqual([]);
        expect(await asOf(t1)).toEqual([1, 2]);
        expect(await asOf(t2 - 1n)).toEqual([1, 2]);
        expect(await asOf(t2)).toEqual([1, 2, 3]);
        expect(await asOf(t3)).toEqual([1, 2, 3, 4, 5]);
        expect(await asOf(t3, { afterVersion: 1, toVersion: 4 })).toEqual([2, 3, 4]);
        expect(await asOf(t2, { limit: 1 })).toEqual([1]);
        expect((await store.readStream(s)).map((e) => e.recordedAt)).toEqual([t1, t1, t2, t3, t3]);
      });

      it("never records an event earlier than the one before it in its stream", async () => {
        const s = streamId();
        const later = clock.advance(5_000n);
        await store.append(request(s, "no_stream", events(1)));
        clock.now = later - 3_000n; // the clock steps back
        await store.append(request(s, 1, events(1)));
        const other = streamId();
        await store.append(request(other, "no_stream", events(1)));
        expect((await store.readStream(s)).map((e) => e.recordedAt)).toEqual([later, later]);
        expect((await store.readStream(other))[0]!.recordedAt).toBe(later - 3_000n);
      });

      it("stops at a byte budget, with the event that reaches it and always the first", async () => {
        const s = streamId();
        const sized = [10, 20, 30, 40, 50].map((n) => newEvent({ payload: new Uint8Array(n).fill(n) }));
        await store.append(request(s, "no_stream", sized));
        const versions = async (options: Parameters<EventStore["readStream"]>[1]) =>
          (await store.readStream(s, options)).map((e) => e.version);
        expect(await versions({ maxBytes: 30 })).toEqual([1, 2]);
        expect(await versions({ maxBytes: 31 })).toEqual([1, 2, 3]);
        expect(await versions({ maxBytes: 1 })).toEqual([1]);
        expect(await versions({ afterVersion: 2, maxBytes: 60 })).toEqual([3, 4]);
        expect(await versions({ maxBytes: 1_000 })).toEqual([1, 2, 3, 4, 5]);
        expect(await versions({ maxBytes: 1_000, limit: 2 })).toEqual([1, 2]);
        expectStored(await store.readStream(s, { afterVersion: 1, maxBytes: 25 }), s, sized.slice(1, 3), 2);
        await expect(store.readStream(s, { maxBytes: 0 })).rejects.toThrow();
      });

      it("rejects malformed options", async () => {
        await expect(store.readStream("xyz")).rejects.toThrow();
        await expect(store.readStream(streamId(), { afterVersion: -1 })).rejects.toThrow();
        await expect(store.readStream(streamId(), { limit: -1 })).rejects.toThrow();
      });
    });

    describe("readAll", () => {
      it("reads every event in append order, in pages, and resumes from a checkpoint", async () => {
        const start = START_OF_LOG; // the store is empty
        const a = streamId();
        const b = streamId();
        const appended: Array<[string, NewEvent]> = [];
        const add = async (s: string, expected: ExpectedVersion, evs: NewEvent[]) => {
          await store.append(request(s, expected, evs));
          for (const e of evs) appended.push([s, e]);
        };
        await add(a, "no_stream", events(3));
        await add(b, "no_stream", events(2));
        await add(a, 3, events(1));
        // A group commit positions its events by stream id, whatever the batch's order.
        const [low, high] = [streamId(), streamId()].sort();
        const results = await store.appendMany([request(high!, "no_stream", events(2)), request(b, 2, events(2)), request(low!, "no_stream", events(2))]);
        for (const r of results as AppendResult[]) expect(r.duplicate).toBe(false);
        for (const s of [b, low!, high!].sort()) {
          for (const e of await store.readStream(s, { afterVersion: s === b ? 2 : 0 })) appended.push([s, e]);
        }

        const whole = await drain(store, start, { atLeast: appended.length });
        expect(whole.events).toHaveLength(appended.length);
        expect(whole.events.map((e) => e.eventId)).toEqual(appended.map(([, e]) => e.eventId));
        expect(whole.events.map((e) => e.streamId)).toEqual(appended.map(([s]) => s));
        const positions = whole.events.map((e) => e.position);
        expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);

        // Pages of 3 give the same sequence.
        const paged = await drain(store, start, { pageSize: 3, atLeast: appended.length });
        expect(paged.events.map((e) => e.eventId)).toEqual(whole.events.map((e) => e.eventId));
        expect(paged.checkpoint).toEqual(whole.checkpoint);

        // Nothing after the end: the checkpoint stays.
        const empty = await store.readAll(whole.checkpoint, 10);
        expect(empty.events).toEqual([]);
        expect(empty.checkpoint).toEqual(whole.checkpoint);

        // Resuming mid-way.
        const firstTwo = await store.readAll(start, 2);
        const rest = await drain(store, firstTwo.checkpoint, { atLeast: appended.length - firstTwo.events.length });
        expect([...firstTwo.events, ...rest.events].map((e) => e.eventId)).toEqual(whole.events.map((e) => e.eventId));

        // Read events carry everything.
        const fromLog = whole.events.filter((e) => e.streamId === a);
        expect(fromLog).toEqual(await store.readStream(a));
      });

      it("gives each stream's events in version order", async () => {
        const streams = Array.from({ length: 5 }, () => streamId());
        for (let round = 0; round < 4; round++) {
          await store.appendMany(streams.map((s) => request(s, round * 2, events(2))));
        }
        const read = await drain(store, START_OF_LOG, { atLeast: 40 });
        for (const s of streams) {
          expect(read.events.filter((e) => e.streamId === s).map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        }
      });

      it("rejects a non-positive limit", async () => {
        await expect(store.readAll(START_OF_LOG, 0)).rejects.toThrow();
      });
    });

    describe("checkpoints", () => {
      it("starts at the start of the log", async () => {
        expect(await store.loadCheckpoint("projection-a")).toEqual(START_OF_LOG);
        expect(await store.loadCheckpoint("projection-a", 3)).toEqual(START_OF_LOG);
      });

      it("compares and sets, per subscriber and shard", async () => {
        const one: GlobalCheckpoint = { transactionId: 5n, position: 10n };
        const two: GlobalCheckpoint = { transactionId: 7n, position: 3n };
        expect(await store.saveCheckpoint("sub", START_OF_LOG, one)).toBe(true);
        expect(await store.loadCheckpoint("sub")).toEqual(one);
        expect(await store.loadCheckpoint("sub", 0)).toEqual(one);
        // A stale expectation loses.
        expect(await store.saveCheckpoint("sub", START_OF_LOG, two)).toBe(false);
        expect(await store.saveCheckpoint("sub", { transactionId: 5n, position: 11n }, two)).toBe(false);
        expect(await store.loadCheckpoint("sub")).toEqual(one);
        expect(await store.saveCheckpoint("sub", one, two)).toBe(true);
        expect(await store.loadCheckpoint("sub")).toEqual(two);
        // Other shards and subscribers are apart.
        expect(await store.loadCheckpoint("sub", 1)).toEqual(START_OF_LOG);
        expect(await store.saveCheckpoint("sub", one, two, 1)).toBe(false);
        expect(await store.saveCheckpoint("sub", START_OF_LOG, one, 1)).toBe(true);
        expect(await store.loadCheckpoint("sub", 1)).toEqual(one);
        expect(await store.loadCheckpoint("other")).toEqual(START_OF_LOG);
        // Back to the start (a rebuild) is allowed, and a stored start is expected as such.
        expect(await store.saveCheckpoint("sub", two, START_OF_LOG)).toBe(true);
        expect(await store.loadCheckpoint("sub")).toEqual(START_OF_LOG);
        expect(await store.saveCheckpoint("sub", START_OF_LOG, one)).toBe(true);
        expect(await store.loadCheckpoint("sub")).toEqual(one);
      });

      it("keeps big values whole", async () => {
        const big: GlobalCheckpoint = { transactionId: 2n ** 62n + 7n, position: 2n ** 62n + 9n };
        expect(await store.saveCheckpoint("big", START_OF_LOG, big)).toBe(true);
        expect(await store.loadCheckpoint("big")).toEqual(big);
      });

      it("lets exactly one of two racing writers win", async () => {
        const racing = await Promise.all([
          store.saveCheckpoint("race", START_OF_LOG, { transactionId: 1n, position: 1n }),
          store.saveCheckpoint("race", START_OF_LOG, { transactionId: 2n, position: 2n }),
        ]);
        expect(racing.filter(Boolean)).toHaveLength(1);
      });
    });

    it("refuses calls after close", async () => {
      await store.close();
      await expect(store.append(request(streamId(), "no_stream", events(1)))).rejects.toThrow(/closed/);
      await expect(store.readAll(START_OF_LOG, 1)).rejects.toThrow(/closed/);
    });
  });
}
