// Node calls an EventEmitter's listeners in the context the emitter was made in, not the
// one they were added in: an incoming request's `data` and `end` come in the context the
// server's connection was accepted in. So work a handler does in `req.on("end", ...)`
// (reading a body by hand, busboy, `req.pipe`) lost the request's span, and when the
// server was started inside a span, every request's body work joined that one.
// Binding each listener to the context it is added in gives it the handler's span.

import { AsyncLocalStorage } from "node:async_hooks";
import type { EventEmitter } from "node:events";

type Listener = (...args: unknown[]) => void;
type EventName = string | symbol;

// `once` and `prependOnceListener` add a wrapper through `on` and `prependListener`, which bind it.
const ADDERS = ["on", "addListener", "prependListener"] as const;
const REMOVERS = ["off", "removeListener"] as const;
const bound = new WeakSet<EventEmitter>();

/** From now on, each listener added to `emitter` runs in the context it was added in. */
export function bindListenersToContext(emitter: EventEmitter): void {
  if (bound.has(emitter)) return;
  bound.add(emitter);
  // A listener is removed by the function it was added with, and a `once` wrapper removes
  // itself: each maps to its bound copies, per event, newest last (as node removes the
  // listener added last).
  const copies = new WeakMap<Listener, Map<EventName, Listener[]>>();
  const remember = (listener: Listener, event: EventName, copy: Listener) => {
    let byEvent = copies.get(listener);
    if (byEvent === undefined) copies.set(listener, (byEvent = new Map()));
    byEvent.set(event, [...(byEvent.get(event) ?? []), copy]);
  };
  const target = emitter as unknown as Record<string, (event: EventName, listener: Listener) => EventEmitter>;
  for (const name of ADDERS) {
    const add = target[name]!;
    target[name] = function (this: EventEmitter, event: EventName, listener: Listener) {
      if (typeof listener !== "function") return add.call(this, event, listener);
      const copy = AsyncLocalStorage.bind(listener);
      remember(listener, event, copy);
      // node's `once` wrapper: the listener it wraps removes it too.
      const wrapped = (listener as { listener?: unknown }).listener;
      if (typeof wrapped === "function") remember(wrapped as Listener, event, copy);
      return add.call(this, event, copy);
    };
  }
  for (const name of REMOVERS) {
    const remove = target[name]!;
    target[name] = function (this: EventEmitter, event: EventName, listener: Listener) {
      const mine = copies.get(listener)?.get(event) ?? [];
      const attached = this.rawListeners(event);
      const index = mine.findLastIndex((copy) => attached.includes(copy));
      if (index < 0) return remove.call(this, event, listener);
      const [copy] = mine.splice(index, 1);
      return remove.call(this, event, copy!);
    };
  }
}
