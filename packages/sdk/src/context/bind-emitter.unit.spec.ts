// Listeners bound to the context they were added in, with EventEmitter's own semantics
// kept: `once` runs once and removes itself, a listener added twice runs twice and is
// removed one copy at a time, and removal by the original function works.

import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { activeContext, runInContext } from "./active-context.js";
import { bindListenersToContext } from "./bind-emitter.js";

const marked = (name: string) => ({ baggage: undefined, span: undefined, name }) as never;

describe("bindListenersToContext", () => {
  it("runs each listener in the context it was added in, whatever context emits", () => {
    const emitter = new EventEmitter();
    bindListenersToContext(emitter);
    const seen: unknown[] = [];
    runInContext(marked("a"), () => emitter.on("x", () => seen.push((activeContext() as { name?: string } | undefined)?.name)));
    runInContext(marked("b"), () => emitter.once("x", () => seen.push((activeContext() as { name?: string } | undefined)?.name)));
    runInContext(marked("emitter"), () => emitter.emit("x"));
    emitter.emit("x");
    expect(seen).toEqual(["a", "b", "a"]);
  });

  it("shows the functions added, not their bound copies, to listeners() and listenerCount()", () => {
    const emitter = new EventEmitter();
    bindListenersToContext(emitter);
    const onEnd = () => {};
    const onceEnd = () => {};
    emitter.on("end", onEnd);
    emitter.once("end", onceEnd);
    expect(emitter.listeners("end")).toEqual([onEnd, onceEnd]);
    expect(emitter.listenerCount("end", onEnd)).toBe(1);
    expect(emitter.listenerCount("end", onceEnd)).toBe(1);
    emitter.off("end", onEnd);
    expect(emitter.listeners("end")).toEqual([onceEnd]);
  });

  it("keeps once, twice-added and removal by the original function as EventEmitter has them", () => {
    const emitter = new EventEmitter();
    bindListenersToContext(emitter);
    let calls = 0;
    const listener = () => calls++;
    emitter.once("x", listener);
    emitter.emit("x");
    emitter.emit("x");
    expect(calls).toBe(1);
    expect(emitter.listenerCount("x")).toBe(0);

    emitter.on("x", listener);
    emitter.on("x", listener);
    emitter.emit("x");
    expect(calls).toBe(3);
    emitter.off("x", listener);
    emitter.emit("x");
    expect(calls).toBe(4);
    emitter.removeListener("x", listener);
    expect(emitter.listenerCount("x")).toBe(0);

    emitter.prependOnceListener("x", listener);
    emitter.removeListener("x", listener);
    emitter.emit("x");
    expect(calls).toBe(4);
  });
});
