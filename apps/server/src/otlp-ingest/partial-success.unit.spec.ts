import { describe, expect, it } from "vitest";
import { traceError } from "../domain/trace/trace-error.js";
import { partialSuccess } from "./partial-success.js";

const bad = (reason: "INVALID_SPAN_ID" | "INVALID_TIME_RANGE", spanId: string) => ({ spanId, error: traceError("invalid_argument", reason, `${reason.toLowerCase()} here`) });

describe("partialSuccess", () => {
  it("is empty when nothing was rejected", () => {
    expect(partialSuccess(10, [])).toEqual({ rejectedSpans: 0, errorMessage: "" });
  });

  it("counts rejected spans and explains them by reason, most frequent first, with an example each", () => {
    const result = partialSuccess(10, [bad("INVALID_TIME_RANGE", "a1"), bad("INVALID_SPAN_ID", "b1"), bad("INVALID_SPAN_ID", "b2")]);
    expect(result.rejectedSpans).toBe(3);
    expect(result.errorMessage).toBe(
      "3 of 10 spans rejected: INVALID_SPAN_ID x2 (e.g. span b1: invalid_span_id here); INVALID_TIME_RANGE x1 (e.g. span a1: invalid_time_range here)",
    );
  });
});
