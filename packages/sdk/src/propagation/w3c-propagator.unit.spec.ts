// Inject and extract over the carriers the SDK meets: node's header objects
// (any case, several lines), Fetch Headers and Requests, outgoing messages,
// node:http2's requests, and a job's plain metadata object.

import { IncomingMessage, ServerResponse } from "node:http";
import { connect, createServer as createHttp2Server, type Http2ServerRequest } from "node:http2";
import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { MemorySink } from "../../test/support/memory-sink.js";
import { resolveTracerConfig } from "../config/tracer-config.js";
import { withBaggage } from "../context/active-context.js";
import { Tracer } from "../trace/tracer.js";
import { Baggage } from "../w3c/baggage.js";
import { TraceState } from "../w3c/trace-state.js";
import { extractContext, injectContext } from "./w3c-propagator.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const PARENT = `00-${TRACE}-${SPAN}-01`;
const tracer = new Tracer(resolveTracerConfig({ serviceName: "p", env: {} }), new MemorySink());

describe("extractContext", () => {
  it("reads traceparent, tracestate and baggage from a header object in any case", () => {
    const context = extractContext({ TraceParent: PARENT, TRACESTATE: "rojo=1,congo=2", Baggage: "user=alice" });
    expect(context.spanContext).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(context.spanContext?.traceState?.serialize()).toBe("rojo=1,congo=2");
    expect(context.baggage?.getValue("user")).toBe("alice");
  });

  it("combines several tracestate and baggage lines in order", () => {
    const context = extractContext({ traceparent: PARENT, tracestate: ["foo=1,bar=2", "rojo=1", "baz=3"], baggage: ["a=1", "b=2"] });
    expect(context.spanContext?.traceState?.serialize()).toBe("foo=1,bar=2,rojo=1,baz=3");
    expect(context.baggage?.keys()).toEqual(["a", "b"]);
  });

  it("ignores a traceparent sent twice (and its tracestate)", () => {
    expect(extractContext({ traceparent: [PARENT, PARENT], tracestate: "foo=1" }).spanContext).toBeUndefined();
    // node joins repeated unknown headers with ", "
    expect(extractContext({ traceparent: `${PARENT}, ${PARENT}` }).spanContext).toBeUndefined();
  });

  it("ignores a repeated future-version traceparent that node:http2 or Fetch Headers joined into one value", () => {
    const [first, second] = [`cc-${TRACE}-${SPAN}-01-x`, `cc-${TRACE}-${SPAN}-01-y`];
    // node:http2's request headers (and node:http's req.headers) hold the lines joined with ", ".
    expect(extractContext({ traceparent: `${first}, ${second}`, tracestate: "foo=1" }).spanContext).toBeUndefined();
    const headers = new Headers();
    headers.append("traceparent", first);
    headers.append("traceparent", second);
    expect(extractContext(headers).spanContext).toBeUndefined();
    expect(extractContext({ traceparent: first }).spanContext?.traceId).toBe(TRACE);
  });

  it("ignores an invalid traceparent but keeps the baggage, which does not depend on it", () => {
    const context = extractContext({ traceparent: `00-${"0".repeat(32)}-${SPAN}-01`, tracestate: "foo=1", baggage: "k=v" });
    expect(context.spanContext).toBeUndefined();
    expect(context.baggage?.getValue("k")).toBe("v");
  });

  it("drops an invalid tracestate without affecting the traceparent", () => {
    const context = extractContext({ traceparent: PARENT, tracestate: "foo=1,foo=2" });
    expect(context.spanContext?.traceId).toBe(TRACE);
    expect(context.spanContext?.traceState).toBeUndefined();
  });

  it("reads a node IncomingMessage's separate header lines", () => {
    const request = new IncomingMessage(new Socket());
    request.headersDistinct = { traceparent: [PARENT], tracestate: ["a=1", "b=2"] };
    expect(extractContext(request).spanContext?.traceState?.keys()).toEqual(["a", "b"]);
  });

  it("reads Fetch Headers", () => {
    const headers = new Headers({ traceparent: PARENT });
    headers.append("tracestate", "a=1");
    headers.append("tracestate", "b=2");
    expect(extractContext(headers).spanContext?.traceState?.keys()).toEqual(["a", "b"]);
  });

  it("returns nothing for an empty carrier", () => {
    expect(extractContext({})).toEqual({});
  });

  it("returns nothing, without throwing, for a missing carrier or one that cannot be read", () => {
    // A job queued before its producer added metadata: `job.metadata` is undefined.
    const job = JSON.parse('{"payload":{"id":1}}') as { metadata?: Record<string, string> };
    expect(extractContext(job.metadata)).toEqual({});
    expect(extractContext(null)).toEqual({});
    for (const notAnObject of ["traceparent", 42, true]) expect(extractContext(notAnObject as unknown as object)).toEqual({});
    const broken = new Proxy({}, { ownKeys: () => { throw new Error("revoked"); }, get: () => undefined });
    expect(extractContext(broken)).toEqual({});
  });

  it("reads the headers of a node:http2 request (the compatibility API)", async () => {
    let seen: Http2ServerRequest | undefined;
    const server = createHttp2Server((request, response) => {
      seen = request;
      response.end(JSON.stringify(extractContext(request), (_key, value: unknown) => (value instanceof TraceState || value instanceof Baggage ? value.serialize() : value)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = client.request({ ":path": "/orders", traceparent: PARENT, tracestate: "rojo=1,congo=2", baggage: "user=alice" });
        let text = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => (text += chunk));
        stream.on("end", () => resolve(text));
        stream.on("error", reject);
        stream.end();
      });
      expect(seen).toBeDefined();
      expect(JSON.parse(body)).toEqual({
        spanContext: { traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true, traceState: "rojo=1,congo=2" },
        baggage: "user=alice",
      });
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("reads a Fetch Request's headers", () => {
    const request = new Request("http://127.0.0.1/orders", { headers: { traceparent: PARENT, tracestate: "rojo=1", baggage: "user=alice" } });
    const context = extractContext(request);
    expect(context.spanContext).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
    expect(context.spanContext?.traceState?.serialize()).toBe("rojo=1");
    expect(context.baggage?.getValue("user")).toBe("alice");
  });

  it("reads a plain object as the header object itself, not its `headers` key", () => {
    expect(extractContext({ headers: { traceparent: PARENT } })).toEqual({});
    expect(extractContext({ traceparent: PARENT, headers: {} }).spanContext?.spanId).toBe(SPAN);
  });
});

describe("injectContext", () => {
  it("writes the active span and baggage, lowercase, into a plain object", () => {
    // The check runs inside the callbacks: it must have run.
    expect.assertions(1);
    const carrier: Record<string, string> = { TraceParent: "stale" };
    withBaggage(Baggage.EMPTY.set("tenant", "acme corp"), () =>
      tracer.withSpan("op", (span) => {
        injectContext(carrier);
        expect(carrier).toEqual({ traceparent: span.traceparent(), baggage: "tenant=acme%20corp" });
      }),
    );
  });

  it("never throws into the application: no carrier, a frozen one, or one whose writes fail", () => {
    expect.assertions(4);
    tracer.withSpan("op", () => {
      expect(() => injectContext(undefined)).not.toThrow();
      expect(() => injectContext(null)).not.toThrow();
      const frozen = Object.freeze({ job: "report" });
      expect(() => injectContext(frozen)).not.toThrow();
      const sent = { setHeader: () => { throw new Error("Cannot set headers after they are sent to the client"); } };
      expect(() => injectContext(sent)).not.toThrow();
    });
  });

  it("writes nothing outside a span", () => {
    const carrier = {};
    injectContext(carrier);
    expect(carrier).toEqual({});
  });

  it("carries the tracestate within 512 characters", () => {
    let state = TraceState.EMPTY;
    for (let i = 0; i < 30; i++) state = state.set(`vendor${i}`, "v".repeat(20));
    const carrier: Record<string, string> = {};
    injectContext(carrier, { span: { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: state } });
    expect(carrier["tracestate"]!.length).toBeLessThanOrEqual(512);
    expect(carrier["tracestate"]!.startsWith("vendor29=")).toBe(true);
  });

  it("writes into Fetch Headers and outgoing messages", () => {
    const span = { traceId: TRACE, spanId: SPAN, traceFlags: 0 };
    const headers = new Headers();
    injectContext(headers, { span });
    expect(headers.get("traceparent")).toBe(`00-${TRACE}-${SPAN}-00`);
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    injectContext(response, { span });
    expect(response.getHeader("traceparent")).toBe(`00-${TRACE}-${SPAN}-00`);
  });

  it("replaces the tracestate and baggage a reused carrier holds, removing them when the context has none", () => {
    // A proxy forwarding the incoming headers: the caller's traceparent was invalid, so the proxy
    // started a new trace; the caller's tracestate must not go out with it.
    const incoming = { traceparent: `00-${TRACE}-0000000000000000-01`, TraceState: "vendor=opaque" };
    const parent = extractContext(incoming);
    expect(parent).toEqual({});
    expect.assertions(2 + 3);
    tracer.withSpan(
      "proxy",
      (span) => {
        const outgoing: Record<string, string> = { ...incoming };
        injectContext(outgoing);
        expect(outgoing).toEqual({ traceparent: span.traceparent() });
      },
      { parent, kind: "server" },
    );

    // Every kind of carrier: a stale tracestate and baggage are replaced or removed.
    const span = { traceId: TRACE, spanId: SPAN, traceFlags: 1 };
    const headers = new Headers({ traceparent: "stale", tracestate: "vendor=opaque", baggage: "k=v" });
    injectContext(headers, { span });
    expect([...headers.entries()]).toEqual([["traceparent", `00-${TRACE}-${SPAN}-01`]]);
    const map = new Map([["tracestate", "vendor=opaque"], ["baggage", "k=v"]]);
    injectContext(map, { span, baggage: Baggage.EMPTY.set("tenant", "acme") });
    expect(Object.fromEntries(map)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, baggage: "tenant=acme" });
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    response.setHeader("tracestate", "vendor=opaque");
    response.setHeader("baggage", "k=v");
    injectContext(response, { span });
    expect(response.getHeaders()).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
  });

  it("writes into a Fetch Request's headers, as into Headers and a plain object", () => {
    // A Request is no header object: fields set on it beside its `headers` never reach the wire.
    const stale = { traceparent: "stale", tracestate: "vendor=opaque", baggage: "k=v" };
    const withState = { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: TraceState.EMPTY.set("rojo", "1") };
    const bare = { traceId: TRACE, spanId: SPAN, traceFlags: 1 };
    for (const [span, baggage, expected] of [
      [withState, Baggage.EMPTY.set("tenant", "acme"), { traceparent: PARENT, tracestate: "rojo=1", baggage: "tenant=acme" }],
      [bare, undefined, { traceparent: PARENT }],
    ] as const) {
      const object: Record<string, string> = { ...stale };
      const headers = new Headers(stale);
      const request = new Request("http://127.0.0.1/orders", { headers: stale });
      for (const carrier of [object, headers, request]) injectContext(carrier, { span, ...(baggage ? { baggage } : {}) });
      expect(object).toEqual(expected);
      expect(Object.fromEntries(headers)).toEqual(expected);
      expect(Object.fromEntries(request.headers)).toEqual(expected);
      expect(Object.keys(request)).toEqual([]);
    }
  });

  it("leaves a carrier's fields alone when there is no span to propagate", () => {
    const carrier = { traceparent: PARENT, tracestate: "vendor=opaque", baggage: "k=v" };
    injectContext(carrier);
    expect(carrier).toEqual({ traceparent: PARENT, tracestate: "vendor=opaque", baggage: "k=v" });
  });

  it("round-trips through a JSON job payload", () => {
    const job = { metadata: {} as Record<string, string> };
    const sent = tracer.withSpan("producer", (span) => {
      injectContext(job.metadata);
      return span.spanContext();
    });
    const received = extractContext((JSON.parse(JSON.stringify(job)) as typeof job).metadata);
    // Sampled, and (Level 2) a trace id the SDK picked at random.
    expect(received.spanContext).toMatchObject({ traceId: sent.traceId, spanId: sent.spanId, traceFlags: 3, isRemote: true });
  });
});
