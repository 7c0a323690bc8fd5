import { create, toBinary, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { KeyValueSchema, SpanLinkSchema, type KeyValue } from "@traceledger/proto";
import {
  ExportTraceServiceRequestSchema,
  InstrumentationScopeSchema,
  OtlpKeyValueSchema,
  OtlpSpanLinkSchema,
  OtlpResourceSchema,
  ResourceSpansSchema,
} from "@traceledger/proto/otlp";
import { describe, expect, it } from "vitest";
import { lengthDelimited } from "../../test/support/protobuf-field.js";
import { ExpansionTooLarge } from "./expansion-budget.js";
import { MalformedOtlp } from "./protobuf-cursor.js";
import { MAX_ATTRIBUTE_DEPTH } from "../domain/trace/span-validation.js";
import { readExportRequest, UNKNOWN_SERVICE, UNNAMED } from "./read-export-request.js";

const TRACE_A = Buffer.from("4bf92f3577b34da6a3ce929d0e0e4736", "hex");
const TRACE_B = Buffer.from("0af7651916cd43dd8448eb211c80319c", "hex");
const ROOT = Buffer.from("00f067aa0ba902b7", "hex");
const CHILD = Buffer.from("b7ad6b7169203331", "hex");
const T0 = 1_764_000_000_000_000_000n;

type KeyValueInit = MessageInitShape<typeof OtlpKeyValueSchema>;
const str = (key: string, value: string): KeyValueInit => ({ key, value: { value: { case: "stringValue", value } } });

/** Every kind of attribute value, nested, with the edge values protobuf cares about. */
const everyValue: KeyValueInit[] = [
  str("http.route", "/orders/{id}"),
  str("unicode", "naïve ☃ 𝄞"),
  { key: "ok", value: { value: { case: "boolValue", value: true } } },
  { key: "count", value: { value: { case: "intValue", value: 42n } } },
  { key: "negative", value: { value: { case: "intValue", value: -9_007_199_254_740_993n } } },
  { key: "max", value: { value: { case: "intValue", value: 9_223_372_036_854_775_807n } } },
  { key: "ratio", value: { value: { case: "doubleValue", value: -0.125 } } },
  { key: "raw", value: { value: { case: "bytesValue", value: new Uint8Array([0, 255, 7]) } } },
  { key: "list", value: { value: { case: "arrayValue", value: { values: [{ value: { case: "stringValue", value: "a" } }, { value: { case: "intValue", value: 1n } }] } } } },
  { key: "map", value: { value: { case: "kvlistValue", value: { values: [str("inner", "x"), { key: "deeper", value: { value: { case: "kvlistValue", value: { values: [str("k", "v")] } } } }] } } } },
  { key: "empty" },
];

function request(resourceSpans: Array<MessageInitShape<typeof ResourceSpansSchema>>): Uint8Array {
  return toBinary(ExportTraceServiceRequestSchema, create(ExportTraceServiceRequestSchema, { resourceSpans }));
}

/** The same attributes as traceledger.v1 JSON: the two KeyValue messages share their JSON mapping. */
const asJson = (kvs: readonly { $typeName: string }[]) => kvs.map((kv) => toJson(KeyValueSchema, kv as never));
const otlpJson = (kvs: KeyValueInit[]) => kvs.map((kv) => toJson(OtlpKeyValueSchema, create(OtlpKeyValueSchema, kv)));

describe("readExportRequest", () => {
  it("reads every field of a span, and groups spans by trace in the order received", () => {
    const bytes = request([
      {
        resource: { attributes: [str("service.name", "checkout"), str("host.name", "web-1")] },
        scopeSpans: [
          {
            scope: { name: "@app/http", version: "1.0.0" },
            spans: [
              {
                traceId: TRACE_A,
                spanId: CHILD,
                parentSpanId: ROOT,
                traceState: "vendor=1",
                flags: 0x301,
                name: "charge card",
                kind: 3,
                startTimeUnixNano: T0,
                endTimeUnixNano: T0 + 5_000_000n,
                attributes: everyValue,
                droppedAttributesCount: 2,
                events: [
                  { timeUnixNano: T0 + 1n, name: "cache.miss", attributes: [str("key", "k1")], droppedAttributesCount: 1 },
                  {
                    timeUnixNano: T0 + 2n,
                    name: "exception",
                    attributes: [str("exception.type", "CardDeclined"), str("exception.message", "declined"), str("exception.stacktrace", "at pay()"), { key: "exception.escaped", value: { value: { case: "boolValue", value: true } } }, str("card", "visa")],
                  },
                ],
                links: [{ traceId: TRACE_B, spanId: ROOT, traceState: "l=1", attributes: [str("link", "yes")], droppedAttributesCount: 3, flags: 1 }],
                status: { code: 2, message: "declined" },
              },
              { traceId: TRACE_B, spanId: ROOT, name: "other trace", startTimeUnixNano: T0, endTimeUnixNano: T0 },
              { traceId: TRACE_A, spanId: ROOT, name: "POST /checkout", kind: 2, startTimeUnixNano: T0, endTimeUnixNano: T0 + 9n },
            ],
          },
        ],
      },
    ]);
    const read = readExportRequest(bytes);
    expect(read.spanCount).toBe(3);
    expect([...read.traces.keys()]).toEqual([TRACE_A.toString("hex"), TRACE_B.toString("hex")]);
    const [child, root] = read.traces.get(TRACE_A.toString("hex"))!;
    expect(child).toMatchObject({
      spanId: CHILD.toString("hex"),
      parentSpanId: ROOT.toString("hex"),
      parentIsRemote: true,
      tracestate: "vendor=1",
      flags: 0x301,
      name: "charge card",
      kind: 3,
      serviceName: "checkout",
      scopeName: "@app/http",
      startTime: T0,
      endTime: T0 + 5_000_000n,
      droppedAttributesCount: 2,
      statusCode: 2,
      statusMessage: "declined",
    });
    expect(asJson(child!.attributes)).toEqual(otlpJson(everyValue));
    expect(asJson(child!.resourceAttributes)).toEqual(otlpJson([str("service.name", "checkout"), str("host.name", "web-1")]));
    expect(child!.events).toEqual([
      { type: "event", eventId: "otlp-0", time: T0 + 1n, name: "cache.miss", attributes: expect.any(Array), droppedAttributesCount: 1 },
      { type: "error", errorId: "otlp-1", time: T0 + 2n, errorType: "CardDeclined", message: "declined", stacktrace: "at pay()", escaped: true, attributes: expect.any(Array), droppedAttributesCount: 0 },
    ]);
    const error = child!.events[1]!;
    expect(asJson(error.attributes)).toEqual(otlpJson([str("card", "visa")]));
    // traceledger.v1.SpanLink is wire-identical to OTLP's Span.Link.
    expect(child!.links.map((l) => Buffer.from(toBinary(SpanLinkSchema, l)).toString("hex"))).toEqual([
      Buffer.from(toBinary(OtlpSpanLinkSchema, create(OtlpSpanLinkSchema, { traceId: TRACE_B, spanId: ROOT, traceState: "l=1", attributes: [str("link", "yes")], droppedAttributesCount: 3, flags: 1 }))).toString("hex"),
    ]);
    expect(root).toMatchObject({ parentSpanId: "", parentIsRemote: undefined, kind: 2, events: [], links: [], statusCode: 0 });
    // Spans of one resource share its attribute list: it is limited once per command.
    expect(root!.resourceAttributes).toBe(child!.resourceAttributes);
  });

  it("keeps the scope's version, attributes and dropped count, the schema URLs and the resource's dropped count, shared by their spans", () => {
    const span = (traceId: Buffer, spanId: Buffer) => ({ traceId, spanId, name: "op", startTimeUnixNano: T0, endTimeUnixNano: T0 });
    const read = readExportRequest(
      request([
        {
          resource: { attributes: [str("service.name", "checkout"), { key: "", value: { value: { case: "stringValue", value: "no key" } } }], droppedAttributesCount: 4 },
          schemaUrl: "https://opentelemetry.io/schemas/1.24.0",
          scopeSpans: [
            {
              scope: { name: "@app/http", version: "2.1.0", attributes: [str("library.flavour", "vanilla"), { key: "" }], droppedAttributesCount: 2 },
              schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
              spans: [span(TRACE_A, ROOT), span(TRACE_A, CHILD)],
            },
            { scope: { name: "@app/db" }, spans: [span(TRACE_B, ROOT)] },
          ],
        },
      ]),
    );
    const [root, child] = read.traces.get(TRACE_A.toString("hex"))!;
    expect(root!.provenance).toMatchObject({
      scopeVersion: "2.1.0",
      // The attribute without a key is left out and counted with the exporter's two.
      scopeDroppedAttributesCount: 3,
      scopeSchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
      resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0",
      resourceDroppedAttributesCount: 5,
    });
    expect(asJson(root!.provenance!.scopeAttributes)).toEqual(otlpJson([str("library.flavour", "vanilla")]));
    expect(child!.provenance).toBe(root!.provenance);
    // A scope of only a name under that resource still carries the resource's schema URL and dropped count.
    expect(read.traces.get(TRACE_B.toString("hex"))![0]!.provenance).toEqual({
      scopeVersion: "",
      scopeAttributes: [],
      scopeDroppedAttributesCount: 0,
      scopeSchemaUrl: "",
      resourceSchemaUrl: "https://opentelemetry.io/schemas/1.24.0",
      resourceDroppedAttributesCount: 5,
    });
    // Nothing beyond names and attributes: no provenance at all.
    const plain = readExportRequest(request([{ scopeSpans: [{ scope: { name: "x" }, spans: [span(TRACE_A, ROOT)] }] }]));
    expect(plain.traces.get(TRACE_A.toString("hex"))![0]!.provenance).toBeUndefined();
  });

  it("honours the remote bit only when the flags say it is known", () => {
    const spans = (flags: number) => readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: CHILD, parentSpanId: ROOT, flags }] }] }])).traces.get(TRACE_A.toString("hex"))![0]!;
    expect(spans(0x301).parentIsRemote).toBe(true);
    expect(spans(0x101).parentIsRemote).toBe(false);
    expect(spans(0x201).parentIsRemote).toBeUndefined();
    expect(spans(0x001).parentIsRemote).toBeUndefined();
  });

  it("reads a span that reports no trace flags as sampled (exporters send only sampled spans), and keeps the flags it sets", () => {
    const flags = (sent: number) => readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: CHILD, parentSpanId: ROOT, flags: sent }] }] }])).traces.get(TRACE_A.toString("hex"))![0]!.flags;
    // Python's stock exporter: only the is-remote bits.
    expect(flags(0x100)).toBe(0x101);
    expect(flags(0x300)).toBe(0x301);
    expect(flags(0)).toBe(0x01);
    // A reporter that sets any trace flag said what it meant.
    expect(flags(0x02)).toBe(0x02);
    expect(flags(0x301)).toBe(0x301);
    expect(flags(0xfffffc00)).toBe(0xfffffc01);
  });

  it("stores a span and an event of no name (OTLP's unknown) as (unnamed)", () => {
    const [span] = readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "", events: [{ timeUnixNano: T0, name: "" }] }] }] }])).traces.get(TRACE_A.toString("hex"))!;
    expect(span!.name).toBe(UNNAMED);
    expect(span!.events[0]).toMatchObject({ type: "event", name: UNNAMED });
  });

  it("drops an attribute with an empty key, its own or one inside its value, and counts it dropped; the span keeps the rest", () => {
    const nestedEmpty: KeyValueInit = { key: "map", value: { value: { case: "kvlistValue", value: { values: [str("ok", "1"), str("", "x")] } } } };
    const deepEmpty: KeyValueInit = { key: "list", value: { value: { case: "arrayValue", value: { values: [{ value: { case: "kvlistValue", value: { values: [str("", "y")] } } }] } } } };
    const [span] = readExportRequest(
      request([
        {
          resource: { attributes: [str("service.name", "svc"), str("", "no key")] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_A,
                  spanId: ROOT,
                  name: "s",
                  attributes: [str("", "no key"), nestedEmpty, deepEmpty, str("kept", "yes")],
                  droppedAttributesCount: 2,
                  events: [{ timeUnixNano: T0, name: "e", attributes: [str("", "x"), str("fine", "y")], droppedAttributesCount: 1 }],
                  links: [{ traceId: TRACE_B, spanId: CHILD, attributes: [nestedEmpty, str("l", "1")] }],
                },
              ],
            },
          ],
        },
      ]),
    ).traces.get(TRACE_A.toString("hex"))!;
    expect(span!.attributes.map((kv) => kv.key)).toEqual(["kept"]);
    expect(span!.droppedAttributesCount).toBe(5);
    expect(span!.events[0]!.attributes.map((kv) => kv.key)).toEqual(["fine"]);
    expect(span!.events[0]!.droppedAttributesCount).toBe(2);
    expect(span!.links[0]!.attributes.map((kv) => kv.key)).toEqual(["l"]);
    expect(span!.links[0]!.droppedAttributesCount).toBe(1);
    expect(span!.resourceAttributes.map((kv) => kv.key)).toEqual(["service.name"]);
  });

  it("keeps a link to an invalid context that carries attributes or a tracestate, as OpenTelemetry records them; leaves out links it would not", () => {
    const zeros16 = Buffer.alloc(16);
    const zeros8 = Buffer.alloc(8);
    const [span] = readExportRequest(
      request([
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_A,
                  spanId: ROOT,
                  name: "s",
                  links: [
                    { traceId: zeros16, spanId: zeros8, attributes: [str("messaging.message.id", "m-1")] },
                    { traceState: "vendor=1" },
                    { traceId: zeros16, spanId: zeros8 },
                    { traceId: Buffer.alloc(5, 1), spanId: CHILD, attributes: [str("a", "b")] },
                    { traceId: TRACE_B, spanId: CHILD },
                  ],
                  droppedLinksCount: 2,
                  droppedEventsCount: 5,
                },
              ],
            },
          ],
        },
      ]),
    ).traces.get(TRACE_A.toString("hex"))!;
    expect(span!.links.map((l) => [Buffer.from(l.traceId).toString("hex"), l.tracestate, l.attributes.length])).toEqual([
      ["0".repeat(32), "", 1],
      ["", "vendor=1", 0],
      [TRACE_B.toString("hex"), "", 0],
    ]);
    // The exporter's own counts, and the two links left out here.
    expect([span!.droppedLinksCount, span!.droppedEventsCount]).toEqual([4, 5]);
  });

  it("leaves out an attribute nested past the depth limit (counted as dropped), keeping its span and the rest, and reads them up to it", () => {
    const nested = (depth: number): KeyValueInit => {
      let value: MessageInitShape<typeof OtlpKeyValueSchema>["value"] = { value: { case: "stringValue", value: "bottom" } };
      for (let i = 1; i < depth; i++) value = { value: { case: "arrayValue", value: { values: [value!] } } };
      return { key: "deep", value };
    };
    const read = (depth: number) =>
      readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "s", attributes: [nested(depth), str("after", "kept")] }] }] }])).traces.get(TRACE_A.toString("hex"))![0]!;
    expect(read(MAX_ATTRIBUTE_DEPTH).attributes[0]!.value!.value.case).toBe("arrayValue");
    const past = read(MAX_ATTRIBUTE_DEPTH + 1);
    expect([past.attributes.map((kv) => kv.key), past.droppedAttributesCount]).toEqual([["after"], 1]);
    // Deep enough to overflow the stack of any recursive reader (and protobuf-es's writer: built by hand).
    const field = lengthDelimited;
    let value = field(0x0a, Buffer.from("bottom")); // AnyValue.string_value, without its own length
    for (let i = 0; i < 5_000; i++) value = field(0x2a, field(0x0a, value)); // AnyValue.array_value { values }
    const span = Buffer.concat([field(0x0a, TRACE_A), field(0x12, ROOT), field(0x2a, Buffer.from("s")), field(0x4a, Buffer.concat([field(0x0a, Buffer.from("deep")), field(0x12, value)]))]);
    const deep = readExportRequest(field(0x0a, field(0x12, field(0x12, span)))).traces.get(TRACE_A.toString("hex"))![0]!;
    expect([deep.attributes.length, deep.droppedAttributesCount]).toEqual([0, 1]);
  });

  it("reads a parent span id of eight zero bytes (how some producers write a root's) as no parent", () => {
    const read = readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, parentSpanId: Buffer.alloc(8) }] }] }]));
    expect(read.traces.get(TRACE_A.toString("hex"))![0]!.parentSpanId).toBe("");
  });

  it("names the service unknown_service when the resource has no service.name, as OpenTelemetry does", () => {
    const read = readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT }] }] }]));
    expect(read.traces.get(TRACE_A.toString("hex"))![0]!.serviceName).toBe(UNKNOWN_SERVICE);
  });

  it("applies a resource and a scope that come after their spans on the wire", () => {
    const spans = toBinary(ResourceSpansSchema, create(ResourceSpansSchema, { scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "late resource" }] }] }));
    const resource = toBinary(ResourceSpansSchema, create(ResourceSpansSchema, { resource: { attributes: [str("service.name", "billing")] } }));
    // Concatenated messages merge: the resource (field 1) now follows scope_spans (field 2).
    const resourceSpans = Buffer.concat([spans, resource]);
    const bytes = Buffer.concat([Buffer.from([0x0a]), varint(resourceSpans.length), resourceSpans]);
    const read = readExportRequest(bytes);
    expect(read.traces.get(TRACE_A.toString("hex"))![0]).toMatchObject({ name: "late resource", serviceName: "billing" });
  });

  it("keeps each attribute's bytes for the stored event, except an attribute with a string that is not UTF-8", () => {
    const good = toBinary(OtlpKeyValueSchema, create(OtlpKeyValueSchema, str("ok", "fine ☃")));
    const bytes = request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "x", attributes: [str("ok", "fine ☃"), str("bad", "xx")] }] }] }]);
    const body = Buffer.from(bytes);
    // "bad", then the value's tag and length, the string's tag and length: the string's first byte.
    body[body.indexOf(Buffer.from("bad")) + 7] = 0xff;
    const [span] = readExportRequest(body).traces.get(TRACE_A.toString("hex"))!;
    const [okKv, badKv] = span!.attributes as Array<KeyValue & { wireSource?: Buffer; wireStart: number; wireEnd: number }>;
    expect(okKv!.wireSource!.subarray(okKv!.wireStart, okKv!.wireEnd)).toEqual(Buffer.from(good));
    expect(badKv!.wireSource).toBeUndefined();
    expect(badKv!.value?.value).toEqual({ case: "stringValue", value: "\uFFFDx" });
  });

  it.each([
    ["ASCII", [0x61, 0x62], true],
    ["a lone continuation byte", [0x61, 0x80], false],
    ["a truncated three-byte sequence", [0xe2, 0x82], false],
    ["an encoded surrogate", [0xed, 0xa0, 0x80], false],
    ["an overlong slash", [0xc0, 0xaf], false],
    ["U+FFFD itself, validly encoded", [0xef, 0xbf, 0xbd], true],
    ["a four-byte character", [0xf0, 0x9d, 0x84, 0x9e], true],
  ])("copies an attribute's bytes only when its string is UTF-8: %s", (_, value, valid) => {
    const placeholder = "#".repeat(value.length);
    const body = Buffer.from(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "x", attributes: [str("k", placeholder)] }] }] }]));
    body.set(value, body.indexOf(Buffer.from(placeholder)));
    const [span] = readExportRequest(body).traces.get(TRACE_A.toString("hex"))!;
    const kv = span!.attributes[0] as KeyValue & { wireSource?: Buffer };
    expect(kv.wireSource !== undefined).toBe(valid);
    expect(kv.value?.value).toEqual({ case: "stringValue", value: Buffer.from(value).toString("utf8") });
  });

  it("checks a value it has not decoded yet as a decoder would: invalid UTF-8 deep in a list is not copied", () => {
    const nested: KeyValueInit = { key: "deep", value: { value: { case: "kvlistValue", value: { values: [{ key: "list", value: { value: { case: "arrayValue", value: { values: [{ value: { case: "stringValue", value: "#" } }] } } } }] } } } };
    const body = Buffer.from(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "x", attributes: [nested] }] }] }]));
    body[body.lastIndexOf(Buffer.from("#"))] = 0xc3;
    const [span] = readExportRequest(body).traces.get(TRACE_A.toString("hex"))!;
    const kv = span!.attributes[0] as KeyValue & { wireSource?: Buffer };
    expect(kv.wireSource).toBeUndefined();
    expect(JSON.stringify(toJson(KeyValueSchema, kv))).toContain('"stringValue":"\uFFFD"');
  });

  it("throws MalformedOtlp for a value of the wrong wire type, though the value is not decoded yet", () => {
    // KeyValue { key: "k", value: AnyValue { string_value as a varint } }
    const kv = Buffer.from([0x0a, 0x01, 0x6b, 0x12, 0x02, 0x08, 0x01]);
    const span = Buffer.concat([Buffer.from([0x0a, 0x10]), TRACE_A, Buffer.from([0x12, 0x08]), ROOT, Buffer.from([0x4a, kv.length]), kv]);
    const scope = Buffer.concat([Buffer.from([0x12, span.length]), span]);
    const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    expect(() => readExportRequest(Buffer.concat([Buffer.from([0x0a, resource.length]), resource]))).toThrow(MalformedOtlp);
  });

  it("shows an attribute's value in JSON, as for any KeyValue", () => {
    const [span] = readExportRequest(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "x", attributes: [str("k", "v")] }] }] }])).traces.get(TRACE_A.toString("hex"))!;
    expect(JSON.parse(JSON.stringify(span!.attributes[0], (key, v: unknown) => (key === "wireSource" ? undefined : v)))).toMatchObject({ key: "k", value: { value: { case: "stringValue", value: "v" } } });
  });

  it("reads every name right when thousands of different short names come and go, request after request", () => {
    const names = Array.from({ length: 3000 }, (_, i) => `op-${(i * 7919) % 3001}`);
    const requestOf = (order: string[]) => request([{ scopeSpans: [{ spans: order.map((name, i) => ({ traceId: TRACE_A, spanId: Buffer.alloc(8, (i % 255) + 1), name, attributes: [str(name, "v")] })) }] }]);
    for (const order of [names, [...names].reverse(), names]) {
      const [spans] = [...readExportRequest(requestOf(order)).traces.values()];
      expect(spans!.map((s) => s.name)).toEqual(order);
      expect(spans!.map((s) => s.attributes[0]!.key)).toEqual(order);
    }
  });

  it("groups spans of one trace under one id string, also when other traces come between", () => {
    const span = (traceId: Buffer, n: number) => ({ traceId, spanId: Buffer.alloc(8, n), name: `s${n}` });
    const bytes = request([{ scopeSpans: [{ spans: [span(TRACE_A, 1), span(TRACE_A, 2), span(TRACE_B, 3), span(TRACE_A, 4)] }] }]);
    const read = readExportRequest(bytes);
    expect([...read.traces.keys()]).toEqual([TRACE_A.toString("hex"), TRACE_B.toString("hex")]);
    expect(read.traces.get(TRACE_A.toString("hex"))!.map((s) => s.name)).toEqual(["s1", "s2", "s4"]);
  });

  it("a span without a trace id is grouped under the empty id, not under the previous span's", () => {
    const bytes = request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "a" }, { spanId: CHILD, name: "no trace" }, { traceId: TRACE_A, spanId: CHILD, name: "b" }] }] }]);
    const read = readExportRequest(bytes);
    expect(read.traces.get("")!.map((s) => s.name)).toEqual(["no trace"]);
    expect(read.traces.get(TRACE_A.toString("hex"))!.map((s) => s.name)).toEqual(["a", "b"]);
  });

  it("skips fields it does not know", () => {
    const known = request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "x" }] }] }]);
    // Field 99 (varint) and field 100 (length-delimited) at the top level.
    const unknown = Buffer.from([0x98, 0x06, 0x01, 0xa2, 0x06, 0x02, 0x68, 0x69]);
    expect(readExportRequest(Buffer.concat([unknown, known])).spanCount).toBe(1);
  });

  it("counts the resource and scope bytes (schema URLs too, as encoded) each span stores against the expansion budget, and throws past it", () => {
    const resource = { attributes: [str("service.name", "a"), str("blob", "x".repeat(300))] };
    const scope1 = { name: "s1", attributes: [str("k", "v")] };
    const spans = (n: number) => Array.from({ length: n }, () => ({ traceId: TRACE_A, spanId: ROOT, name: "x" }));
    const bytes = request([
      {
        resource,
        schemaUrl: "https://r",
        scopeSpans: [
          { scope: scope1, schemaUrl: "https://s", spans: spans(3) },
          { scope: { name: "s2" }, spans: spans(2) },
        ],
      },
    ]);
    // A field as encoded: its tag, its length, its bytes.
    const field = (length: number) => 1 + varint(length).length + length;
    const r = field(toBinary(OtlpResourceSchema, create(OtlpResourceSchema, resource)).length) + field("https://r".length);
    const s1 = field(toBinary(InstrumentationScopeSchema, create(InstrumentationScopeSchema, scope1)).length) + field("https://s".length);
    const s2 = field(toBinary(InstrumentationScopeSchema, create(InstrumentationScopeSchema, { name: "s2" })).length);
    const expanded = (r + s1) * 3 + (r + s2) * 2;
    expect(readExportRequest(bytes, expanded).spanCount).toBe(5);
    const past = (() => {
      try {
        readExportRequest(bytes, expanded - 1);
      } catch (error) {
        return error;
      }
    })();
    expect(past).toBeInstanceOf(ExpansionTooLarge);
    expect(past).toMatchObject({ sharedBytes: r + s2, spans: 2, budget: expanded - 1 });
  });

  it("reads an empty request as no spans", () => {
    expect(readExportRequest(new Uint8Array(0))).toEqual({ traces: new Map(), spanCount: 0 });
  });

  it.each([
    ["truncated", (b: Buffer) => b.subarray(0, b.length - 3)],
    ["a length past the end", () => Buffer.from([0x0a, 0x7f, 0x01])],
    ["an unsupported wire type", () => Buffer.from([0x0b])],
    ["field number 0", () => Buffer.from([0x02, 0x00])],
    ["a string where a message is expected", () => Buffer.from([0x0a, 0x03, 0x66, 0x6f, 0x6f])],
    ["garbage", () => Buffer.from("this is not protobuf at all, it is text")],
  ])("throws MalformedOtlp for %s", (_, corrupt) => {
    const good = Buffer.from(request([{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: ROOT, name: "x", attributes: everyValue }] }] }]));
    expect(() => readExportRequest(corrupt(good))).toThrow(MalformedOtlp);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
