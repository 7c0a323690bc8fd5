import { describe, expect, it } from "vitest";
import { alertToken, eventsToken, filterHash, readAlertToken, readEventsToken } from "./page-tokens.js";

describe("ListAlerts page tokens", () => {
  const hash = filterHash(1, 0, "payments");

  it("read back the position and the listing's version they carry, only with the same filters", () => {
    expect(readAlertToken(alertToken({ raisedVersion: 42, asOfVersion: 50n }, hash), hash)).toEqual({ raisedVersion: 42, asOfVersion: 50n });
    expect(() => readAlertToken(alertToken({ raisedVersion: 42, asOfVersion: 50n }, hash), filterHash(2, 0, "payments"))).toThrow(/other filters/);
  });

  it("still take the previous release's tokens, which carry no version of the listing", () => {
    expect(readAlertToken(Buffer.from(`a1:42:${hash}`).toString("base64url"), hash)).toEqual({ raisedVersion: 42, asOfVersion: undefined });
    expect(() => readAlertToken(Buffer.from(`a1:42:${filterHash(2)}`).toString("base64url"), hash)).toThrow(/other filters/);
  });

  it("refuse a position no stream reaches, though its filter hash is right (anyone can compute it)", () => {
    for (const forged of [`a1:99999999999999999999:${hash}`, `a2:99999999999999999999:1:${hash}`, `a2:1:99999999999999999999:${hash}`]) {
      expect(() => readAlertToken(Buffer.from(forged).toString("base64url"), hash)).toThrow(/not a token this server issued/);
    }
    expect(readAlertToken(Buffer.from(`a2:2147483647:2147483647:${hash}`).toString("base64url"), hash).raisedVersion).toBe(2_147_483_647);
  });
});

describe("GetTraceEvents page tokens", () => {
  const hash = filterHash("a".repeat(32), 0n, 0n);

  it("read back the version they carry, only for the same trace and range", () => {
    expect(readEventsToken(eventsToken(7, hash), hash)).toBe(7);
    expect(() => readEventsToken(eventsToken(7, hash), filterHash("b".repeat(32), 0n, 0n))).toThrow(/other filters/);
    expect(() => readEventsToken(alertToken({ raisedVersion: 7, asOfVersion: 7n }, hash), hash)).toThrow(/not a token this server issued/);
  });

  it("still take the previous release's tokens (a bare version), so a listing paged across an upgrade goes on", () => {
    expect(readEventsToken(Buffer.from("v1:500").toString("base64url"), hash)).toBe(500);
    expect(() => readEventsToken(Buffer.from("v1:99999999999999999999").toString("base64url"), hash)).toThrow(/not a token this server issued/);
  });
});
