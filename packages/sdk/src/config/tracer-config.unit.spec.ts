// Configuration: the environment, options over it, and one clear error that
// names every bad value at construction.

import { describe, expect, it } from "vitest";
import { createTracingClient } from "../client/tracing-client.js";
import { createTracer } from "../trace/create-tracer.js";
import { resolveTracerConfig } from "./tracer-config.js";
import { TracingConfigError } from "./tracing-config-error.js";

describe("resolveTracerConfig", () => {
  it("has defaults for an empty environment", () => {
    const config = resolveTracerConfig({ env: {} });
    expect(config).toMatchObject({ enabled: true, sampleRate: 1, serviceName: "unknown_service:node", url: "http://127.0.0.1:7317", transport: "grpc", timeoutMs: 10_000, mode: "batch" });
    expect(config.batching).toMatchObject({ maxQueueSize: 10_000, maxBatchSize: 1024, flushIntervalMs: 200 });
  });

  it("reads the environment", () => {
    const config = resolveTracerConfig({
      env: {
        TRACING_ENABLED: "FALSE",
        TRACING_SAMPLE_RATE: "0.25",
        OTEL_SERVICE_NAME: "billing",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=a%20b",
        TRACELEDGER_URL: "https://traces.example:7318",
        TRACELEDGER_TRANSPORT: "connect",
        TRACELEDGER_HEADERS: "authorization=Bearer%20t0k,x-tenant=acme",
        TRACELEDGER_TIMEOUT_MS: "2500",
      },
    });
    expect(config).toMatchObject({ enabled: false, sampleRate: 0.25, serviceName: "billing", url: "https://traces.example:7318", transport: "connect", timeoutMs: 2500 });
    expect(config.headers).toEqual({ authorization: "Bearer t0k", "x-tenant": "acme" });
    expect(config.resourceAttributes).toMatchObject({ "service.name": "billing", "deployment.environment.name": "prod", team: "a b" });
  });

  it("names the service after service.name in OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is not set", () => {
    const config = resolveTracerConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: "service.name=billing,team=a" } });
    expect(config.serviceName).toBe("billing");
    expect(config.resourceAttributes).toMatchObject({ "service.name": "billing", team: "a" });
  });

  it("lets OTEL_SERVICE_NAME win over service.name in OTEL_RESOURCE_ATTRIBUTES, in the span and in the resource", () => {
    const config = resolveTracerConfig({ env: { OTEL_SERVICE_NAME: "billing", OTEL_RESOURCE_ATTRIBUTES: "service.name=other,deployment.environment=prod" } });
    expect(config.serviceName).toBe("billing");
    expect(config.resourceAttributes).toMatchObject({ "service.name": "billing", "deployment.environment": "prod" });
  });

  it("gives the resource the service name of the serviceName option, over any service.name attribute", () => {
    const config = resolveTracerConfig({
      serviceName: "mine",
      resourceAttributes: { "service.name": "in-code" },
      env: { OTEL_SERVICE_NAME: "env", OTEL_RESOURCE_ATTRIBUTES: "service.name=env-attributes" },
    });
    expect(config.serviceName).toBe("mine");
    expect(config.resourceAttributes["service.name"]).toBe("mine");
  });

  it("takes service.name from the resourceAttributes option when serviceName is not given: code wins over the environment", () => {
    const config = resolveTracerConfig({ resourceAttributes: { "service.name": "in-code" }, env: { OTEL_RESOURCE_ATTRIBUTES: "service.name=env-attributes" } });
    expect(config.serviceName).toBe("in-code");
    expect(config.resourceAttributes["service.name"]).toBe("in-code");
    expect(resolveTracerConfig({ resourceAttributes: { "service.name": "in-code" }, env: { OTEL_SERVICE_NAME: "env" } }).serviceName).toBe("in-code");
    expect(resolveTracerConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: "service.name=,team=a" } })).toMatchObject({ serviceName: "unknown_service:node", resourceAttributes: { "service.name": "unknown_service:node" } });
  });

  it("lets options win over the environment", () => {
    const config = resolveTracerConfig({ enabled: true, sampleRate: 1, serviceName: "mine", url: "http://localhost:1", env: { TRACING_ENABLED: "false", TRACING_SAMPLE_RATE: "0", OTEL_SERVICE_NAME: "env", TRACELEDGER_URL: "http://env:2" } });
    expect(config).toMatchObject({ enabled: true, sampleRate: 1, serviceName: "mine", url: "http://localhost:1" });
  });

  it("names the SDK and its version as the scope by default; a scope of your own has the version you give", () => {
    expect(resolveTracerConfig({ env: {} })).toMatchObject({ scopeName: "@traceledger/sdk", scopeVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(resolveTracerConfig({ env: {}, scopeName: "@acme/orders" })).toMatchObject({ scopeName: "@acme/orders", scopeVersion: "" });
    expect(resolveTracerConfig({ env: {}, scopeName: "@acme/orders", scopeVersion: "2.0.0" })).toMatchObject({ scopeVersion: "2.0.0" });
    expect(() => resolveTracerConfig({ env: {}, scopeVersion: 2 as never })).toThrow(/scopeVersion must be a string/);
  });

  it("accepts 1 and 0 for TRACING_ENABLED", () => {
    expect(resolveTracerConfig({ env: { TRACING_ENABLED: "0" } }).enabled).toBe(false);
    expect(resolveTracerConfig({ env: { TRACING_ENABLED: "1" } }).enabled).toBe(true);
  });

  it("names every bad value in one error", () => {
    let error: unknown;
    try {
      resolveTracerConfig({
        sampleRate: 1.5,
        serviceName: " ",
        url: "ftp://nope",
        transport: "carrier-pigeon" as "grpc",
        timeoutMs: -1,
        mode: "eventually" as "batch",
        batch: { maxQueueSize: 0, flushIntervalMs: 2.5, batchSizeRecheckMs: 0 },
        env: { TRACING_ENABLED: "maybe" },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TracingConfigError);
    const problems = (error as TracingConfigError).problems.join("\n");
    for (const name of ["sampleRate=1.5", "serviceName", "url=", "transport=", "timeoutMs=-1", "mode=", "batch.maxQueueSize=0", "batch.flushIntervalMs=2.5", "batch.batchSizeRecheckMs=0", "TRACING_ENABLED"]) {
      expect(problems).toContain(name);
    }
  });

  it("names the environment variable when a bad value came from it", () => {
    expect(() => resolveTracerConfig({ env: { TRACING_SAMPLE_RATE: "half" } })).toThrow(/TRACING_SAMPLE_RATE="half" must be a number between 0 and 1/);
    // Decimal notation only, as the server has it.
    for (const raw of ["0x1", "1e-3", "-0", "Infinity"]) expect(() => resolveTracerConfig({ env: { TRACING_SAMPLE_RATE: raw } })).toThrow(`TRACING_SAMPLE_RATE=${JSON.stringify(raw)}`);
    for (const [raw, rate] of [["0.25", 0.25], [".5", 0.5], ["1", 1], ["0", 0]] as const) expect(resolveTracerConfig({ env: { TRACING_SAMPLE_RATE: raw } }).sampleRate).toBe(rate);
    // The value as given, not what it parsed to.
    expect(() => resolveTracerConfig({ env: { TRACELEDGER_TIMEOUT_MS: "5s" } })).toThrow('TRACELEDGER_TIMEOUT_MS="5s" must be a whole number of milliseconds');
    expect(() => resolveTracerConfig({ env: { TRACELEDGER_TIMEOUT_MS: "0" } })).toThrow("TRACELEDGER_TIMEOUT_MS=0 must be");
    expect(() => resolveTracerConfig({ env: { TRACELEDGER_HEADERS: "novalue" } })).toThrow(/TRACELEDGER_HEADERS/);
  });

  it("goes to the server's port for the transport when no URL is given: gRPC's, or the HTTP port for connect", () => {
    expect(resolveTracerConfig({ env: {} }).url).toBe("http://127.0.0.1:7317");
    expect(resolveTracerConfig({ env: { TRACELEDGER_TRANSPORT: "connect" } }).url).toBe("http://127.0.0.1:7318");
    expect(resolveTracerConfig({ env: {}, transport: "connect" }).url).toBe("http://127.0.0.1:7318");
    expect(resolveTracerConfig({ env: { TRACELEDGER_TRANSPORT: "connect", TRACELEDGER_URL: "http://traceledger:9000" } }).url).toBe("http://traceledger:9000");
  });

  it("refuses a batch larger than the queue", () => {
    expect(() => resolveTracerConfig({ env: {}, batch: { maxQueueSize: 10, maxBatchSize: 20 } })).toThrow(/maxBatchSize/);
  });

  it("is checked when a tracer or a client is built", () => {
    expect(() => createTracer({ env: {}, sampleRate: -0.1 })).toThrow(TracingConfigError);
    expect(() => createTracingClient({ url: "not a url" })).toThrow(TracingConfigError);
    expect(() => createTracingClient({ url: "http://x", headers: { "bad header": "v" } })).toThrow(/invalid header/);
  });
});
