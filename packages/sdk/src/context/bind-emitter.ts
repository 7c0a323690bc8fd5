// Node calls an EventEmitter's listeners in the context the emitter was made in, not the
// one they were added in: an incoming request's `data` and `end` come in the context the
// server's connection was accepted in. So work a handler does in `req.on("end", ...)`
// (reading a body by hand, busboy, `req.pipe`) lost the request's span, and when the
// server was started inside a span, every request's body work joined that one.
// Binding each listener to the context it is added in gives it the handler's span.
//
// Every request pays for it, so the methods put on an emitter are shared, its state one
// property, and nothing more is made until a listener is added. Measured in process: ~0.9 us
// to bind a request and its response, ~0.55 us per listener added, ~0.6 us per call of one
// (AsyncLocalStorage.bind, an AsyncResource per listener, cost ~25 us each).

import type { EventEmitter } from "node:events";
import { bindToActiveContext } from "./active-context.js";

type Listener = (...args: unknown[]) => void;
type EventName = string | symbol;
type Method = (this: BoundEmitter, event: EventName, listener: Listener) => EventEmitter;

const STATE = Symbol("traceledger.boundListeners");

interface BoundEmitter extends EventEmitter {
  [STATE]: {
    /** What the emitter's own methods were, when it had any (else its prototype's are called). */
    readonly own: Partial<Record<string, Method>>;
    /**
     * A listener is removed by the function it was added with, and a `once` wrapper removes
     * itself: each maps to its bound copies, per event, newest last (as node removes the
     * listener added last).
     */
    copies?: Map<Listener, Array<readonly [EventName, Listener]>>;
  };
}

// `once` and `prependOnceListener` add a wrapper through `on` and `prependListener`, which bind it.
const ADDERS = ["on", "addListener", "prependListener"] as const;
const REMOVERS = ["off", "removeListener"] as const;

function original(emitter: BoundEmitter, name: string): Method {
  return emitter[STATE].own[name] ?? (Object.getPrototypeOf(emitter) as Record<string, Method>)[name]!;
}

function remember(emitter: BoundEmitter, listener: Listener, event: EventName, copy: Listener): void {
  // A Map, not a WeakMap: it lives as long as the emitter (a request), and costs less to make.
  const copies = (emitter[STATE].copies ??= new Map());
  const added = copies.get(listener);
  if (added === undefined) copies.set(listener, [[event, copy]]);
  else added.push([event, copy]);
}

function adder(name: string): Method {
  return function (this: BoundEmitter, event, listener) {
    const add = original(this, name);
    if (typeof listener !== "function") return add.call(this, event, listener);
    const copy = bindToActiveContext(listener);
    remember(this, listener, event, copy);
    // node's `once` wrapper: the listener it wraps removes it too.
    const wrapped = (listener as { listener?: unknown }).listener;
    if (typeof wrapped === "function") remember(this, wrapped as Listener, event, copy);
    // listeners() and listenerCount(event, fn) look through `.listener`, as they do for
    // node's own once wrappers: they show the function the caller added, not the copy.
    (copy as { listener?: unknown }).listener = typeof wrapped === "function" ? wrapped : listener;
    return add.call(this, event, copy);
  };
}

function remover(name: string): Method {
  return function (this: BoundEmitter, event, listener) {
    const remove = original(this, name);
    const added = this[STATE].copies?.get(listener);
    if (added === undefined) return remove.call(this, event, listener);
    const attached = this.rawListeners(event);
    const index = added.findLastIndex(([on, copy]) => on === event && attached.includes(copy));
    if (index < 0) return remove.call(this, event, listener);
    const [[, copy]] = added.splice(index, 1) as [readonly [EventName, Listener]];
    return remove.call(this, event, copy);
  };
}

const METHODS: ReadonlyArray<readonly [string, Method]> = [...ADDERS.map((name) => [name, adder(name)] as const), ...REMOVERS.map((name) => [name, remover(name)] as const)];

/** From now on, each listener added to `emitter` runs in the context it was added in. */
export function bindListenersToContext(emitter: EventEmitter): void {
  const target = emitter as BoundEmitter;
  if (target[STATE] !== undefined) return;
  const own: Partial<Record<string, Method>> = {};
  for (const [name] of METHODS) if (Object.hasOwn(target, name)) own[name] = (target as unknown as Record<string, Method>)[name];
  target[STATE] = { own };
  for (const [name, method] of METHODS) (target as unknown as Record<string, Method>)[name] = method;
}
