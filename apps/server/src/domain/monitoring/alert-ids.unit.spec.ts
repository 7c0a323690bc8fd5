import { describe, expect, it } from "vitest";
import { criticalErrorAlertId, latencyAnomalyAlertId, operationErrorRateAlertId, serviceErrorRateAlertId } from "./alert-ids.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("alert ids", () => {
  it("name their subject URI-encoded, so a ':' in a name cannot make two subjects share an id", () => {
    expect(serviceErrorRateAlertId("pay:ments", TRACE, SPAN)).toBe(`error_rate:service:pay%3Aments:${TRACE}:${SPAN}`);
    expect(operationErrorRateAlertId("payments", "charge card", TRACE, SPAN)).toBe(`error_rate:operation:payments:charge%20card:${TRACE}:${SPAN}`);
  });

  it("stay short enough for the alert listing's key, and apart, whatever the names' length", () => {
    const long = "x".repeat(5000);
    const ids = [
      latencyAnomalyAlertId(long, `${long}a`, TRACE, SPAN),
      latencyAnomalyAlertId(long, `${long}b`, TRACE, SPAN),
      operationErrorRateAlertId(`${long}é`, "\u0000".repeat(3000), TRACE, SPAN),
      criticalErrorAlertId(TRACE, SPAN, `${long}1`),
      criticalErrorAlertId(TRACE, SPAN, `${long}2`),
    ];
    for (const id of ids) expect(Buffer.byteLength(id)).toBeLessThan(1400);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.endsWith(`:${TRACE}:${SPAN}`)).toBe(true);
  });
});
