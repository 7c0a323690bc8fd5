import { describe, expect, it } from "vitest";
import { alertToken, filterHash, readAlertToken } from "./page-tokens.js";

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
