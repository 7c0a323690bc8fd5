// The batching sink with a scripted transport: when batches leave, what is
// retried (and with what), what is counted, and that the application never sees
// a failure.

import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import { afterEach, describe, expect, it } from "vitest";
import type { SpanCommand } from "../commands/span-command.js";
import type { CommandFailure } from "../wire/batch-results.js";
import { BatchingSink, DEFAULT_BATCHING, type BatchingOptions } from "./batching-sink.js";
import type { CommandTransport } from "./command-transport.js";

type Answer = Array<CommandFailure | undefined> | Error | ((commands: SpanCommand[]) => Array<CommandFailure | undefined>);

class ScriptedTransport implements CommandTransport {
  readonly calls: SpanCommand[][] = [];
  closed = false;
  constructor(private readonly answers: Answer[] = []) {}
  prepare(commands: readonly SpanCommand[]) {
    const batch = [...commands];
    for (const c of batch) if (c.type === "startSpan") c.sealed = true;
    return {
      count: batch.length,
      send: async () => {
        this.calls.push(batch);
        const answer = this.answers.shift() ?? ((cs: SpanCommand[]) => cs.map(() => undefined));
        if (answer instanceof Error) throw answer;
        return typeof answer === "function" ? answer(batch) : answer;
      },
    };
  }
  close() {
    this.closed = true;
  }
}

const warnings: string[] = [];
const sinks: BatchingSink[] = [];

function sinkWith(transport: CommandTransport, options: Partial<BatchingOptions> = {}): BatchingSink {
  const sink = new BatchingSink(transport, {
    ...DEFAULT_BATCHING,
    flushIntervalMs: 5,
    initialBackoffMs: 1,
    maxBackoffMs: 4,
    warn: (m) => warnings.push(m),
    ...options,
  });
  sinks.push(sink);
  return sink;
}

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.shutdown(100)));
  warnings.length = 0;
});

let seq = 0;
function end(traceId = "t".repeat(32), spanId = String(++seq).padStart(16, "0")): SpanCommand {
  return { type: "endSpan", traceId, spanId, endTimeUnixNano: 1n, statusCode: 0, statusMessage: "", endReason: 0 };
}

function start(options: { parentIsRemote?: boolean; traceId?: string; parent?: SpanCommand } = {}): SpanCommand & { type: "startSpan" } {
  return {
    type: "startSpan",
    traceId: options.parent?.traceId ?? options.traceId ?? "t".repeat(32),
    spanId: String(++seq).padStart(16, "0"),
    parentSpanId: options.parent?.spanId ?? (options.parentIsRemote ? "p".repeat(16) : ""),
    parentIsRemote: options.parentIsRemote ?? false,
    tracestate: "",
    name: "work",
    kind: 1,
    serviceName: "svc",
    startTimeUnixNano: 1n,
    attributes: undefined,
    scopeName: "test",
    sealed: false,
  };
}

function event(of: SpanCommand): SpanCommand {
  return { type: "addSpanEvent", traceId: of.traceId, spanId: of.spanId, eventId: String(++seq), timeUnixNano: 1n, name: "tick" };
}

function endOf(of: SpanCommand): SpanCommand {
  return end(of.traceId, of.spanId);
}

const unavailable = () => new ConnectError("connection refused", Code.Unavailable);

/** A server taking at most `limit` commands per call, refusing more as the traceledger server does; `says` puts the limit in the ErrorInfo. */
function takesAtMost(limit: number, says = true): (commands: SpanCommand[]) => Array<CommandFailure | undefined> {
  return (commands) => {
    if (commands.length <= limit) return commands.map(() => undefined);
    throw new ConnectError(`a batch may carry at most ${limit} commands, got ${commands.length}`, Code.InvalidArgument, undefined, [
      { desc: ErrorInfoSchema, value: { reason: "BATCH_TOO_LARGE", domain: "traceledger.dev", metadata: says ? { max_commands: String(limit), commands: String(commands.length) } : {} } },
    ]);
  };
}

/** `server` behind a gate: the main sender's calls, or the calls made alongside it, wait for release(). */
function gated(server: ScriptedTransport, held: "main" | "alongside"): { transport: CommandTransport; release: () => void } {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const transport: CommandTransport = {
    prepare: (commands, alongside = false) => {
      const prepared = server.prepare(commands);
      const waits = alongside === (held === "alongside");
      return { count: prepared.count, send: () => (waits ? gate.then(() => prepared.send()) : prepared.send()) };
    },
    close: () => {},
  };
  return { transport, release };
}

describe("BatchingSink", () => {
  it("ships at the interval, in order, and counts what was acknowledged", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport);
    const commands = [end(), end(), end()];
    for (const c of commands) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls).toEqual([commands]);
    expect(sink.stats()).toMatchObject({ sent: 3, queued: 0, dropped: 0, failed: 0, retried: 0, rpcs: 1 });
  });

  it("ships a full batch at once, without waiting for the interval", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { maxBatchSize: 2, flushIntervalMs: 600_000 });
    sink.submit(end());
    sink.submit(end());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(transport.calls).toHaveLength(1);
  });

  it("retries a call that failed with UNAVAILABLE, sending the same commands again", async () => {
    const transport = new ScriptedTransport([unavailable(), new ConnectError("slow", Code.DeadlineExceeded), new ConnectError("busy", Code.ResourceExhausted)]);
    const sink = sinkWith(transport);
    sink.submit(end());
    sink.submit(end());
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(4);
    expect(transport.calls[3]).toEqual(transport.calls[0]);
    expect(sink.stats()).toMatchObject({ sent: 2, retried: 6, failed: 0, rpcs: 4 });
  });

  it("does not retry a call that failed for a reason a retry cannot fix", async () => {
    const transport = new ScriptedTransport([new ConnectError("who are you", Code.Unauthenticated)]);
    const sink = sinkWith(transport);
    sink.submit(end());
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ sent: 0, failed: 1, retried: 0 });
    expect(warnings.some((w) => w.includes("who are you"))).toBe(true);
  });

  it("gives up on load shedding after maxAttempts and counts the batch as failed", async () => {
    const transport = new ScriptedTransport(Array.from({ length: 4 }, () => new ConnectError("busy", Code.ResourceExhausted)));
    const sink = sinkWith(transport, { maxAttempts: 3 });
    sink.submit(end());
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(3);
    expect(sink.stats()).toMatchObject({ failed: 1, retried: 2 });
  });

  it("retries a server that lets every deadline pass past maxAttempts, until it answers", async () => {
    const transport = new ScriptedTransport(Array.from({ length: 8 }, () => new ConnectError("the operation timed out", Code.DeadlineExceeded)));
    const sink = sinkWith(transport, { maxAttempts: 3 });
    const commands = [end(), end()];
    for (const c of commands) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(9);
    expect(transport.calls[8]).toEqual(commands);
    expect(sink.stats()).toMatchObject({ sent: 2, failed: 0, dropped: 0 });
    expect(warnings.filter((w) => w.includes("retrying until it is back"))).toHaveLength(1);
  });

  it("retries a server that is down past maxAttempts, until it is back", async () => {
    // connect reports a reset connection as ABORTED; the cause says what happened.
    const reset = new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    const transport = new ScriptedTransport([...Array.from({ length: 20 }, unavailable), reset, reset]);
    const sink = sinkWith(transport, { maxAttempts: 3 });
    const commands = [end(), end()];
    for (const c of commands) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(23);
    expect(transport.calls[22]).toEqual(commands);
    expect(sink.stats()).toMatchObject({ sent: 2, failed: 0, dropped: 0, retried: 44 });
    expect(warnings.filter((w) => w.includes("retrying until it is back"))).toHaveLength(1);
  });

  it("keeps the batch in flight during an outage and drops only new commands once the queue is full", async () => {
    let down = true;
    const server = new ScriptedTransport();
    const transport: CommandTransport = {
      prepare: (commands) => {
        const prepared = server.prepare(commands);
        return { count: prepared.count, send: () => (down ? Promise.reject(unavailable()) : prepared.send()) };
      },
      close: () => {},
    };
    const sink = sinkWith(transport, { maxQueueSize: 4, maxBatchSize: 2, maxAttempts: 2 });
    const inFlight = [start(), start()];
    for (const c of inFlight) sink.submit(c);
    await new Promise((resolve) => setTimeout(resolve, 50)); // well past two attempts
    expect(sink.stats()).toMatchObject({ inFlight: 2, failed: 0 });
    const queued = [start(), start(), start(), start()];
    for (const c of [...queued, start(), start()]) sink.submit(c);
    expect(sink.stats()).toMatchObject({ inFlight: 2, queued: 4, dropped: 2 });
    down = false;
    await sink.forceFlush();
    expect(sink.stats()).toMatchObject({ sent: 6, dropped: 2, failed: 0, queued: 0 });
  });

  it("does not resend a request the server refused as too large, and keeps retrying other RESOURCE_EXHAUSTED", async () => {
    const tooLarge = new ConnectError("Received message larger than max (5000000 vs. 4194304)", Code.ResourceExhausted);
    const transport = new ScriptedTransport([tooLarge, new ConnectError("busy", Code.ResourceExhausted)]);
    const sink = sinkWith(transport);
    sink.submit(end());
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ sent: 0, failed: 1, retried: 0 });
    expect(warnings.some((w) => w.includes("larger than max"))).toBe(true);
    sink.submit(end());
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(3);
    expect(sink.stats()).toMatchObject({ sent: 1, failed: 1, retried: 1 });
  });

  it("sends again, in batches of the server's size, a batch the server refused as carrying more commands than it takes", async () => {
    const transport = new ScriptedTransport(Array.from({ length: 20 }, () => takesAtMost(2)));
    const sink = sinkWith(transport, { maxBatchSize: 5, flushIntervalMs: 600_000 });
    const commands = [start(), end(), end(), end(), end()];
    for (const c of commands) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls.map((c) => c.length)).toEqual([5, 2, 2, 1]);
    expect(transport.calls.slice(1).flat()).toEqual(commands);
    expect(sink.stats()).toMatchObject({ sent: 5, failed: 0, dropped: 0, retried: 5, queued: 0 });
    expect(warnings.filter((w) => w.includes("at most 2 commands"))).toHaveLength(1);
    // From then on a batch is full, and ships, at the server's size.
    for (let i = 0; i < 2; i++) sink.submit(end());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(transport.calls.map((c) => c.length)).toEqual([5, 2, 2, 1, 2]);
    expect(sink.stats()).toMatchObject({ sent: 7, failed: 0 });
  });

  it("tries full batches again after batchSizeRecheckMs, and does not warn again of the same limit met again", async () => {
    const transport = new ScriptedTransport(Array.from({ length: 20 }, () => takesAtMost(2)));
    // No rate limit on warnings: only the sink's own judgement keeps the second one out.
    const sink = sinkWith(transport, { maxBatchSize: 4, flushIntervalMs: 600_000, batchSizeRecheckMs: 20, warningIntervalMs: 0 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) sink.submit(end());
      await sink.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(transport.calls.map((c) => c.length)).toEqual([4, 2, 2, 4, 2, 2, 4, 2, 2]);
    expect(sink.stats()).toMatchObject({ sent: 12, failed: 0, dropped: 0 });
    expect(warnings.filter((w) => w.includes("at most 2 commands"))).toHaveLength(1);
  });

  it("halves its batches while the server refuses them as too many commands without saying its limit", async () => {
    const transport = new ScriptedTransport(Array.from({ length: 20 }, () => takesAtMost(3, false)));
    const sink = sinkWith(transport, { maxBatchSize: 8, flushIntervalMs: 600_000 });
    for (let i = 0; i < 8; i++) sink.submit(end());
    await sink.forceFlush();
    expect(transport.calls.map((c) => c.length)).toEqual([8, 4, 2, 2, 2, 2]);
    expect(sink.stats()).toMatchObject({ sent: 8, failed: 0 });
  });

  it("drops a command the transport cannot send at all, and sends the rest", async () => {
    const server = new ScriptedTransport();
    const big = end();
    // As the IngestBatch transport does: a batch stops before the big command, which then comes first, alone.
    const transport: CommandTransport = {
      prepare: (commands) => {
        const at = commands.indexOf(big);
        if (at === 0) return { count: 1, unsendable: "it is too large", send: () => Promise.reject(new Error("never sent")) };
        return server.prepare(at < 0 ? commands : commands.slice(0, at));
      },
      close: () => {},
    };
    const sink = sinkWith(transport);
    const before = end();
    const after = end();
    sink.submit(before);
    sink.submit(big);
    sink.submit(after);
    await sink.forceFlush();
    expect(sink.stats()).toMatchObject({ sent: 2, dropped: 1, failed: 0, queued: 0 });
    expect(server.calls).toEqual([[before], [after]]);
    expect(warnings.some((w) => w.includes("dropped 1 span command(s): it is too large"))).toBe(true);
  });

  it("counts rejected commands, and resends retryable ones with the later commands of their trace", async () => {
    const a = end("a".repeat(32));
    const a2 = end("a".repeat(32));
    const b = end("b".repeat(32));
    const c = end("c".repeat(32));
    const transport = new ScriptedTransport([
      [
        { code: Code.Aborted, reason: "CONFLICT", message: "try again" },
        { code: Code.NotFound, reason: "SPAN_NOT_FOUND", message: "because the first failed" },
        { code: Code.FailedPrecondition, reason: "TRACE_COMPLETED", message: "too late" },
        undefined,
      ],
    ]);
    const sink = sinkWith(transport);
    for (const cmd of [a, a2, b, c]) sink.submit(cmd);
    await sink.forceFlush();
    expect(transport.calls).toEqual([[a, a2, b, c], [a, a2]]);
    expect(sink.stats()).toMatchObject({ sent: 3, failed: 1, retried: 2 });
    expect(warnings.some((w) => w.includes("TRACE_COMPLETED"))).toBe(true);
  });

  it("retries commands the server cannot store for now (UNAVAILABLE per command: its database is down) past maxAttempts, until it can", async () => {
    const down = (cs: SpanCommand[]) => cs.map(() => ({ code: Code.Unavailable, reason: "STORE_UNAVAILABLE", message: "the database is down" }));
    const transport = new ScriptedTransport([down, down, down, down, down, down]);
    const sink = sinkWith(transport, { maxAttempts: 3 });
    const commands = [end(), end()];
    for (const c of commands) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls).toHaveLength(7);
    expect(transport.calls.at(-1)).toEqual(commands);
    expect(sink.stats()).toMatchObject({ sent: 2, failed: 0 });
    expect(warnings.filter((w) => w.includes("cannot store commands for now"))).toHaveLength(1);
  });

  it("drops what does not fit in the queue, counts it, and warns once", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { maxQueueSize: 3, maxBatchSize: 3, flushIntervalMs: 600_000 });
    // Nothing ships before the next tick, so the fourth span onwards overflow.
    for (let i = 0; i < 10; i++) sink.submit(start());
    expect(sink.stats()).toMatchObject({ queued: 3, dropped: 7 });
    expect(warnings.filter((w) => w.includes("queue is full"))).toHaveLength(1);
    await sink.forceFlush();
    expect(sink.stats().sent).toBe(3);
  });

  it("never throws into the caller and leaves no promise unhandled when the transport breaks", async () => {
    const broken: CommandTransport = {
      prepare: () => {
        throw new Error("bug in the encoder");
      },
      close: () => {},
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const sink = sinkWith(broken);
      expect(() => sink.submit(end())).not.toThrow();
      await sink.forceFlush(50);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(warnings.some((w) => w.includes("bug in the encoder"))).toBe(true);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("flushes on shutdown, then drops new commands and closes the transport", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { flushIntervalMs: 600_000 });
    sink.submit(end());
    await sink.shutdown();
    expect(sink.stats()).toMatchObject({ sent: 1 });
    sink.submit(end());
    expect(sink.stats()).toMatchObject({ dropped: 1 });
    expect(transport.closed).toBe(true);
  });

  it("stops retrying when shutdown runs out of time and counts what is left as dropped", async () => {
    const transport = new ScriptedTransport(Array.from({ length: 1000 }, unavailable));
    const sink = sinkWith(transport, { maxAttempts: 1000, initialBackoffMs: 5, maxBackoffMs: 5 });
    sink.submit(end());
    sink.submit(end());
    await sink.shutdown(50);
    expect(sink.stats()).toMatchObject({ sent: 0, dropped: 2, queued: 0, inFlight: 0 });
  });

  it("takes the end of an accepted span into a full queue, and refuses every command of a span whose start it refused", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { maxQueueSize: 3, maxBatchSize: 100, flushIntervalMs: 600_000 });
    const kept = [start(), start(), start()];
    for (const c of kept) sink.submit(c);
    const refused = start();
    sink.submit(refused);
    expect(sink.stats()).toMatchObject({ queued: 3, dropped: 1 });
    // Full: the refused span's later commands go with it; an accepted span's event waits for room, its end does not.
    sink.submit(event(refused));
    sink.submit(endOf(refused));
    sink.submit(event(kept[0]!));
    const ends = kept.map(endOf);
    for (const c of ends) sink.submit(c);
    expect(sink.stats()).toMatchObject({ queued: 6, dropped: 4 });
    await sink.forceFlush();
    expect(transport.calls.flat()).toEqual([...kept, ...ends]);
    // Room again: a new span is taken whole.
    const late = start();
    sink.submit(late);
    sink.submit(endOf(late));
    await sink.forceFlush();
    expect(sink.stats()).toMatchObject({ sent: 8, dropped: 4, queued: 0 });
  });

  it("drops the later children of a span whose start it refused, whole, rather than send what the server must reject", async () => {
    const transport = new ScriptedTransport();
    // A queue this small must still remember the whole subtree (its parent first).
    const sink = sinkWith(transport, { maxQueueSize: 2, maxBatchSize: 2, flushIntervalMs: 600_000 });
    const kept = [start(), start()];
    for (const c of kept) sink.submit(c);
    const refused = start();
    sink.submit(refused);
    await sink.forceFlush();
    // Room again, but the span's subtree has no parent on the server: it goes with it.
    const child = start({ parent: refused });
    const grandchild = start({ parent: child });
    const dropped = [child, grandchild, event(grandchild), endOf(grandchild), event(child), endOf(child), endOf(refused)];
    for (const c of dropped) sink.submit(c);
    // A span of its own, and a child of an accepted span, are still taken.
    const other = start();
    const keptChild = start({ parent: kept[0] });
    for (const c of [other, keptChild]) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls.flat()).toEqual([...kept, other, keptChild]);
    expect(sink.stats()).toMatchObject({ sent: 4, dropped: 1 + dropped.length, failed: 0, queued: 0 });
    expect(warnings.filter((w) => w.includes("dropped"))).toHaveLength(1);
  });

  it("drops with a start it cannot send the commands of its span and of its children, queued already or later", async () => {
    const server = new ScriptedTransport();
    const bigStarts = new Set<SpanCommand>();
    const transport: CommandTransport = {
      prepare: (commands) => {
        const at = commands.findIndex((c) => bigStarts.has(c));
        if (at === 0) return { count: 1, unsendable: "it is too large", send: () => Promise.reject(new Error("never sent")) };
        return server.prepare(at < 0 ? commands : commands.slice(0, at));
      },
      close: () => {},
    };
    const sink = sinkWith(transport, { flushIntervalMs: 600_000 });
    const before = start();
    const big = start();
    bigStarts.add(big);
    const child = start({ parent: big });
    const queuedWithIt = [child, event(child), start({ parent: child }), endOf(child)];
    const other = start();
    for (const c of [before, big, ...queuedWithIt, other]) sink.submit(c);
    await sink.forceFlush();
    const later = start({ parent: big });
    for (const c of [later, endOf(later), event(big), endOf(big)]) sink.submit(c);
    await sink.forceFlush();
    expect(server.calls.flat()).toEqual([before, other]);
    expect(sink.stats()).toMatchObject({ sent: 2, dropped: 1 + queuedWithIt.length + 4, failed: 0, queued: 0 });
    expect(warnings.filter((w) => w.includes("dropped"))).toHaveLength(1);
    expect(warnings[0]).toContain("it is too large");
  });

  it("bounds the ends it takes into a full queue at twice its size", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { maxQueueSize: 2, maxBatchSize: 100, flushIntervalMs: 600_000 });
    for (let i = 0; i < 6; i++) sink.submit(end());
    expect(sink.stats()).toMatchObject({ queued: 4, dropped: 2 });
  });

  it("ships the start of a span continuing another process's trace ahead of the backlog", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { maxBatchSize: 3, flushIntervalMs: 600_000 });
    const backlog = [start(), start(), start(), start()];
    for (const c of backlog.slice(0, 2)) sink.submit(c);
    const remote = start({ parentIsRemote: true });
    sink.submit(remote);
    const child = start({ traceId: remote.traceId });
    sink.submit(child);
    const remoteEnd = endOf(remote);
    sink.submit(remoteEnd);
    for (const c of backlog.slice(2)) sink.submit(c);
    await sink.forceFlush();
    expect(transport.calls[0]![0]).toBe(remote);
    // Everything else keeps the order it was submitted in.
    expect(transport.calls.flat()).toEqual([remote, backlog[0], backlog[1], child, remoteEnd, backlog[2], backlog[3]]);
  });

  it("sends such a start in a call of its own beside the batch in flight", async () => {
    const server = new ScriptedTransport();
    const { transport, release } = gated(server, "main");
    const sink = sinkWith(transport, { flushIntervalMs: 600_000 });
    const backlog = [start(), start()];
    for (const c of backlog) sink.submit(c);
    sink.flushSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.stats().inFlight).toBe(2);
    const remote = start({ parentIsRemote: true });
    const child = start({ traceId: remote.traceId });
    const remoteEnd = endOf(remote);
    for (const c of [remote, child, remoteEnd]) sink.submit(c);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.calls).toEqual([[remote]]);
    release();
    await sink.forceFlush();
    expect(server.calls).toEqual([[remote], backlog, [child, remoteEnd]]);
  });

  it("holds its trace's later commands (its own, a child's start) while its start is in flight on its own", async () => {
    const server = new ScriptedTransport();
    const { transport, release } = gated(server, "alongside");
    const sink = sinkWith(transport, { flushIntervalMs: 600_000 });
    const remote = start({ parentIsRemote: true });
    sink.submit(remote);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.stats().inFlight).toBe(1);
    // A child's start needs its parent's stored first (the server refuses PARENT_SPAN_NOT_FOUND).
    const child = start({ traceId: remote.traceId });
    const other = start({ traceId: "c".repeat(32) });
    const remoteEnd = endOf(remote);
    sink.submit(child);
    sink.submit(remoteEnd);
    sink.submit(other);
    const flushed = sink.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.calls).toEqual([]);
    release();
    await flushed;
    expect(server.calls).toEqual([[remote], [child, remoteEnd, other]]);
  });

  it("sends again an urgent start the server asked to retry, with no further submit, and a flush waits for it", async () => {
    const transport = new ScriptedTransport([[{ code: Code.Aborted, reason: "CONFLICT", message: "try again" }]]);
    const sink = sinkWith(transport, { flushIntervalMs: 600_000 });
    const remote = start({ parentIsRemote: true });
    sink.submit(remote);
    // Nothing else happens: no submit, no flush, and the main sender's timer is far off.
    for (let i = 0; i < 100 && transport.calls.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(transport.calls).toEqual([[remote], [remote]]);
    await sink.forceFlush(2_000);
    expect(sink.stats()).toMatchObject({ sent: 1, retried: 1, queued: 0 });
  });

  it("resolves forceFlush only when every command queued before it has settled, whatever settled after it", async () => {
    // The first command is refused as a conflict twice; everything else succeeds at once.
    const conflict = { code: Code.Aborted, reason: "CONFLICT", message: "try again" };
    const transport = new ScriptedTransport([[conflict, undefined], [conflict, undefined, undefined]]);
    const sink = sinkWith(transport, { flushIntervalMs: 600_000, initialBackoffMs: 40, maxBackoffMs: 40 });
    sink.submit(end("a".repeat(32)));
    sink.submit(end("b".repeat(32)));
    sink.flushSoon();
    while (transport.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    // The first command now waits for its retry; the flush must wait for it, not for any two commands.
    const flushed = sink.forceFlush().then(() => transport.calls.length);
    sink.submit(end("c".repeat(32)));
    sink.submit(end("d".repeat(32)));
    expect(await flushed).toBe(3);
    expect(sink.stats()).toMatchObject({ sent: 4, retried: 2 });
  });

  it("ends the spans still open at shutdown as CANCELLED, and only those", async () => {
    const transport = new ScriptedTransport();
    const sink = sinkWith(transport, { maxQueueSize: 3, maxBatchSize: 100, flushIntervalMs: 600_000 });
    const ended = start();
    const open = start();
    const sentEarlier = start();
    for (const c of [ended, endOf(ended), open]) sink.submit(c);
    sink.submit(start()); // refused: the queue is full
    await sink.forceFlush();
    sink.submit(sentEarlier);
    await sink.shutdown();
    const cancels = transport.calls.flat().filter((c) => c.type === "endSpan" && c.endReason === 2);
    expect(cancels.map((c) => c.spanId).sort()).toEqual([open.spanId, sentEarlier.spanId].sort());
    for (const c of cancels) expect(c.type === "endSpan" && c.endTimeUnixNano >= 1n && c.statusCode === 0).toBe(true);
    expect(sink.stats()).toMatchObject({ sent: 6, dropped: 1, queued: 0 });
  });

  it("does not end at shutdown a span whose start the server refused", async () => {
    const transport = new ScriptedTransport([[{ code: Code.FailedPrecondition, reason: "TRACE_COMPLETED", message: "too late" }, undefined]]);
    const sink = sinkWith(transport, { flushIntervalMs: 600_000 });
    const refused = start();
    const open = start();
    sink.submit(refused);
    sink.submit(open);
    await sink.forceFlush();
    await sink.shutdown();
    expect(transport.calls.at(-1)).toMatchObject([{ type: "endSpan", spanId: open.spanId, endReason: 2 }]);
    expect(sink.stats()).toMatchObject({ sent: 2, failed: 1 });
  });
});
