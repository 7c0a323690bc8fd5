import { describe, expect, it } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { ListTracesRequestSchema, TraceState } from "@traceledger/proto";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import { alertToken, eventsToken, filterHash, readAlertToken, readEventsToken, readTraceListToken, traceListHash, traceListToken } from "./page-tokens.js";

/** What reading the token threw: code, reason, message and metadata. */
function refusal(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    const e = ConnectError.from(error);
    const info = e.findDetails(ErrorInfoSchema)[0];
    return { code: e.code, reason: info?.reason, message: e.rawMessage, metadata: info?.metadata };
  }
  return "read";
}

describe("ListTraces page tokens", () => {
  const request = create(ListTracesRequestSchema, { serviceName: "gateway", state: TraceState.OPEN, pageSize: 7 });
  const hash = traceListHash(request);
  const key = { listedAt: 1_764_000_000_000_000_000n, traceId: "0af7651916cd43dd8448eb211c80319c" };
  const encoded = (text: string) => Buffer.from(text).toString("base64url");

  it("read back the listing key and trace id they carry, whatever the page fields of the request", () => {
    expect(Buffer.from(traceListToken(key, hash), "base64url").toString()).toBe(`v2:${key.listedAt}:${key.traceId}:${hash}`);
    expect(readTraceListToken(traceListToken(key, hash), hash)).toEqual(key);
    expect(traceListHash(create(ListTracesRequestSchema, { ...request, pageSize: 1000, pageToken: "x" }))).toBe(hash);
  });

  it("still take the tokens of the server before the listing key (v1, its start_time), so a listing paged across an upgrade goes on", () => {
    expect(readTraceListToken(encoded(`v1:${key.listedAt}:${key.traceId}:${hash}`), hash)).toEqual(key);
  });

  it("refuse a token of a listing with other filters", () => {
    const other = traceListHash(create(ListTracesRequestSchema, { ...request, serviceName: "stock" }));
    expect(other).not.toBe(hash);
    const token = traceListToken(key, other);
    expect(refusal(() => readTraceListToken(token, hash))).toEqual({
      code: 3,
      reason: "INVALID_PAGE_TOKEN",
      message: "page_token belongs to a listing with other filters; send the same filters or start over",
      metadata: { page_token: token },
    });
  });

  it("refuse what this server did not issue: garbage, another listing's token, a listing key past int8", () => {
    const forged = [
      "bm9wZQ",
      encoded(`v3:${key.listedAt}:${key.traceId}:${hash}`),
      encoded(`v2:${key.listedAt}:${key.traceId.toUpperCase()}:${hash}`),
      encoded(`v2:-1:${key.traceId}:${hash}`),
      eventsToken(7, hash),
      encoded(`v2:9223372036854775808:${key.traceId}:${hash}`),
    ];
    for (const token of forged) {
      expect(refusal(() => readTraceListToken(token, hash))).toEqual({
        code: 3,
        reason: "INVALID_PAGE_TOKEN",
        message: "page_token is not a token this server issued",
        metadata: { page_token: token },
      });
    }
    expect(readTraceListToken(encoded(`v2:9223372036854775807:${key.traceId}:${hash}`), hash).listedAt).toBe(2n ** 63n - 1n);
  });
});

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
