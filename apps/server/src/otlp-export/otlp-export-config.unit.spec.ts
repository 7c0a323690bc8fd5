// The exporter's settings through the server's loadConfig, as a deployment sets them.

import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig } from "../config/server-config.js";
import { OTLP_EXPORT_SETTINGS } from "./otlp-export-config.js";

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

describe("OTLP export settings", () => {
  it("leave export off by default, so a development server does not retry a closed port 4318 forever", () => {
    const { otlpExport } = loadConfig({});
    expect(otlpExport).toMatchObject({
      enabled: false,
      endpoint: "http://localhost:4318/v1/traces",
      protocol: "http/protobuf",
      headers: {},
      compression: "none",
      timeoutMs: 10_000,
      maxBatchSpans: 512,
      maxDelayMs: 1000,
      retryInitialMs: 1000,
      retryMaxMs: 30_000,
      leaseTtlMs: 15_000,
      sampling: { rate: 1, keepErrors: true, slowTraceMs: 5000 },
    });
  });

  it("turn export on with an endpoint, or with OTLP_EXPORT_ENABLED=true at the default endpoint", () => {
    expect(loadConfig({ OTLP_ENDPOINT: "http://collector:4318/v1/traces" }).otlpExport).toMatchObject({ enabled: true, endpoint: "http://collector:4318/v1/traces" });
    expect(loadConfig({ OTLP_EXPORT_ENABLED: "true" }).otlpExport).toMatchObject({ enabled: true, endpoint: "http://localhost:4318/v1/traces" });
    expect(loadConfig({ OTLP_EXPORT_ENABLED: "true", OTLP_PROTOCOL: "grpc" }).otlpExport).toMatchObject({ enabled: true, endpoint: "http://localhost:4317" });
  });

  it("stay off when TRACING_ENABLED=false or OTLP_EXPORT_ENABLED=false, whatever the endpoint", () => {
    expect(loadConfig({ OTLP_ENDPOINT: "http://c:4318/v1/traces", TRACING_ENABLED: "false" }).otlpExport.enabled).toBe(false);
    expect(loadConfig({ OTLP_ENDPOINT: "http://c:4318/v1/traces", OTLP_EXPORT_ENABLED: "false" }).otlpExport.enabled).toBe(false);
  });

  it("prefer our names to the standard ones, and append /v1/traces to the standard base endpoint for HTTP only", () => {
    expect(loadConfig({ OTLP_ENDPOINT: "http://a:1/x", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:2/y" }).otlpExport.endpoint).toBe("http://a:1/x");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:2/y", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:3" }).otlpExport.endpoint).toBe("http://b:2/y");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://c:3/otlp/" }).otlpExport.endpoint).toBe("https://c:3/otlp/v1/traces");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).otlpExport).toMatchObject({ endpoint: "http://c:4317/", protocol: "grpc" });
    expect(loadConfig({ OTLP_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).otlpExport.protocol).toBe("http/protobuf");
    expect(loadConfig({ OTLP_HEADERS: "a=1", OTEL_EXPORTER_OTLP_HEADERS: "b=2" }).otlpExport.headers).toEqual({ a: "1" });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: "b=two%20words" }).otlpExport.headers).toEqual({ b: "two words" });
  });

  it("take the specification's signal-specific names (TRACES_*) over its general ones, and ours over both", () => {
    const traces = { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "t=1", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "2500" };
    const general = { OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_EXPORTER_OTLP_HEADERS: "g=1", OTEL_EXPORTER_OTLP_TIMEOUT: "7000" };
    expect(loadConfig({ ...traces, ...general }).otlpExport).toMatchObject({ protocol: "grpc", headers: { t: "1" }, timeoutMs: 2500 });
    expect(loadConfig(general).otlpExport).toMatchObject({ protocol: "http/protobuf", headers: { g: "1" }, timeoutMs: 7000 });
    expect(loadConfig({ ...traces, OTLP_PROTOCOL: "http/protobuf", OTLP_HEADERS: "o=1" }).otlpExport).toMatchObject({ protocol: "http/protobuf", headers: { o: "1" } });
    expect(loadConfig({}).otlpExport.timeoutMs).toBe(10_000);
    expect(problems({ OTLP_EXPORT_ENABLED: "true", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "soon", OTEL_EXPORTER_OTLP_TIMEOUT: "5" })).toContain('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="soon"');
  });

  it("compress with gzip or none (case aside), ours before TRACES_ before the general name, none when unset", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }).otlpExport.compression).toBe("gzip");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "GZIP" }).otlpExport.compression).toBe("gzip");
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "none", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }).otlpExport.compression).toBe("none");
    expect(loadConfig({ OTLP_COMPRESSION: "gzip", OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "none", OTEL_EXPORTER_OTLP_COMPRESSION: "none" }).otlpExport.compression).toBe("gzip");
    expect(loadConfig({ OTLP_COMPRESSION: " ", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }).otlpExport.compression).toBe("gzip");
    expect(loadConfig({ OTLP_PROTOCOL: "grpc", OTLP_COMPRESSION: "gzip" }).otlpExport).toMatchObject({ protocol: "grpc", compression: "gzip" });
  });

  it("refuse a compression other than gzip or none, naming the variable that was read", () => {
    const on = { OTLP_EXPORT_ENABLED: "true" };
    expect(problems({ ...on, OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" })).toContain('OTEL_EXPORTER_OTLP_COMPRESSION="zstd" must be gzip or none');
    expect(problems({ ...on, OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "deflate", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" })).toContain('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION="deflate" must be gzip or none');
    expect(problems({ ...on, OTLP_COMPRESSION: "yes" })).toContain('OTLP_COMPRESSION="yes" must be gzip or none');
  });

  it("sample at TRACING_SAMPLE_RATE unless OTLP_EXPORT_SAMPLE_RATE says otherwise", () => {
    expect(loadConfig({ TRACING_SAMPLE_RATE: "0.2" }).otlpExport.sampling.rate).toBe(0.2);
    expect(loadConfig({ TRACING_SAMPLE_RATE: "0.2", OTLP_EXPORT_SAMPLE_RATE: "0.05" }).otlpExport.sampling.rate).toBe(0.05);
    expect(loadConfig({ OTLP_EXPORT_KEEP_ERRORS: "false", OTLP_EXPORT_SLOW_TRACE_MS: "0" }).otlpExport.sampling).toMatchObject({ keepErrors: false, slowTraceMs: 0 });
  });

  it("refuse bad values, each named with what it got and what it accepts", () => {
    const message = problems({
      OTLP_ENDPOINT: "collector:4318",
      OTLP_PROTOCOL: "http/json",
      OTLP_HEADERS: "authorization",
      OTLP_EXPORT_SAMPLE_RATE: "1.5",
      OTLP_EXPORT_MAX_BATCH_SPANS: "0",
      OTLP_EXPORT_RETRY_INITIAL_MS: "5000",
      OTLP_EXPORT_RETRY_MAX_MS: "100",
      OTEL_EXPORTER_OTLP_TIMEOUT: "soon",
    });
    for (const fragment of [
      'OTLP_ENDPOINT="collector:4318" must be an http:// or https:// URL',
      "OTLP_PROTOCOL=http/json is not supported for export",
      'OTLP_HEADERS is not a list of key=value pairs: entry 1 is not key=value',
      'OTLP_EXPORT_SAMPLE_RATE="1.5" must be a number from 0 to 1 in decimal notation',
      'OTLP_EXPORT_MAX_BATCH_SPANS="0" is not a whole number between 1 and 100000',
      "OTLP_EXPORT_RETRY_MAX_MS (100) must not be below OTLP_EXPORT_RETRY_INITIAL_MS (5000)",
      'OTEL_EXPORTER_OTLP_TIMEOUT="soon"',
    ]) {
      expect(message).toContain(fragment);
    }
    expect(problems({ OTLP_EXPORT_ENABLED: "true", OTEL_EXPORTER_OTLP_PROTOCOL: "thrift" })).toContain('OTEL_EXPORTER_OTLP_PROTOCOL="thrift" must be http/protobuf or grpc');
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" })).toContain('OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is not a URL');
    expect(problems({ OTLP_EXPORT_ENABLED: "maybe" })).toContain('OTLP_EXPORT_ENABLED="maybe" must be true or false');
    // Decimal notation only, as TRACING_SAMPLE_RATE: what Number() would also read is refused.
    for (const raw of ["0x1", "1e-3", "Infinity", "-0"]) {
      expect(problems({ OTLP_EXPORT_ENABLED: "true", OTLP_EXPORT_SAMPLE_RATE: raw })).toContain(`OTLP_EXPORT_SAMPLE_RATE=${JSON.stringify(raw)} must be a number from 0 to 1`);
    }
  });

  it("refuse over grpc the header names gRPC metadata cannot carry, and HTTP/1 connection headers, naming the variable that was read", () => {
    const grpc = { OTLP_PROTOCOL: "grpc", OTLP_ENDPOINT: "http://collector:4317" };
    expect(problems({ ...grpc, OTLP_HEADERS: "x-tenant|id=acme,x-ok=1" })).toContain(
      'OTLP_HEADERS has headers grpc export cannot send: "x-tenant|id" is not a gRPC metadata key (only a-z, 0-9, "-", "_" and ".")',
    );
    expect(problems({ ...grpc, OTEL_EXPORTER_OTLP_HEADERS: "api~key=1,x*y=2" })).toContain(
      'OTEL_EXPORTER_OTLP_HEADERS has headers grpc export cannot send: "api~key" is not a gRPC metadata key (only a-z, 0-9, "-", "_" and "."); "x*y" is not a gRPC metadata key',
    );
    expect(problems({ ...grpc, OTLP_HEADERS: "connection=close" })).toContain('"connection" is an HTTP/1 connection header, which HTTP/2 (gRPC) cannot send');
    expect(problems({ ...grpc, OTLP_HEADERS: "content-length=10" })).toContain(`"content-length" is the exporter's own`);
    // What grpc-js takes: lower-case letters (names are case-insensitive), digits, - _ . and binary -bin keys.
    expect(loadConfig({ ...grpc, OTLP_HEADERS: "X-Tenant.Id_2=acme,x-trace-bin=abc" }).otlpExport.headers).toEqual({ "x-tenant.id_2": "acme", "x-trace-bin": "abc" });
    // Over HTTP the same name is a valid header.
    expect(loadConfig({ OTLP_ENDPOINT: "http://collector:4318/v1/traces", OTLP_HEADERS: "x-tenant|id=acme" }).otlpExport.headers).toEqual({ "x-tenant|id": "acme" });
    // Not when export does not run.
    expect(loadConfig({ ...grpc, OTLP_EXPORT_ENABLED: "false", OTLP_HEADERS: "x-tenant|id=acme" }).otlpExport.enabled).toBe(false);
  });

  it.each(["expect=100-continue", "transfer-encoding=chunked", "keep-alive=timeout%3D5", "upgrade=h2c", "Connection=upgrade", "content-length=10"])(
    "refuse over http/protobuf a header Node's fetch will not send (%s)",
    (header) => {
      const name = header.split("=")[0]!.toLowerCase();
      expect(problems({ OTLP_ENDPOINT: "http://collector:4318/v1/traces", OTLP_HEADERS: header })).toMatch(
        new RegExp(`OTLP_HEADERS has headers http/protobuf export cannot send: "${name}" (is a header Node's fetch refuses to send|can only be close or keep-alive|is the exporter's own)`),
      );
    },
  );

  it("refuse over http/protobuf a Host, which Node's fetch silently replaces with the endpoint's", () => {
    expect(problems({ OTLP_ENDPOINT: "http://collector:4318/v1/traces", OTLP_HEADERS: "Host=tenant.collector.example" })).toContain(
      `OTLP_HEADERS has headers http/protobuf export cannot send: "host" is replaced by Node's fetch with the endpoint's host (name the host in OTLP_ENDPOINT)`,
    );
  });

  it("take connection: close or keep-alive over http/protobuf, which fetch sends", () => {
    expect(loadConfig({ OTLP_ENDPOINT: "http://collector:4318/v1/traces", OTLP_HEADERS: "connection=Close" }).otlpExport.headers).toEqual({ connection: "Close" });
  });

  it("check the other settings only when export runs: an environment shared with OpenTelemetry SDKs must not stop a server that exports nothing", () => {
    const shared = { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_COMPRESSION: "zstd", OTEL_EXPORTER_OTLP_TIMEOUT: "soon" };
    expect(loadConfig(shared).otlpExport.enabled).toBe(false);
    expect(loadConfig({ ...shared, OTLP_EXPORT_ENABLED: "false", OTLP_ENDPOINT: "http://collector:4318/v1/traces" }).otlpExport.enabled).toBe(false);
    expect(loadConfig({ ...shared, TRACING_ENABLED: "false", OTLP_ENDPOINT: "http://collector:4318/v1/traces" }).otlpExport.enabled).toBe(false);
    // Once export runs, they are what it would use: refused.
    const message = problems({ ...shared, OTLP_ENDPOINT: "http://collector:4318/v1/traces" });
    for (const name of Object.keys(shared)) expect(message).toContain(name);
  });

  it("send credentials in the endpoint's URL as HTTP Basic authorization, and keep them out of the stored endpoint", () => {
    const basic = (userPass: string) => `Basic ${Buffer.from(userPass, "utf8").toString("base64")}`;
    expect(loadConfig({ OTLP_ENDPOINT: "http://svc:S3CRETPW@collector:4318/v1/traces", OTLP_HEADERS: "x-tenant=acme" }).otlpExport).toMatchObject({
      enabled: true,
      endpoint: "http://collector:4318/v1/traces",
      headers: { "x-tenant": "acme", authorization: basic("svc:S3CRETPW") },
    });
    // Percent-decoded, as ALERT_WEBHOOK_URL's; over grpc too (grpc-js would drop them without a word).
    expect(loadConfig({ OTLP_PROTOCOL: "grpc", OTLP_ENDPOINT: "https://me%40corp:p%3Aw%2Fd@collector:4317" }).otlpExport).toMatchObject({
      endpoint: "https://collector:4317/",
      headers: { authorization: basic("me@corp:p:w/d") },
    });
    // The standard names too; the base endpoint still gets /v1/traces.
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://u:pw@c:4318/x" }).otlpExport).toMatchObject({ endpoint: "http://c:4318/x", headers: { authorization: basic("u:pw") } });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://u@c:4318/otlp" }).otlpExport).toMatchObject({ endpoint: "http://c:4318/otlp/v1/traces", headers: { authorization: basic("u:") } });
    expect(loadConfig({ OTLP_ENDPOINT: "http://collector:4318/v1/traces" }).otlpExport.headers).toEqual({});
  });

  it("refuse credentials in the endpoint together with an authorization header, naming both variables and echoing neither secret", () => {
    const message = problems({ OTLP_ENDPOINT: "http://svc:S3CRETPW@collector:4318/v1/traces", OTLP_HEADERS: "Authorization=Bearer%20tok_SECRET" });
    expect(message).toContain("OTLP_ENDPOINT has credentials (user:password@), sent as an authorization header, and OTLP_HEADERS sets authorization too");
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://u:pw@c:4318", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "authorization=x" })).toContain(
      "OTEL_EXPORTER_OTLP_ENDPOINT has credentials (user:password@), sent as an authorization header, and OTEL_EXPORTER_OTLP_TRACES_HEADERS sets authorization too",
    );
    const bad = [
      message,
      problems({ OTLP_ENDPOINT: "ftp://svc:S3CRETPW@collector:21/x" }),
      problems({ OTLP_ENDPOINT: "svc:S3CRETPW@collector:4318" }),
      problems({ OTLP_ENDPOINT: "http://svc:S3CRETPW@collector:43189999/v1/traces" }),
      problems({ OTLP_ENDPOINT: "http://svc:S3CRET%ZZ@collector:4318/v1/traces" }),
    ];
    for (const text of bad) expect(text).not.toMatch(/S3CRET|tok_SECRET/);
    expect(bad[1]).toContain('OTLP_ENDPOINT="ftp://***@collector:21/x" must be an http:// or https:// URL');
    expect(bad[3]).toContain('OTLP_ENDPOINT="http://***@collector:43189999/v1/traces" is not a URL');
    expect(bad[4]).toContain("OTLP_ENDPOINT has a user name or password with a malformed percent-encoding");
  });

  it("never echo a mistyped OTLP_HEADERS' value, only the entry's position and what looks like its name", () => {
    const message = problems({ OTLP_ENDPOINT: "http://collector:4318/v1/traces", OTLP_HEADERS: "Authorization: Bearer tok_SECRET123" });
    expect(message).toContain('OTLP_HEADERS is not a list of key=value pairs: entry 1 ("Authorization") is not key=value');
    expect(message).not.toContain("tok_SECRET123");
    // A comma inside the token splits it: the tail is not echoed either.
    const split = problems({ OTLP_ENDPOINT: "http://collector:4318/v1/traces", OTLP_HEADERS: "authorization=Bearer%20tok_A,SECRET_TAIL" });
    expect(split).toContain("entry 2 is not key=value");
    expect(split).not.toContain("SECRET_TAIL");
  });

  it("are all listed in --help", () => {
    const help = helpText();
    for (const setting of OTLP_EXPORT_SETTINGS) expect(help).toContain(setting.name);
  });
});
