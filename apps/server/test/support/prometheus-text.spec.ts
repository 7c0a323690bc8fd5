// The test parser must reject what Prometheus would reject, or the metrics
// specs that rely on it could pass on a broken exposition.

import { describe, expect, it } from "vitest";
import { parsePrometheusText, seriesOf } from "./prometheus-text.js";

const VALID = `# HELP calls_total Spans that ended.
# TYPE calls_total counter
calls_total{service_name="a \\"quoted\\" \\\\ back\\nline",span_name="x"} 3
calls_total{service_name="b",span_name="x",} 1e3

# a plain comment
# TYPE up gauge
up 1 1700000000000
# TYPE d histogram
d_bucket{le="0.1"} 1
d_bucket{le="1"} 2
d_bucket{le="+Inf"} 2
d_sum 0.55
d_count 2
# HELP d Durations, with a\\nsecond line.
`;

describe("parsePrometheusText", () => {
  it("reads families, HELP and TYPE, labels with escapes, values and timestamps", () => {
    const families = parsePrometheusText(VALID);
    expect([...families.keys()]).toEqual(["calls_total", "up", "d"]);
    const calls = families.get("calls_total")!;
    expect(calls).toMatchObject({ type: "counter", help: "Spans that ended." });
    expect(calls.samples.map((s) => [s.labels["service_name"], s.value])).toEqual([
      ['a "quoted" \\ back\nline', 3],
      ["b", 1000],
    ]);
    expect(families.get("up")!.samples[0]).toEqual({ name: "up", labels: {}, value: 1 });
    const d = families.get("d")!;
    expect(d.help).toBe("Durations, with a\nsecond line.");
    expect(seriesOf(d, "_bucket").map((s) => [s.labels["le"], s.value])).toEqual([["0.1", 1], ["1", 2], ["+Inf", 2]]);
    expect(seriesOf(d, "_sum")[0]!.value).toBe(0.55);
  });

  it.each([
    ["a sample without a TYPE before it", "# TYPE a counter\na 1\nb 2\n", /no TYPE line/],
    ["a family split in two", "# TYPE a counter\na{x=\"1\"} 1\n# TYPE b gauge\nb 1\na{x=\"2\"} 1\n", /separated/],
    ["a second TYPE", "# TYPE a counter\n# TYPE a counter\n", /second TYPE/],
    ["an unknown TYPE", "# TYPE a meter\n", /unknown TYPE/],
    ["a duplicate series", "# TYPE a counter\na{x=\"1\"} 1\na{x=\"1\"} 2\n", /duplicate series/],
    ["a bad escape", "# TYPE a counter\na{x=\"\\t\"} 1\n", /bad escape/],
    ["an unterminated label value", "# TYPE a counter\na{x=\"1} 1\n", /unterminated/],
    ["a bad label name", "# TYPE a counter\na{1x=\"1\"} 1\n", /bad label name/],
    ["a bad value", "# TYPE a counter\na 1,5\n", /bad value/],
    ["a missing value", "# TYPE a counter\na{x=\"1\"}\n", /expected a value/],
    ["no final line feed", "# TYPE a counter\na 1", /line feed/],
    ["buckets that fall", "# TYPE d histogram\nd_bucket{le=\"1\"} 2\nd_bucket{le=\"2\"} 1\nd_bucket{le=\"+Inf\"} 2\nd_sum 1\nd_count 2\n", /fewer/],
    ["bounds out of order", "# TYPE d histogram\nd_bucket{le=\"2\"} 1\nd_bucket{le=\"1\"} 1\nd_bucket{le=\"+Inf\"} 1\nd_sum 1\nd_count 1\n", /le 1 after 2/],
    ["no +Inf bucket", "# TYPE d histogram\nd_bucket{le=\"1\"} 1\nd_sum 1\nd_count 1\n", /\+Inf/],
    ["+Inf unlike _count", "# TYPE d histogram\nd_bucket{le=\"+Inf\"} 1\nd_sum 1\nd_count 2\n", /differs from _count/],
    ["no _sum", "# TYPE d histogram\nd_bucket{le=\"+Inf\"} 1\nd_count 1\n", /missing _sum/],
  ])("rejects %s", (_what, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});
