// One request through services in four languages, each with its stock gRPC
// library: gateway-ts (TypeScript, @traceledger/sdk) -> service-python
// (grpcio) -> service-go (grpc-go) -> service-java (grpc-java), all against one
// real traceledger. The trace must come out whole: one span per service, the
// parent chain exactly as called, statuses and errors where the services put
// them, and the live view (WatchTrace) showing each span start before its end.
// Python, Go and Java also record one span with their stock OpenTelemetry SDK over
// OTLP, which must land in the same trace under their lifecycle span.

import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SpanKind, SpanState, StatusCode, TraceState, type EventEnvelope, type Span, type Trace } from "@traceledger/proto";
import { createTracingClient, parseTraceparent, type TracingClient } from "@traceledger/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableChain } from "./support/polyglot-chain.js";
import { startService, type ServiceProcess } from "./support/service-process.js";
import { startTestServer, type TestServer } from "./support/traceledger.js";

const chain = availableChain();
const LIFECYCLE_SPAN = "GET /work";
const OTEL_SPAN = "prepare work";
/** How long after its trace completes a service's OpenTelemetry span may still arrive. */
const OTEL_SPAN_WAIT_MS = 20_000;

let traceledger: TestServer;
let reader: TracingClient;
const running: ServiceProcess[] = [];
let gatewayUrl: string;
let workDir: string | undefined;

beforeAll(async () => {
  traceledger = await startTestServer();
  const { grpcAddress, httpAddress } = traceledger.server;
  reader = createTracingClient({ url: `http://${grpcAddress}` });
  workDir = await mkdtemp(path.join(tmpdir(), "traceledger-polyglot-e2e-"));
  const commands = await Promise.all(chain.map((service) => service.prepare(workDir!)));
  // Last first: each service is given the URL of the one it calls.
  let nextUrl: string | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const service = chain[i]!;
    const env: Record<string, string> = { PORT: "0", TRACELEDGER_GRPC: grpcAddress, SERVICE_NAME: service.name, NEXT_URL: nextUrl ?? "" };
    if (service.otlpEndpoint) env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = service.otlpEndpoint({ grpc: grpcAddress, http: httpAddress });
    const started = await startService(service.name, commands[i]!, env);
    running.push(started);
    nextUrl = started.url;
  }
  gatewayUrl = nextUrl!;
}, 600_000);

afterAll(async () => {
  await Promise.all(running.map((service) => service.stop()));
  reader?.close();
  await traceledger?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface WorkAnswer {
  readonly service: string;
  readonly traceparent: string;
  readonly downstream: WorkAnswer | null;
}

describe(`one request through ${chain.map((s) => s.name).join(" -> ")}`, () => {
  let answer: WorkAnswer;
  let trace: Trace;
  let events: EventEnvelope[];

  beforeAll(async () => {
    const response = await fetch(`${gatewayUrl}/work`);
    expect(response.status, serviceOutput()).toBe(200);
    answer = (await response.json()) as WorkAnswer;
    const traceId = traceIdOf(answer.traceparent);
    events = await watchUntilCompleted(traceId);
    trace = await withEveryOtelSpan(traceId);
    // A span that came after the completion restated it: the watch goes on from where it ended.
    while (lastVersion(events) < trace.version) {
      const more = await watchUntilCompleted(traceId, lastVersion(events));
      if (more.length === 0) throw new Error(`WatchTrace of ${traceId} after version ${lastVersion(events)} ended with nothing, short of the trace's version ${trace.version}`);
      events.push(...more);
    }
  }, 90_000);

  it("answers through every service, each naming its own span in the same trace", () => {
    const answers = flatten(answer);
    expect(answers.map((a) => a.service)).toEqual(chain.map((s) => s.name));
    expect(new Set(answers.map((a) => traceIdOf(a.traceparent))).size).toBe(1);
    for (const a of answers) expect(lifecycleSpan(trace, a.service).traceparent).toBe(a.traceparent);
  });

  it("is one completed trace with exactly one lifecycle span per service, chained parent to child", () => {
    expect(trace.state).toBe(TraceState.COMPLETED);
    const lifecycle = trace.spans.filter((s) => s.name === LIFECYCLE_SPAN);
    expect(lifecycle.map((s) => s.serviceName).sort()).toEqual(chain.map((s) => s.name).sort());
    const spans = chain.map((s) => lifecycleSpan(trace, s.name));
    expect(spans[0]!.parentSpanId).toHaveLength(0); // the gateway's span is the root
    expect(hex(trace.rootSpanId)).toBe(hex(spans[0]!.spanId));
    for (let i = 1; i < spans.length; i++) {
      expect(hex(spans[i]!.parentSpanId), `${chain[i]!.name}'s parent`).toBe(hex(spans[i - 1]!.spanId));
      // The parent's start was stored before the child's call arrived.
      expect(spans[i]!.parentIsRemote, `${chain[i]!.name}'s parent is known`).toBe(false);
    }
    for (const span of spans) {
      expect(span, span.serviceName).toMatchObject({ kind: SpanKind.SERVER, state: SpanState.ENDED });
      expect(span.status?.code, span.serviceName).toBe(StatusCode.OK);
      expect(span.errors, span.serviceName).toEqual([]);
      expect(span.events.map((e) => e.name), span.serviceName).toContain("work.started");
    }
    expect(trace.errorCount).toBe(0);
  });

  it("has each stock OpenTelemetry span in the same trace under its service's lifecycle span", () => {
    const withOtel = chain.filter((s) => s.otlpEndpoint !== undefined);
    const otelSpans = trace.spans.filter((s) => s.name === OTEL_SPAN);
    expect(otelSpans.map((s) => s.serviceName).sort()).toEqual(withOtel.map((s) => s.name).sort());
    for (const service of withOtel) {
      const span = otelSpans.find((s) => s.serviceName === service.name)!;
      expect(hex(span.parentSpanId), `${service.name}'s OpenTelemetry span's parent`).toBe(hex(lifecycleSpan(trace, service.name).spanId));
      expect(span).toMatchObject({ kind: SpanKind.INTERNAL, state: SpanState.ENDED });
      // Exported means sampled, whether or not the exporter writes the W3C trace flags (Python's does not).
      expect(parseInt(span.traceparent.slice(-2), 16) & 1, `${service.name}'s OpenTelemetry span's traceparent ${span.traceparent} is sampled`).toBe(1);
    }
    expect(trace.spans).toHaveLength(chain.length + withOtel.length);
  });

  it("shows live, in WatchTrace from version 0, each span starting before it ends and every callee starting before its caller ends", () => {
    expect(events.map((e) => Number(e.streamVersion))).toEqual(events.map((_, i) => i + 1));
    const started = new Map<string, number>();
    const ended = new Map<string, number>();
    events.forEach((envelope, index) => {
      const event = envelope.event?.event;
      if (event?.case === "spanStarted") started.set(hex(event.value.spanId), index);
      if (event?.case === "spanEnded") ended.set(hex(event.value.spanId), index);
    });
    for (const span of trace.spans) {
      const id = hex(span.spanId);
      expect(started.has(id) && ended.has(id), `${span.serviceName} ${span.name} started and ended`).toBe(true);
      expect(started.get(id)!, `${span.serviceName} ${span.name}`).toBeLessThan(ended.get(id)!);
    }
    const spans = chain.map((s) => lifecycleSpan(trace, s.name));
    for (let i = 1; i < spans.length; i++) {
      expect(started.get(hex(spans[i]!.spanId))!, `${chain[i]!.name} started before ${chain[i - 1]!.name} ended`).toBeLessThan(
        ended.get(hex(spans[i - 1]!.spanId))!,
      );
    }
    expect(events.at(-1)?.event?.event.case).toBe("traceCompleted");
  });
});

describe.each(chain.map((s) => [s.name]))("a request asked to fail in %s", (failing) => {
  const at = chain.findIndex((s) => s.name === failing);
  let status: number;
  let trace: Trace;

  beforeAll(async () => {
    const response = await fetch(`${gatewayUrl}/work?fail=${failing}`);
    status = response.status;
    await response.body?.cancel();
    // The failing request's answer carries no traceparent; the gateway's span has it in a header.
    const traceId = traceIdOf(response.headers.get("traceparent") ?? "");
    await watchUntilCompleted(traceId);
    trace = (await reader.getTrace({ traceId: Buffer.from(traceId, "hex") })).trace!;
  }, 60_000);

  it("answers 500 from the failing service, 502 from every service above it", () => {
    expect(status, serviceOutput()).toBe(at === 0 ? 500 : 502);
  });

  it("records the error on the failing span and marks it and every span above it ERROR, the ones below OK", () => {
    const failed = lifecycleSpan(trace, failing);
    expect(failed.errors.map((e) => [e.errorType, e.message])).toEqual([["WorkFailed", `${failing} was asked to fail`]]);
    chain.forEach((service, i) => {
      const span = lifecycleSpan(trace, service.name);
      expect(span.status?.code, service.name).toBe(i <= at ? StatusCode.ERROR : StatusCode.OK);
      if (i !== at) expect(span.errors, service.name).toEqual([]);
      if (i < at) expect(span.status?.message, service.name).toBe(`downstream failed: ${i === at - 1 ? 500 : 502}`);
    });
    expect(trace.errorCount).toBeGreaterThanOrEqual(1);
  });
});

describe("a request whose caller did not sample it (trace-flags 00)", () => {
  it("goes through every service with flags 00, each with its own span id, and leaves no trace in traceledger", async () => {
    const traceId = randomBytes(16).toString("hex");
    const unsampled = `00-${traceId}-${randomBytes(8).toString("hex")}-00`;
    const response = await fetch(`${gatewayUrl}/work`, { headers: { traceparent: unsampled } });
    expect(response.status, serviceOutput()).toBe(200);
    const answers = flatten((await response.json()) as WorkAnswer);
    expect(answers.map((a) => a.service)).toEqual(chain.map((s) => s.name));
    for (const a of answers) expect(a.traceparent, a.service).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    expect(new Set([unsampled, ...answers.map((a) => a.traceparent)]).size).toBe(answers.length + 1);

    // Each service sends its span calls in order: once a later, sampled request's trace has
    // completed, any call the unsampled request made would have arrived before it.
    const sampled = (await (await fetch(`${gatewayUrl}/work`)).json()) as WorkAnswer;
    await watchUntilCompleted(traceIdOf(sampled.traceparent));
    const lookup = await reader.getTrace({ traceId: Buffer.from(traceId, "hex") }).then(
      ({ trace }) => `found with ${trace?.spans.map((s) => s.serviceName).join(", ")}`,
      (error: { code?: unknown }) => error.code,
    );
    expect(lookup, serviceOutput()).toBe(5); // gRPC NOT_FOUND
  }, 60_000);
});

function lifecycleSpan(trace: Trace, service: string): Span {
  const matches = trace.spans.filter((s) => s.name === LIFECYCLE_SPAN && s.serviceName === service);
  if (matches.length !== 1) throw new Error(`expected one "${LIFECYCLE_SPAN}" span of ${service}, found ${matches.length}: ${trace.spans.map((s) => `${s.serviceName}/${s.name}`).join(", ")}`);
  return matches[0]!;
}

/** The trace's events after `afterVersion` until TraceCompleted (the stream ends there). */
async function watchUntilCompleted(traceId: string, afterVersion = 0n): Promise<EventEnvelope[]> {
  const events: EventEnvelope[] = [];
  const signal = AbortSignal.timeout(30_000);
  try {
    for await (const { event } of reader.watchTrace({ traceId: Buffer.from(traceId, "hex"), afterVersion }, { signal, timeoutMs: 30_000 })) {
      if (event) events.push(event);
    }
  } catch (error) {
    throw new Error(`WatchTrace of ${traceId} after version ${afterVersion} did not reach TraceCompleted (${events.length} events):\n${serviceOutput()}`, { cause: error });
  }
  return events;
}

/**
 * The trace once every OpenTelemetry span of the chain is in it. The trace completes when its
 * lifecycle spans end, and a span exported after that is still kept (its completion restated):
 * a service waits only so long for its export (500 ms), which a cold JVM on a busy machine outlasts.
 */
async function withEveryOtelSpan(traceId: string): Promise<Trace> {
  const deadline = performance.now() + OTEL_SPAN_WAIT_MS;
  for (;;) {
    const trace = (await reader.getTrace({ traceId: Buffer.from(traceId, "hex") })).trace!;
    const missing = chain.filter((s) => s.otlpEndpoint !== undefined && !trace.spans.some((span) => span.name === OTEL_SPAN && span.serviceName === s.name));
    if (missing.length === 0) return trace;
    if (performance.now() > deadline) {
      const has = trace.spans.map((s) => `${s.serviceName}/${s.name}`).join(", ");
      throw new Error(`no "${OTEL_SPAN}" span of ${missing.map((s) => s.name).join(", ")} in trace ${traceId} ${OTEL_SPAN_WAIT_MS} ms after it completed (it has ${has}):\n${serviceOutput()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function lastVersion(events: readonly EventEnvelope[]): bigint {
  return events.at(-1)?.streamVersion ?? 0n;
}

function flatten(answer: WorkAnswer | null): WorkAnswer[] {
  return answer ? [answer, ...flatten(answer.downstream)] : [];
}

function traceIdOf(traceparent: string): string {
  const parsed = parseTraceparent(traceparent);
  if (!parsed.ok) throw new Error(`not a traceparent: ${JSON.stringify(traceparent)} (${parsed.reason})`);
  return parsed.value.traceId;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function serviceOutput(): string {
  return running.map((s) => `--- ${s.name}\n${s.output()}`).join("\n");
}
