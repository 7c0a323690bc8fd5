import { describe, expect, it } from "vitest";
import { eventTooLarge, maxEventBytes } from "./event-size-limit.js";

describe("maxEventBytes: the largest event stored under a message limit", () => {
  it("leaves 1 KiB for the envelope, from 4 KiB up", () => {
    expect(maxEventBytes()).toBe(4 * 1024 * 1024 - 1024);
    expect(maxEventBytes(65_536)).toBe(64_512);
    expect(maxEventBytes(4096)).toBe(3072);
  });

  it("under 4 KiB (the setting allows 1,024) leaves a quarter of the limit, so something still fits", () => {
    expect(maxEventBytes(4095)).toBe(4095 - 1023);
    expect(maxEventBytes(2048)).toBe(1536);
    expect(maxEventBytes(1024)).toBe(768);
  });
});

describe("eventTooLarge", () => {
  it("is RESOURCE_EXHAUSTED EVENT_TOO_LARGE naming the sizes, and the span when there is one", () => {
    expect(eventTooLarge("ab".repeat(16), "SpanStarted", "cd".repeat(8), 70_000, 65_536)).toMatchObject({
      kind: "resource_exhausted",
      reason: "EVENT_TOO_LARGE",
      metadata: { trace_id: "ab".repeat(16), span_id: "cd".repeat(8), event_type: "SpanStarted", event_bytes: "70000", max_event_bytes: "64512", max_message_bytes: "65536" },
    });
    expect(eventTooLarge("ab".repeat(16), "TraceCompleted", "", 70_000, 65_536).metadata).not.toHaveProperty("span_id");
  });
});
