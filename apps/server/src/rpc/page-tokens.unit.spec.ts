import { describe, expect, it } from "vitest";
import { alertToken, eventsToken, filterHash, readAlertToken, readEventsToken } from "./page-tokens.js";

describe("ListAlerts page tokens", () => {
  const hash = filterHash(1, 0, "payments");

  it("read back the position they carry, only with the same filters", () => {
    expect(readAlertToken(alertToken(42, hash), hash)).toBe(42);
    expect(() => readAlertToken(alertToken(42, hash), filterHash(2, 0, "payments"))).toThrow(/other filters/);
  });

  it("refuse a position no stream reaches, though its filter hash is right (anyone can compute it)", () => {
    const forged = Buffer.from(`a1:99999999999999999999:${hash}`).toString("base64url");
    expect(() => readAlertToken(forged, hash)).toThrow(/not a token this server issued/);
    expect(readAlertToken(Buffer.from(`a1:2147483647:${hash}`).toString("base64url"), hash)).toBe(2_147_483_647);
  });
});

describe("GetTraceEvents page tokens", () => {
  const hash = filterHash("a".repeat(32), 0n, 0n);

  it("read back the version they carry, only for the same trace and range", () => {
    expect(readEventsToken(eventsToken(7, hash), hash)).toBe(7);
    expect(() => readEventsToken(eventsToken(7, hash), filterHash("b".repeat(32), 0n, 0n))).toThrow(/other filters/);
    expect(() => readEventsToken(alertToken(7, hash), hash)).toThrow(/not a token this server issued/);
  });

  it("still take the previous release's tokens (a bare version), so a listing paged across an upgrade goes on", () => {
    expect(readEventsToken(Buffer.from("v1:500").toString("base64url"), hash)).toBe(500);
    expect(() => readEventsToken(Buffer.from("v1:99999999999999999999").toString("base64url"), hash)).toThrow(/not a token this server issued/);
  });
});
