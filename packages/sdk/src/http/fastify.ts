// Tracing for Fastify 5, as a plugin that applies to the whole instance:
//
//   await app.register(fastifyTracing(tracer));
//
// Fastify knows the route before the first hook runs, so spans are named from
// the template (`GET /users/:id`) from the start. Handlers run inside the span.
// Fastify's types are not needed: the plugin is written against the small part
// of its API it uses.

import type { IncomingMessage, ServerResponse } from "node:http";
import { runInContext } from "../context/active-context.js";
import type { Tracer } from "../trace/tracer.js";
import { methodNames, type HttpTracingOptions } from "./http-tracing-options.js";
import { startRequestSpan, type RequestSpan } from "./request-span.js";

interface FastifyRequestLike {
  readonly raw: IncomingMessage;
  readonly routeOptions?: { readonly url?: string };
}

interface FastifyReplyLike {
  readonly raw: ServerResponse;
  readonly statusCode: number;
}

type HookDone = (error?: Error) => void;
type OnSendDone = (error: Error | null, payload: unknown) => void;

interface FastifyInstanceLike {
  addHook(name: "onRequest" | "onResponse", hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: HookDone) => void): unknown;
  addHook(name: "onError", hook: (request: FastifyRequestLike, reply: FastifyReplyLike, error: Error, done: HookDone) => void): unknown;
  addHook(name: "onSend", hook: (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown, done: OnSendDone) => void): unknown;
}

export type FastifyTracingPlugin = ((instance: FastifyInstanceLike, options: unknown, done: HookDone) => void) & {
  readonly [key: symbol]: unknown;
};

export function fastifyTracing(tracer: Tracer, options: HttpTracingOptions = {}): FastifyTracingPlugin {
  const spans = new WeakMap<IncomingMessage, RequestSpan>();
  const methods = methodNames(options);
  const plugin = (instance: FastifyInstanceLike, _options: unknown, done: HookDone) => {
    instance.addHook("onRequest", (request, reply, next) => {
      const traced = startRequestSpan(tracer, request.raw, reply.raw, request.routeOptions?.url, options, methods);
      if (traced === undefined) {
        next();
        return;
      }
      spans.set(request.raw, traced);
      // The rest of the request's lifecycle, the handler included, runs from next().
      runInContext(traced.context, () => next());
    });
    instance.addHook("onError", (request, _reply, error, next) => {
      spans.get(request.raw)?.fail(error);
      next();
    });
    instance.addHook("onSend", (request, reply, payload, next) => {
      const traced = spans.get(request.raw);
      // A stream that fails once the headers are out reaches no onError hook: Fastify
      // only cuts the response, which would pass for the client going away.
      if (traced !== undefined && isStream(payload)) {
        payload.once("error", (error: unknown) => {
          if (reply.raw.headersSent) traced.fail(error);
        });
      }
      next(null, payload);
    });
    instance.addHook("onResponse", (request, reply, next) => {
      spans.get(request.raw)?.finish(reply.statusCode);
      next();
    });
    done();
  };
  // What fastify-plugin does: apply the hooks to the parent instance, not to an encapsulated child.
  return Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "@traceledger/sdk",
  });
}

function isStream(payload: unknown): payload is { once(event: "error", listener: (error: unknown) => void): unknown } {
  return typeof payload === "object" && payload !== null && typeof (payload as { pipe?: unknown }).pipe === "function" && typeof (payload as { once?: unknown }).once === "function";
}
