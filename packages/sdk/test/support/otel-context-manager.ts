// An AsyncLocalStorage context manager for @opentelemetry/api, standing in for
// @opentelemetry/context-async-hooks (which an application gets with
// sdk-trace-node, and which this workspace does not install): without one,
// startActiveSpan cannot make a span active for its children.

import { AsyncLocalStorage } from "node:async_hooks";
import { ROOT_CONTEXT, type Context, type ContextManager } from "@opentelemetry/api";

export class TestContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = this.storage.run.bind(this.storage);
    return ((...args: unknown[]) => run(context, () => (target as (...a: unknown[]) => unknown)(...args))) as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}
