// Attribute values nest arrays and maps inside each other; past the depth
// limit a command is refused for it (INVALID_ARGUMENT, INVALID_ATTRIBUTE), and
// a request nested deep enough to exhaust a recursive decoder's stack is
// refused as malformed, on every door of the lifecycle API. Nothing of it is
// stored, and the other traces of a batch are not failed with it (before, such
// a value failed the whole group commit as a retryable STORE_UNAVAILABLE). Over
// OTLP such an attribute is invalid, as one with an empty key is: left out of
// its span and counted as dropped, the span and the request stored.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { credentials, Client, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { AnyValueSchema, KeyValueSchema, TracingService, type AnyValue, type KeyValue } from "@traceledger/proto";
import { ExportTraceServiceRequestSchema, OtlpKeyValueSchema, OtlpTraceService } from "@traceledger/proto/otlp";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { MAX_ATTRIBUTE_DEPTH } from "../../src/domain/trace/span-validation.js";
import { connectError, grpcJsError } from "./support/error-details.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { serverPerFile } from "./support/server-per-file.js";
import { lengthDelimited } from "../support/protobuf-field.js";

const e2e = serverPerFile();

function nested(depth: number): KeyValue {
  let value: AnyValue = create(AnyValueSchema, { value: { case: "stringValue", value: "bottom" } });
  for (let i = 1; i < depth; i++) value = create(AnyValueSchema, { value: { case: "arrayValue", value: { values: [value] } } });
  return create(KeyValueSchema, { key: "deep", value });
}

/** A value nesting `depth` maps, each level three messages for a decoder (AnyValue, KeyValueList, KeyValue). */
function nestedMap(depth: number, key = "deep"): KeyValue {
  let value: AnyValue = create(AnyValueSchema, { value: { case: "stringValue", value: "bottom" } });
  for (let i = 1; i < depth; i++) value = create(AnyValueSchema, { value: { case: "kvlistValue", value: { values: [{ key: "k", value }] } } });
  return create(KeyValueSchema, { key, value });
}

/** The same as OTLP/JSON writes it. */
function nestedMapJson(depth: number, bottom = `{"stringValue":"bottom"}`): string {
  let value = bottom;
  for (let i = 1; i < depth; i++) value = `{"kvlistValue":{"values":[{"key":"k","value":${value}}]}}`;
  return value;
}

/**
 * The deepest value decode-recursion-limit.ts promises every door still reads (so that the
 * domain, not the decoder, refuses it): maps MAX_ATTRIBUTE_DEPTH + 8 levels deep, the innermost
 * holding a key without a value, so that every level is all three of its messages.
 */
const DEEPEST_READ = MAX_ATTRIBUTE_DEPTH + 8;
function deepestReadMap(): KeyValue {
  let value: AnyValue = create(AnyValueSchema, { value: { case: "kvlistValue", value: { values: [{ key: "k" }] } } });
  for (let i = 1; i < DEEPEST_READ; i++) value = create(AnyValueSchema, { value: { case: "kvlistValue", value: { values: [{ key: "k", value }] } } });
  return create(KeyValueSchema, { key: "deep", value });
}
const deepestReadMapJson = () => nestedMapJson(DEEPEST_READ, `{"kvlistValue":{"values":[{"key":"k"}]}}`);

/** Just past the limit, and past it by enough that a decoder's default nesting limit is passed on every door. */
const PAST_THE_LIMIT = [MAX_ATTRIBUTE_DEPTH + 1, MAX_ATTRIBUTE_DEPTH + 8];

function connectClients<S extends typeof TracingService | typeof OtlpTraceService>(service: S) {
  const transport = (useBinaryFormat: boolean) => createConnectTransport({ baseUrl: `http://${e2e.server.httpAddress}`, httpVersion: "1.1", useBinaryFormat });
  return [
    ["Connect JSON", createClient(service, transport(false))],
    ["Connect binary", createClient(service, transport(true))],
  ] as const;
}

/** Written by hand: protobuf-es's own writer would run out of stack at these depths. */
const field = lengthDelimited;

/** A StartSpanRequest whose one attribute nests `depth` arrays. */
function deepStartSpan(traceId: Buffer, spanId: Buffer, depth: number): Buffer {
  let value = field(0x0a, Buffer.from("bottom"));
  for (let i = 1; i < depth; i++) value = field(0x2a, field(0x0a, value));
  const attribute = Buffer.concat([field(0x0a, Buffer.from("deep")), field(0x12, value)]);
  // trace_id 1, span_id 2, name 7, service_name 9, attributes 11 (tracing_service.proto)
  return Buffer.concat([field(0x0a, traceId), field(0x12, spanId), field(0x3a, Buffer.from("deep")), field(0x4a, Buffer.from("depth")), field(0x5a, attribute)]);
}

function rawUnary(method: string, body: Buffer): Promise<ServiceError | Buffer> {
  const client = new Client(e2e.server.grpcAddress, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/traceledger.v1.TracingService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      new Metadata(),
      (error, response) => {
        client.close();
        resolve(error ?? response!);
      },
    );
  });
}

describe("attribute values nested too deep", () => {
  it("are refused for the command alone, at the limit accepted", async () => {
    const ok = await e2e.client.startTrace({ name: "at the limit", serviceName: "depth", attributes: [nested(MAX_ATTRIBUTE_DEPTH)] });
    expect(ok.traceVersion).toBe(2n);
    const refused = await e2e.client.startTrace({ name: "past it", serviceName: "depth", attributes: [nested(MAX_ATTRIBUTE_DEPTH + 1)] }).catch((e: unknown) => e);
    expect(connectError(refused)).toMatchObject({ code: "invalid_argument", reason: "INVALID_ATTRIBUTE" });
  });

  it("in a batch, fail only their command", async () => {
    const traceId = newTraceId();
    const results = (
      await e2e.client.ingestBatch({
        commands: [
          { command: { case: "startTrace", value: { traceId, name: "fine", serviceName: "depth" } } },
          { command: { case: "startSpan", value: { traceId: newTraceId(), spanId: newSpanId(), name: "deep", serviceName: "depth", attributes: [nested(MAX_ATTRIBUTE_DEPTH + 3)] } } },
        ],
      })
    ).results;
    expect(results.map((r) => r.result.case)).toEqual(["startTrace", "error"]);
    expect(results[1]!.result.value).toMatchObject({ reason: "INVALID_ATTRIBUTE" });
    expect((await e2e.client.getTrace({ traceId })).trace!.spans.map((s) => s.name)).toEqual(["fine"]);
  });

  it.each(["gRPC", "Connect JSON", "Connect binary"])("of maps, in a batch over %s, fail only their command", async (door) => {
    const client = door === "gRPC" ? e2e.client : connectClients(TracingService).find(([name]) => name === door)![1];
    const [traceId, rootId] = [newTraceId(), newSpanId()];
    const deep = (depth: number) => ({
      command: { case: "startSpan" as const, value: { traceId, spanId: newSpanId(), parentSpanId: rootId, name: `deep ${depth}`, serviceName: "depth", attributes: [nestedMap(depth)] } },
    });
    // A link's attributes are the deepest place a value can be in a lifecycle request.
    const deepLink = {
      command: {
        case: "startSpan" as const,
        value: { traceId, spanId: newSpanId(), parentSpanId: rootId, name: "deep link", serviceName: "depth", links: [{ traceId: newTraceId(), spanId: newSpanId(), attributes: [deepestReadMap()] }] },
      },
    };
    const results = (
      await client.ingestBatch({
        commands: [
          { command: { case: "startTrace", value: { traceId, spanId: rootId, name: "fine", serviceName: "depth" } } },
          ...PAST_THE_LIMIT.map(deep),
          deepLink,
          { command: { case: "startSpan", value: { traceId, spanId: newSpanId(), parentSpanId: rootId, name: "at the limit", serviceName: "depth", attributes: [nestedMap(MAX_ATTRIBUTE_DEPTH)] } } },
        ],
      })
    ).results;
    expect(results.map((r) => (r.result.case === "error" ? r.result.value.reason : r.result.case))).toEqual(["startTrace", "INVALID_ATTRIBUTE", "INVALID_ATTRIBUTE", "INVALID_ATTRIBUTE", "startSpan"]);
    expect((await e2e.client.getTrace({ traceId })).trace!.spans.map((s) => s.name).sort()).toEqual(["at the limit", "fine"]);
  });

  it("deep enough to exhaust a decoder's stack, are INVALID_ARGUMENT over raw gRPC, and nothing is stored", async () => {
    const traceId = newTraceId();
    const answer = await rawUnary("StartSpan", deepStartSpan(traceId, newSpanId(), 5_000));
    expect(answer).toBeInstanceOf(Error);
    const error = answer as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(grpcJsError(error).code).not.toBe("internal");
    const read = await e2e.client.getTrace({ traceId }).catch((e: unknown) => e);
    expect(connectError(read)).toMatchObject({ code: "not_found" });
  });

  it("over OTLP, are left out of their span and counted as dropped; the request and its other spans are stored", async () => {
    const traceId = newTraceId();
    const [good, deep] = [newSpanId(), newSpanId()];
    // traceledger's KeyValue and OTLP's are the same on the wire.
    const otlp = (kv: KeyValue) => fromBinary(OtlpKeyValueSchema, toBinary(KeyValueSchema, kv));
    const span = (spanId: Buffer, attributes: KeyValue[]) => ({ traceId, spanId, name: "op", kind: 2, startTimeUnixNano: 1_764_000_000_000_000_000n, endTimeUnixNano: 1_764_000_000_001_000_000n, attributes: attributes.map(otlp) });
    const kept = create(KeyValueSchema, { key: "kept", value: { value: { case: "stringValue", value: "yes" } } });
    const body = toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, { resourceSpans: [{ scopeSpans: [{ spans: [span(good, [kept]), { ...span(deep, [nested(MAX_ATTRIBUTE_DEPTH + 1), kept]), parentSpanId: good }] }] }] }),
    );
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body });
    expect(response.status).toBe(200);
    const spans = (await e2e.client.getTrace({ traceId })).trace!.spans;
    const byId = new Map(spans.map((s) => [Buffer.from(s.spanId).toString("hex"), s]));
    expect(spans).toHaveLength(2);
    const stored = byId.get(deep.toString("hex"))!;
    expect([stored.attributes.map((kv) => kv.key), stored.limitedAttributesCount]).toEqual([["kept"], 1]);
  });

  /** One span per depth past the limit, each with the deep attribute and a kept one; what was stored of each. */
  async function storedPerDepth(traceId: Buffer, spanIds: Buffer[]) {
    const spans = (await e2e.client.getTrace({ traceId })).trace!.spans;
    return spanIds.map((id) => {
      const stored = spans.find((s) => Buffer.from(s.spanId).equals(id));
      return stored && [stored.attributes.map((kv) => kv.key), stored.limitedAttributesCount];
    });
  }

  it("of maps, over OTLP/JSON, are left out of their span and counted as dropped", async () => {
    const traceId = newTraceId();
    const spanIds = PAST_THE_LIMIT.map(() => newSpanId());
    const spans = PAST_THE_LIMIT.map(
      (depth, i) =>
        `{"traceId":"${traceId.toString("hex")}","spanId":"${spanIds[i]!.toString("hex")}",${i > 0 ? `"parentSpanId":"${spanIds[0]!.toString("hex")}",` : ""}"name":"op","kind":2,"startTimeUnixNano":"1764000000000000000","endTimeUnixNano":"1764000000001000000",` +
        `"attributes":[{"key":"deep","value":${nestedMapJson(depth)}},{"key":"kept","value":{"stringValue":"yes"}}]}`,
    );
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[${spans.join(",")}]}]}]}`;
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect([response.status, await response.text()]).toEqual([200, "{}"]);
    expect(await storedPerDepth(traceId, spanIds)).toEqual(PAST_THE_LIMIT.map(() => [["kept"], 1]));
  });

  it.each(["Connect JSON", "Connect binary"])("of maps, over OTLP on %s, are left out of their span and counted as dropped", async (door) => {
    const client = connectClients(OtlpTraceService).find(([name]) => name === door)![1];
    const traceId = newTraceId();
    const spanIds = PAST_THE_LIMIT.map(() => newSpanId());
    // traceledger's KeyValue and OTLP's are the same on the wire (read here past protobuf-es's default limit).
    const otlp = (kv: KeyValue) => fromBinary(OtlpKeyValueSchema, toBinary(KeyValueSchema, kv), { recursionLimit: 1_000 });
    const kept = create(KeyValueSchema, { key: "kept", value: { value: { case: "stringValue", value: "yes" } } });
    const spans = PAST_THE_LIMIT.map((depth, i) => ({
      traceId,
      spanId: spanIds[i]!,
      ...(i > 0 ? { parentSpanId: spanIds[0]! } : {}),
      name: "op",
      kind: 2,
      startTimeUnixNano: 1_764_000_000_000_000_000n,
      endTimeUnixNano: 1_764_000_000_001_000_000n,
      attributes: [nestedMap(depth), kept].map(otlp),
    }));
    const response = await client.export({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
    expect(response.partialSuccess).toBeUndefined();
    expect(await storedPerDepth(traceId, spanIds)).toEqual(PAST_THE_LIMIT.map(() => [["kept"], 1]));
  });

  /** A span whose one link carries the deepest value still read, and a kept attribute, in OTLP/JSON. */
  function spanWithDeepestLinkJson(traceId: Buffer, spanId: Buffer, link: { traceId: Buffer; spanId: Buffer }): string {
    return (
      `{"traceId":"${traceId.toString("hex")}","spanId":"${spanId.toString("hex")}","name":"op","kind":2,"startTimeUnixNano":"1764000000000000000","endTimeUnixNano":"1764000000001000000",` +
      `"links":[{"traceId":"${link.traceId.toString("hex")}","spanId":"${link.spanId.toString("hex")}","attributes":[{"key":"deep","value":${deepestReadMapJson()}},{"key":"kept","value":{"stringValue":"yes"}}]}]}`
    );
  }

  /** What was stored of the one link of a span: its attributes' keys and its dropped count. */
  async function storedLink(traceId: Buffer) {
    const [span] = (await e2e.client.getTrace({ traceId })).trace!.spans;
    return span!.links.map((l) => [l.attributes.map((kv) => kv.key), l.droppedAttributesCount]);
  }

  // Six messages above the value (request, ResourceSpans, ScopeSpans, Span, Link, KeyValue): the
  // worst place there is, where the decoder's limit is reached exactly.
  it("of maps, on a link over OTLP/JSON, the deepest still read: left out of the link and counted, not refused as malformed", async () => {
    const [traceId, spanId, link] = [newTraceId(), newSpanId(), { traceId: newTraceId(), spanId: newSpanId() }];
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[${spanWithDeepestLinkJson(traceId, spanId, link)}]}]}]}`;
    const response = await fetch(`http://${e2e.server.httpAddress}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect([response.status, await response.text()]).toEqual([200, "{}"]);
    expect(await storedLink(traceId)).toEqual([[["kept"], 1]]);
  });

  it.each(["Connect JSON", "Connect binary"])("of maps, on a link over OTLP on %s, the deepest still read: left out of the link and counted", async (door) => {
    const client = connectClients(OtlpTraceService).find(([name]) => name === door)![1];
    const [traceId, spanId] = [newTraceId(), newSpanId()];
    const otlp = (kv: KeyValue) => fromBinary(OtlpKeyValueSchema, toBinary(KeyValueSchema, kv), { recursionLimit: 1_000 });
    const kept = create(KeyValueSchema, { key: "kept", value: { value: { case: "stringValue", value: "yes" } } });
    const span = {
      traceId,
      spanId,
      name: "op",
      kind: 2,
      startTimeUnixNano: 1_764_000_000_000_000_000n,
      endTimeUnixNano: 1_764_000_000_001_000_000n,
      links: [{ traceId: newTraceId(), spanId: newSpanId(), attributes: [deepestReadMap(), kept].map(otlp) }],
    };
    const response = await client.export({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
    expect(response.partialSuccess).toBeUndefined();
    expect(await storedLink(traceId)).toEqual([[["kept"], 1]]);
  });

  it.each(["Connect JSON", "Connect binary"])("deep enough to exhaust a decoder's stack, are INVALID_ARGUMENT over %s", async (door) => {
    const client = connectClients(TracingService).find(([name]) => name === door)![1];
    const traceId = newTraceId();
    const refused = await client.startTrace({ traceId, name: "too deep", serviceName: "depth", attributes: [nestedMap(200)] }).catch((e: unknown) => e);
    expect(connectError(refused)).toMatchObject({ code: "invalid_argument", reason: "MALFORMED_REQUEST" });
    expect(connectError(await e2e.client.getTrace({ traceId }).catch((e: unknown) => e))).toMatchObject({ code: "not_found" });
  });
});
