import { describe, expect, it } from "vitest";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { VersionConflictError, type AppendRequest, type EventStore } from "../event-store/event-store.js";
import { DEFAULT_SPAN_LIMITS } from "../domain/trace/span-limits.js";
import { TRACE } from "../domain/testing/trace-specification.js";
import { CHILD, GRANDCHILD, ROOT, endSpan, finishedSpan, recordError, recordFinished, startSpan } from "../domain/testing/trace-fixtures.js";
import { TraceCommandBus, type TraceCommandBusOptions } from "./trace-command-bus.js";

const clock = () => 1_764_000_000_000_000_000n;

function bus(store: EventStore, options: Partial<TraceCommandBusOptions> = {}) {
  let n = 0;
  return new TraceCommandBus({ store, clock, newId: () => `id-${++n}`, limits: DEFAULT_SPAN_LIMITS, ...options });
}

/** The in-memory store, counting group commits. */
function countingStore() {
  const store = new InMemoryEventStore({ clock });
  const batches: number[] = [];
  const appendMany = store.appendMany.bind(store);
  store.appendMany = (requests: readonly AppendRequest[]) => {
    batches.push(requests.length);
    return appendMany(requests);
  };
  return { store, batches };
}

describe("TraceCommandBus", () => {
  it("answers after the events are stored", async () => {
    const store = new InMemoryEventStore({ clock });
    const result = await bus(store).submit(startSpan(ROOT));
    expect(result).toMatchObject({ ok: true, traceId: TRACE, outcome: { type: "SpanStarted", version: 2, traceStarted: true } });
    expect((await store.readStream(TRACE)).map((e) => e.type)).toEqual(["TraceStarted", "SpanStarted"]);
  });

  it("writes commands of one tick for many traces in one group commit", async () => {
    const { store, batches } = countingStore();
    const traces = Array.from({ length: 200 }, (_, i) => (i + 1).toString(16).padStart(32, "0"));
    const results = await Promise.all(traces.map((traceId) => bus(store).submit(startSpan(ROOT, { traceId }))));
    expect(results.every((r) => r.ok)).toBe(true);
    // Separate buses here: each coalesces its own tick. One bus for all:
    const shared = bus(store);
    batches.length = 0;
    const more = traces.map((_, i) => (i + 1001).toString(16).padStart(32, "0"));
    await Promise.all(more.map((traceId) => shared.submit(startSpan(ROOT, { traceId }))));
    expect(batches).toEqual([200]);
  });

  it("applies commands for one trace in order within a batch", async () => {
    const store = new InMemoryEventStore({ clock });
    const results = await bus(store).submitAll([
      startSpan(ROOT),
      startSpan(CHILD, { parentSpanId: ROOT }),
      recordError(CHILD),
      endSpan(CHILD),
      endSpan(ROOT),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    expect(results[4]).toMatchObject({ outcome: { type: "SpanEnded", traceCompleted: true, version: 7 } });
    expect((await store.readStream(TRACE)).map((e) => e.type)).toEqual([
      "TraceStarted",
      "SpanStarted",
      "SpanStarted",
      "SpanErrorOccurred",
      "SpanEnded",
      "SpanEnded",
      "TraceCompleted",
    ]);
  });

  it("answers a retried command with the original outcome and stores nothing new", async () => {
    const store = new InMemoryEventStore({ clock });
    const b = bus(store);
    const first = await b.submit(startSpan(ROOT));
    const retry = await b.submit(startSpan(ROOT));
    const fresh = await bus(store).submit(startSpan(ROOT)); // another process, cold cache
    expect(retry).toEqual(first);
    expect(fresh).toEqual(first);
    expect(await store.streamVersion(TRACE)).toBe(2);
  });

  it("rejects a command that breaks a rule and writes nothing", async () => {
    const store = new InMemoryEventStore({ clock });
    const b = bus(store);
    await b.submit(startSpan(ROOT));
    const result = await b.submit(startSpan(GRANDCHILD, { parentSpanId: CHILD }));
    expect(result).toMatchObject({ ok: false, error: { reason: "PARENT_SPAN_NOT_FOUND", kind: "failed_precondition" } });
    expect(await store.streamVersion(TRACE)).toBe(2);
  });

  it("a trace assumed new (not read) that exists all along: a rejection decided on the empty guess is checked, not answered", async () => {
    const store = new InMemoryEventStore({ clock });
    await bus(store).submit(startSpan(ROOT));
    // Another process, cold: a root start makes it guess the trace is new. The start is refused
    // (no name); the commands after it must be decided on the trace as stored, not on the guess.
    const results = await bus(store).submitAll([startSpan(CHILD, { name: "" }), recordError(ROOT), endSpan(ROOT)]);
    expect(results.map((r) => (r.ok ? "ok" : r.error.reason))).toEqual(["INVALID_SPAN_NAME", "ok", "ok"]);
    expect((await store.readStream(TRACE)).map((e) => e.type)).toEqual(["TraceStarted", "SpanStarted", "SpanErrorOccurred", "SpanEnded", "TraceCompleted"]);
  });

  it("re-decides on a version conflict, so a stale cache never completes a trace wrongly", async () => {
    const store = new InMemoryEventStore({ clock });
    const a = bus(store);
    const b = bus(store);
    await a.submit(startSpan(ROOT));
    await b.submit(startSpan(CHILD, { parentSpanId: ROOT })); // a's cache does not know
    const ended = await a.submit(endSpan(ROOT));
    expect(ended).toMatchObject({ ok: true, outcome: { traceCompleted: false, version: 4 } });
    expect((await store.readStream(TRACE)).map((e) => e.type)).toEqual(["TraceStarted", "SpanStarted", "SpanStarted", "SpanEnded"]);
  });

  it("answers ABORTED when conflicts never stop", async () => {
    const store = new InMemoryEventStore({ clock });
    await bus(store).submit(startSpan(ROOT));
    store.appendMany = async (requests) => requests.map((r) => new VersionConflictError(r.streamId, r.expectedVersion, 99));
    const result = await bus(store, { maxConflictRetries: 2 }).submit(endSpan(ROOT));
    expect(result).toMatchObject({ ok: false, error: { kind: "aborted", reason: "CONCURRENT_MODIFICATION" } });
  });

  it("answers UNAVAILABLE when the store fails, and forgets what it had decided", async () => {
    const store = new InMemoryEventStore({ clock });
    const b = bus(store);
    const appendMany = store.appendMany.bind(store);
    store.appendMany = async () => {
      throw new Error("connection refused");
    };
    const failed = await b.submit(startSpan(ROOT));
    expect(failed).toMatchObject({ ok: false, error: { kind: "unavailable", reason: "STORE_UNAVAILABLE" } });
    store.appendMany = appendMany;
    expect(await b.submit(startSpan(ROOT))).toMatchObject({ ok: true, outcome: { version: 2, traceStarted: true } });
  });

  it("answers UNAVAILABLE when the store leaves a batch unanswered past the deadline, tells its owner, and writes again", async () => {
    const store = new InMemoryEventStore({ clock });
    await bus(store).submit(startSpan(ROOT));
    let missed = 0;
    const b = bus(store, { storeDeadlineMs: 50, onStoreDeadline: () => missed++ });
    // A read (the cold bus loads TRACE for a child) and an append that never answer, as on a lost connection.
    const readStream = store.readStream.bind(store);
    const appendMany = store.appendMany.bind(store);
    store.readStream = () => new Promise(() => {});
    const loading = await b.submit(startSpan(CHILD, { parentSpanId: ROOT }));
    store.readStream = readStream;
    store.appendMany = () => new Promise(() => {});
    const other = "0af7651916cd43dd8448eb211c80319c";
    const appending = await b.submit(startSpan(ROOT, { traceId: other }));
    for (const result of [loading, appending]) {
      expect(result).toMatchObject({ ok: false, error: { kind: "unavailable", reason: "STORE_UNAVAILABLE", message: expect.stringContaining("may have been stored: retry"), metadata: { deadline_ms: "50" } } });
    }
    expect(missed).toBe(2);
    // The slots and the traces are free again: the retries go through.
    store.appendMany = appendMany;
    expect(await b.submit(startSpan(CHILD, { parentSpanId: ROOT }))).toMatchObject({ ok: true });
    expect(await b.submit(startSpan(ROOT, { traceId: other }))).toMatchObject({ ok: true });
  });

  it("fails only the trace whose command makes deciding throw, as INTERNAL_ERROR; the other traces of the batch commit", async () => {
    const store = new InMemoryEventStore({ clock });
    const b = bus(store);
    const poison = { $typeName: "traceledger.v1.KeyValue", key: "k", get value(): never { throw new Error("unreadable value"); } } as never;
    const other = "0af7651916cd43dd8448eb211c80319c";
    const results = await b.submitAll([startSpan(ROOT), startSpan(ROOT, { traceId: other, attributes: [poison] }), startSpan(CHILD, { parentSpanId: ROOT })]);
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, error: { kind: "internal", reason: "INTERNAL_ERROR", message: expect.stringContaining("unreadable value") } });
    expect(results[2]).toMatchObject({ ok: true });
    expect((await store.readStream(TRACE)).length).toBe(3);
    expect(await store.readStream(other)).toEqual([]);
  });

  it("keeps the answers of commands already committed when a later step of their batch fails, and answers each command once", async () => {
    const store = new InMemoryEventStore({ clock });
    await bus(store).submit(startSpan(ROOT));
    const b = bus(store);
    // A root start makes the cold bus guess TRACE is new; the refusal decided on that guess
    // needs a read of the stream after the group commit: make that read fail.
    store.streamHead = async () => {
      throw new Error("connection reset");
    };
    const other = "0af7651916cd43dd8448eb211c80319c";
    const results = await b.submitAll([startSpan(ROOT, { traceId: other }), startSpan(CHILD, { name: "" }), endSpan(GRANDCHILD)]);
    expect(results.map((r) => (r.ok ? "ok" : r.error.reason))).toEqual(["ok", "STORE_UNAVAILABLE", "STORE_UNAVAILABLE"]);
    expect(results[0]).toMatchObject({ ok: true, outcome: { traceStarted: true } });
    expect((await store.readStream(other)).length).toBe(2);
  });

  it("drains queued commands on close and refuses new ones", async () => {
    const store = new InMemoryEventStore({ clock });
    const b = bus(store);
    const pending = b.submit(startSpan(ROOT));
    await b.close();
    expect(await pending).toMatchObject({ ok: true });
    expect(await b.submit(startSpan(CHILD, { parentSpanId: ROOT }))).toMatchObject({ ok: false, error: { reason: "SHUTTING_DOWN" } });
  });

  it("records finished spans of a new trace without reading it, and recognises a re-report from a cold cache", async () => {
    const store = new InMemoryEventStore({ clock });
    let reads = 0;
    const readStream = store.readStream.bind(store);
    store.readStream = (...args) => {
      reads++;
      return readStream(...args);
    };
    const first = await bus(store).submit(recordFinished(finishedSpan(CHILD, { parentSpanId: ROOT }), finishedSpan(ROOT)));
    expect(first).toMatchObject({ ok: true, outcome: { type: "FinishedSpansRecorded", recorded: 2, version: 6, traceCompleted: true } });
    expect(reads).toBe(0);
    // Another process, cold cache: it assumes a new trace, conflicts, reloads and finds both spans.
    const again = await bus(store).submit(recordFinished(finishedSpan(ROOT), finishedSpan(CHILD, { parentSpanId: ROOT })));
    expect(again).toMatchObject({ ok: true, outcome: { recorded: 0, duplicates: 2 } });
    expect(await store.streamVersion(TRACE)).toBe(6);
  });

  it("stores a late finished span of a completed trace and its restated completion", async () => {
    const store = new InMemoryEventStore({ clock });
    const b = bus(store);
    await b.submitAll([startSpan(ROOT), endSpan(ROOT)]);
    const late = await b.submit(recordFinished(finishedSpan(CHILD, { parentSpanId: ROOT })));
    expect(late).toMatchObject({ ok: true, outcome: { recorded: 1, traceCompleted: true, version: 7 } });
    const stored = await store.readStream(TRACE);
    expect(stored.map((e) => e.type)).toEqual(["TraceStarted", "SpanStarted", "SpanEnded", "TraceCompleted", "SpanStarted", "SpanEnded", "TraceCompleted"]);
    expect(new Set(stored.map((e) => e.eventId)).size).toBe(7);
  });

  it("answers a retried end of a completed trace it no longer holds from the store, as the first time", async () => {
    const store = new InMemoryEventStore({ clock });
    let reads = 0;
    const readStream = store.readStream.bind(store);
    store.readStream = (...args: Parameters<typeof readStream>) => (reads++, readStream(...args));
    const b = bus(store, { completedCacheSize: 0 });
    const [, first] = await b.submitAll([startSpan(ROOT), endSpan(ROOT)]);
    expect(first).toMatchObject({ ok: true, outcome: { type: "SpanEnded", traceCompleted: true, version: 4 } });
    expect(reads).toBe(0);
    const again = await b.submit(endSpan(ROOT));
    expect(again).toEqual(first);
    expect(reads).toBe(1);
    expect(await store.streamVersion(TRACE)).toBe(4);
  });

  it("keeps the cached trace's last position current: commands one at a time through one bus never conflict nor re-read", async () => {
    // The cache's last position is what the next append expects: were it the first event of a
    // commit (a root start writes two) or an older commit's, each append would conflict and reload.
    const store = new InMemoryEventStore({ clock });
    let conflicts = 0;
    let reads = 0;
    const appendMany = store.appendMany.bind(store);
    store.appendMany = async (requests: readonly AppendRequest[]) => {
      const results = await appendMany(requests);
      conflicts += results.filter((r) => r instanceof VersionConflictError).length;
      return results;
    };
    const readStream = store.readStream.bind(store);
    store.readStream = (...args: Parameters<typeof readStream>) => (reads++, readStream(...args));
    const b = bus(store);
    for (const command of [startSpan(ROOT), startSpan(CHILD, { parentSpanId: ROOT }), startSpan(GRANDCHILD, { parentSpanId: CHILD }), endSpan(GRANDCHILD), endSpan(CHILD)]) {
      expect(await b.submit(command)).toMatchObject({ ok: true });
    }
    expect(await store.streamVersion(TRACE)).toBe(6);
    expect({ conflicts, reads }).toEqual({ conflicts: 0, reads: 0 });
  });

  it("tells listeners what became durable, in stream order", async () => {
    const store = new InMemoryEventStore({ clock });
    const seen: string[] = [];
    const b = bus(store, { onAppended: (traceId, events) => seen.push(...events.map((e) => `${traceId.slice(0, 4)}:${e.version}:${e.event.type}`)) });
    await b.submitAll([startSpan(ROOT), endSpan(ROOT)]);
    expect(seen).toEqual(["4bf9:1:TraceStarted", "4bf9:2:SpanStarted", "4bf9:3:SpanEnded", "4bf9:4:TraceCompleted"]);
  });
});
