// The tracer's behaviour on its own: parents from AsyncLocalStorage, errors,
// attributes folded into unsent starts, ends, and the disabled no-op.

import { describe, expect, expectTypeOf, it } from "vitest";
import { memoryTracer } from "../../test/support/memory-sink.js";
import { getActiveBaggage, getActiveSpan, withPropagatedContext } from "../context/active-context.js";
import { Baggage } from "../w3c/baggage.js";

describe("Tracer", () => {
  it("starts a root span with fresh ids and the service's resource", () => {
    const { tracer, sink } = memoryTracer();
    const span = tracer.startSpan("root", { kind: "server", attributes: { a: 1 } });
    const [start] = sink.ofType("startSpan");
    expect(start).toMatchObject({ name: "root", kind: 2, serviceName: "unit", parentSpanId: "", parentIsRemote: false, attributes: { a: 1 } });
    expect(start!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(start!.spanId).toBe(span.spanContext().spanId);
    expect(start!.resource?.attributes["service.name"]).toBe("unit");
    // Sampled, and its trace id random (Trace Context Level 2), which the server is told too.
    expect(span.traceparent()).toBe(`00-${start!.traceId}-${start!.spanId}-03`);
    expect(start!.randomTraceId).toBe(true);
  });

  it("keeps a parent's random trace-id flag (Level 2) as the parent has it, set or not", () => {
    const { tracer, sink } = memoryTracer();
    const without = { spanContext: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true } };
    const withIt = { spanContext: { ...without.spanContext, traceFlags: 3 } };
    const a = tracer.startSpan("a", { parent: without });
    const b = tracer.startSpan("b", { parent: withIt });
    const c = tracer.startSpan("c", { parent: b });
    expect([a, b, c].map((span) => span.traceparent().slice(-2))).toEqual(["01", "03", "03"]);
    expect(sink.ofType("startSpan").map((s) => s.randomTraceId)).toEqual([false, true, true]);
  });

  it("gives children the active span as parent, across awaits", async () => {
    const { tracer, sink } = memoryTracer();
    await tracer.withSpan("parent", async (parent) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(getActiveSpan()).toBe(parent);
      await tracer.withSpan("child", async () => {
        await Promise.resolve();
        tracer.startSpan("grandchild").end();
      });
    });
    const [parent, child, grandchild] = sink.ofType("startSpan");
    expect(child!.parentSpanId).toBe(parent!.spanId);
    expect(grandchild!.parentSpanId).toBe(child!.spanId);
    expect(new Set([parent!.traceId, child!.traceId, grandchild!.traceId]).size).toBe(1);
    expect(child!.parentIsRemote).toBe(false);
    expect(sink.ofType("endSpan").map((e) => e.spanId)).toEqual([grandchild!.spanId, child!.spanId, parent!.spanId]);
    expect(getActiveSpan()).toBeUndefined();
  });

  it("awaits a lazy thenable (a query builder) inside the span, and its answer is typed as the Promise it is", async () => {
    const { tracer, sink } = memoryTracer();
    let ran = 0;
    class QueryBuilder implements PromiseLike<number[]> {
      where(): this {
        return this;
      }
      then<A = number[], B = never>(ok?: ((rows: number[]) => A | PromiseLike<A>) | null, failed?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
        ran++;
        return Promise.resolve([1, 2]).then(ok, failed);
      }
    }
    const answer = tracer.withSpan("query", () => new QueryBuilder().where());
    expectTypeOf(answer).toEqualTypeOf<Promise<number[]>>();
    expect(answer).toBeInstanceOf(Promise);
    expect(sink.ofType("endSpan")).toHaveLength(0);
    expect(await answer).toEqual([1, 2]);
    expect(ran).toBe(1);
    expect(sink.ofType("endSpan")).toHaveLength(1);
    expectTypeOf(tracer.withSpan("sync", () => 7)).toEqualTypeOf<number>();
  });

  it("settles the span for a thenable whose then() returns nothing, or throws", async () => {
    const { tracer, sink } = memoryTracer();
    const quiet = { then(ok: (value: string) => void) { ok("done"); } } as unknown as PromiseLike<string>;
    const answer = tracer.withSpan("quiet thenable", () => quiet);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe("done");
    const broken = { then() { throw new TypeError("then broke"); } } as unknown as PromiseLike<string>;
    await expect(tracer.withSpan("broken thenable", () => broken)).rejects.toThrow("then broke");
    const ends = sink.ofType("endSpan");
    expect(ends).toHaveLength(2);
    expect(ends.map((end) => end.statusCode)).toEqual([0, 2]);
    expect(sink.ofType("recordError").map((e) => e.errorType)).toEqual(["TypeError"]);
  });

  it("starts a new trace for parent: null", () => {
    const { tracer, sink } = memoryTracer();
    tracer.withSpan("outer", () => tracer.startSpan("detached", { parent: null }).end());
    const [outer, detached] = sink.ofType("startSpan");
    expect(detached!.traceId).not.toBe(outer!.traceId);
    expect(detached!.parentSpanId).toBe("");
  });

  it("records what fn throws, sets ERROR, ends the span and rethrows", async () => {
    const { tracer, sink } = memoryTracer();
    await expect(
      tracer.withSpan("fails", async () => {
        throw new RangeError("out of range");
      }),
    ).rejects.toThrow("out of range");
    expect(() => tracer.withSpan("sync fails", () => {
      throw "plain string";
    })).toThrow("plain string");
    const errors = sink.ofType("recordError");
    expect(errors[0]).toMatchObject({ errorType: "RangeError", message: "out of range", escaped: true });
    expect(errors[0]!.stacktrace).toContain("RangeError: out of range");
    expect(errors[1]).toMatchObject({ errorType: "string", message: "plain string" });
    expect(sink.ofType("endSpan").map((e) => [e.statusCode, e.statusMessage])).toEqual([
      [2, "out of range"],
      [2, "plain string"],
    ]);
  });

  it("rethrows values that cannot be made strings unchanged, and still records them and ends the span", async () => {
    const { tracer, sink } = memoryTracer();
    const bare = Object.create(null) as object;
    const badMessage = new TypeError("hidden");
    Object.defineProperty(badMessage, "message", {
      get() {
        throw new Error("message getter");
      },
    });
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("get trap");
        },
        has() {
          throw new Error("has trap");
        },
        getPrototypeOf() {
          throw new Error("getPrototypeOf trap");
        },
      },
    );
    for (const value of [bare, badMessage, hostile]) {
      let thrown: unknown;
      try {
        tracer.withSpan("sync", () => {
          throw value;
        });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBe(value);
      await expect(tracer.withSpan("async", () => Promise.reject(value))).rejects.toBe(value);
    }
    expect(sink.ofType("endSpan").map((e) => e.statusCode)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(sink.ofType("recordError").map((e) => [e.errorType, e.message])).toEqual([
      ["object", "[object Object]"],
      ["object", "[object Object]"],
      ["TypeError", "[object Error]"],
      ["TypeError", "[object Error]"],
      ["object", "(unprintable)"],
      ["object", "(unprintable)"],
    ]);
    expect(sink.ofType("endSpan").map((e) => e.statusMessage)).toEqual(["[object Object]", "[object Object]", "[object Error]", "[object Error]", "(unprintable)", "(unprintable)"]);
  });

  it("records errors with their context on the active span", () => {
    const { tracer, sink } = memoryTracer();
    class PaymentError extends Error {}
    tracer.withSpan("pay", () => {
      tracer.recordError(new PaymentError("declined"), { attributes: { "card.brand": "visa" } });
      tracer.addEvent("retrying", { attempt: 2 });
    });
    expect(sink.ofType("recordError")[0]).toMatchObject({ errorType: "PaymentError", message: "declined", escaped: false, attributes: { "card.brand": "visa" } });
    expect(sink.ofType("addSpanEvent")[0]).toMatchObject({ name: "retrying", attributes: { attempt: 2 } });
    expect(sink.ofType("recordError")[0]!.errorId).not.toBe(sink.ofType("addSpanEvent")[0]!.eventId);
  });

  it("folds attributes and renames into a start that has not shipped; after, attributes go on their own and a rename with the end", async () => {
    const { tracer, sink } = memoryTracer();
    const span = tracer.startSpan("GET /users/42", { attributes: { a: 1 } });
    span.setAttributes({ b: 2 }).updateName("GET /users/:id");
    expect(sink.commands).toHaveLength(1);
    expect(sink.ofType("startSpan")[0]).toMatchObject({ name: "GET /users/:id", attributes: { a: 1, b: 2 } });
    await sink.forceFlush(); // the start ships
    span.setAttribute("c", 3).updateName("GET /users/:id (cached)");
    expect(sink.ofType("setSpanAttributes")[0]).toMatchObject({ attributes: { c: 3 } });
    expect(sink.ofType("startSpan")[0]!.name).toBe("GET /users/:id");
    expect(span.name).toBe("GET /users/:id (cached)");
    span.end();
    expect(sink.ofType("endSpan")[0]!.name).toBe("GET /users/:id (cached)");
  });

  it("sends no name with the end when the span kept the one its start carried", async () => {
    const { tracer, sink } = memoryTracer();
    const early = tracer.startSpan("GET /a");
    early.updateName("GET /:page");
    early.end(); // renamed before its start shipped: the start has the name
    const late = tracer.startSpan("GET /b");
    await sink.forceFlush();
    late.updateName("GET /b");
    late.end();
    expect(sink.ofType("endSpan").map((end) => end.name)).toEqual([undefined, undefined]);
  });

  it("ends once, never before the start, and ignores changes after the end", () => {
    const { tracer, sink } = memoryTracer();
    const span = tracer.startSpan("s", { startTime: new Date(Date.now() + 60_000) });
    span.end({ time: Date.now(), attributes: { done: true }, status: { code: "ok" } });
    span.end();
    span.setAttribute("late", 1).addEvent("late").recordError(new Error("late"));
    const [start] = sink.ofType("startSpan");
    const ends = sink.ofType("endSpan");
    expect(ends).toHaveLength(1);
    expect(ends[0]!.endTimeUnixNano).toBe(start!.startTimeUnixNano);
    expect(ends[0]).toMatchObject({ statusCode: 1, attributes: { done: true }, endReason: 0 });
    expect(sink.commands).toHaveLength(2);
    expect(span.isEnded()).toBe(true);
  });

  it("marks cancelled spans", () => {
    const { tracer, sink } = memoryTracer();
    tracer.startSpan("abandoned").end({ cancelled: true });
    expect(sink.ofType("endSpan")[0]!.endReason).toBe(2);
  });

  it("keeps a status of OK, and UNSET never overrides", () => {
    const { tracer, sink } = memoryTracer();
    const span = tracer.startSpan("s");
    span.setStatus({ code: "error", message: "x" }).setStatus({ code: "unset" });
    span.end();
    const ok = tracer.startSpan("t");
    ok.setStatus({ code: "ok" }).setStatus({ code: "error", message: "later" });
    ok.end();
    expect(sink.ofType("endSpan").map((e) => e.statusCode)).toEqual([2, 1]);
  });

  it("continues an extracted context as a remote parent (the sink ships such a start ahead of its backlog)", () => {
    const { tracer, sink } = memoryTracer();
    const parent = { spanContext: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true } };
    tracer.startSpan("entry", { parent, kind: "server" });
    expect(sink.ofType("startSpan")[0]).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentSpanId: "00f067aa0ba902b7", parentIsRemote: true });
  });

  it("treats a span of another tracer as a remote parent (its start went through another queue)", () => {
    const a = memoryTracer();
    const b = memoryTracer();
    a.tracer.withSpan("in a", () => b.tracer.startSpan("in b").end());
    expect(b.sink.ofType("startSpan")[0]).toMatchObject({ parentSpanId: a.sink.ofType("startSpan")[0]!.spanId, parentIsRemote: true });
  });

  it("is a no-op when disabled, passing the incoming context through", () => {
    const { tracer, sink } = memoryTracer({ enabled: false });
    const root = tracer.startSpan("root");
    expect(root.isRecording()).toBe(false);
    expect(root.traceparent()).toBe("");
    const parent = { spanContext: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true } };
    const child = tracer.withSpan("child", (span) => span, { parent });
    expect(child.traceparent()).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(sink.commands).toHaveLength(0);
    expect(tracer.enabled).toBe(false);
  });

  it("makes an extracted context the parent of spans started inside withPropagatedContext", () => {
    const { tracer, sink } = memoryTracer();
    const remote = { spanContext: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, isRemote: true }, baggage: Baggage.EMPTY.set("k", "v") };
    withPropagatedContext(remote, () => {
      expect(getActiveBaggage()?.getValue("k")).toBe("v");
      tracer.startSpan("inside").end();
    });
    expect(sink.ofType("startSpan")[0]).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentSpanId: "00f067aa0ba902b7", parentIsRemote: true });
  });
});
