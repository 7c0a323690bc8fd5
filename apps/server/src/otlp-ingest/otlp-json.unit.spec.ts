import { describe, expect, it } from "vitest";
import { MalformedOtlp } from "./protobuf-cursor.js";
import { otlpJsonToBinary } from "./otlp-json.js";
import { readExportRequest } from "./read-export-request.js";

const TRACE = "5B8EFFF798038103D269B633813FC60C";
const SPAN = "EEE19B7EC3C1B174";

function readJson(body: unknown) {
  return readExportRequest(otlpJsonToBinary(JSON.stringify(body)).bytes);
}

describe("OTLP/JSON", () => {
  it("reads hex ids in any case, enums as integers, int64 as strings or numbers, and ignores unknown fields", () => {
    const read = readJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "web" } }], somethingNew: 1 },
          scopeSpans: [
            {
              scope: { name: "manual" },
              spans: [
                {
                  traceId: TRACE,
                  spanId: SPAN,
                  parentSpanId: "",
                  name: "GET /",
                  kind: 2,
                  startTimeUnixNano: "1764000000000000000",
                  endTimeUnixNano: 1764000000000001000,
                  attributes: [{ key: "n", value: { intValue: "-7" } }],
                  events: [{ timeUnixNano: "1764000000000000500", name: "exception", attributes: [{ key: "exception.type", value: { stringValue: "Boom" } }] }],
                  links: [{ traceId: TRACE.toLowerCase(), spanId: SPAN.toLowerCase() }],
                  status: { code: 2, message: "boom" },
                  futureField: { nested: true },
                },
              ],
            },
          ],
        },
      ],
    });
    const [span] = read.traces.get(TRACE.toLowerCase())!;
    expect(span).toMatchObject({
      spanId: SPAN.toLowerCase(),
      parentSpanId: "",
      name: "GET /",
      kind: 2,
      serviceName: "web",
      scopeName: "manual",
      startTime: 1_764_000_000_000_000_000n,
      endTime: 1_764_000_000_000_001_000n,
      statusCode: 2,
      statusMessage: "boom",
      events: [{ type: "error", errorType: "Boom", time: 1_764_000_000_000_000_500n }],
    });
    expect(span!.attributes[0]!.value!.value).toEqual({ case: "intValue", value: -7n });
    expect(Buffer.from(span!.links[0]!.traceId).toString("hex")).toBe(TRACE.toLowerCase());
  });

  it("keeps nanosecond times sent as JSON numbers exact, and leaves numbers inside strings alone", () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}","name":"n 1764000000000000001","startTimeUnixNano":1764000000000000001,"endTimeUnixNano": -0,"attributes":[{"key":"d","value":{"doubleValue":1.5e3}}]}]}]}]}`;
    const [span] = readExportRequest(otlpJsonToBinary(text).bytes).traces.get(TRACE.toLowerCase())!;
    expect(span).toMatchObject({ name: "n 1764000000000000001", startTime: 1_764_000_000_000_000_001n, endTime: 0n });
    expect(span!.attributes[0]!.value!.value).toEqual({ case: "doubleValue", value: 1500 });
  });

  it("refuses a span with an id that is not hex on its own, quoting the id as sent, and keeps the others", () => {
    const { bytes, refused } = otlpJsonToBinary(JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [
        { traceId: TRACE, spanId: "W7F3bRzn1nQ=", name: "base64 id" },
        { traceId: TRACE, spanId: SPAN, parentSpanId: "not-hex!", name: "bad parent" },
        { trace_id: "zz".repeat(40), span_id: SPAN, name: "long bad trace id, snake case" },
        { traceId: TRACE, spanId: SPAN, name: "kept" },
      ] }] }],
    }));
    expect(refused).toEqual([
      { spanId: "W7F3bRzn1nQ=", error: { reason: "INVALID_SPAN_ID", message: 'span id "W7F3bRzn1nQ=" is not hex (OTLP/JSON writes ids as hex, not base64)' } },
      { spanId: SPAN.toLowerCase(), error: { reason: "INVALID_PARENT_SPAN_ID", message: 'parent span id "not-hex!" is not hex' } },
      { spanId: SPAN.toLowerCase(), error: { reason: "INVALID_TRACE_ID", message: `trace id "${"zz".repeat(24)}..." is not hex` } },
    ]);
    const kept = readExportRequest(bytes);
    expect(kept.spanCount).toBe(1);
    expect(kept.traces.get(TRACE.toLowerCase())!.map((span) => span.name)).toEqual(["kept"]);
  });

  it("leaves out a link whose id is not hex and counts it in the span's dropped links, as a link with ids of other lengths; the span is kept", () => {
    const linked = { traceId: TRACE, spanId: SPAN };
    const { bytes, refused } = otlpJsonToBinary(JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [
        { traceId: TRACE, spanId: SPAN, name: "non-hex links", links: [linked, { traceId: "zz", spanId: SPAN }, { trace_id: TRACE, span_id: "W7F3bRzn1nQ=" }] },
        { traceId: TRACE, spanId: SPAN, name: "reported drops kept", droppedLinksCount: "7", links: [{ traceId: TRACE, spanId: "xyz" }] },
        { traceId: TRACE, spanId: SPAN, name: "snake case count", dropped_links_count: 2, links: [{ traceId: TRACE, spanId: "xyz" }] },
        { traceId: TRACE, spanId: SPAN, name: "short hex link", links: [{ traceId: "0102", spanId: SPAN }] },
      ] }] }],
    }));
    expect(refused).toEqual([]);
    const spans = readExportRequest(bytes).traces.get(TRACE.toLowerCase())!;
    expect(spans.map((span) => [span.name, span.links.length, span.droppedLinksCount])).toEqual([
      ["non-hex links", 1, 2],
      ["reported drops kept", 0, 8],
      ["snake case count", 0, 3],
      ["short hex link", 0, 1],
    ]);
    expect(Buffer.from(spans[0]!.links[0]!.spanId).toString("hex")).toBe(SPAN.toLowerCase());
  });

  it("checks an id under both of its names when a span has both", () => {
    const { refused } = otlpJsonToBinary(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, trace_id: "zz", spanId: SPAN, name: "both" }] }] }] }));
    expect(refused.map((r) => r.error.message)).toEqual(['trace id "zz" is not hex']);
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[1, 2]"],
    ["a wrong type", JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 7 }] }] }] })],
  ])("rejects %s as malformed", (_, body) => {
    expect(() => otlpJsonToBinary(body)).toThrow(MalformedOtlp);
  });
});
