import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import { describe, expect, it } from "vitest";
import type { CommandError } from "../commands/command-result.js";
import { traceError } from "../domain/trace/trace-error.js";
import { codeNumber, ERROR_DOMAIN, invalidArgument, toConnectError } from "./rpc-error.js";

const kinds: [CommandError["kind"], Code, number][] = [
  ["invalid_argument", Code.InvalidArgument, 3],
  ["failed_precondition", Code.FailedPrecondition, 9],
  ["not_found", Code.NotFound, 5],
  ["already_exists", Code.AlreadyExists, 6],
  ["aborted", Code.Aborted, 10],
  ["unavailable", Code.Unavailable, 14],
];

describe("toConnectError", () => {
  it.each(kinds)("maps %s to %s with exactly one ErrorInfo", (kind, code) => {
    const error = toConnectError({ kind, reason: "SPAN_NOT_FOUND", message: "span 00f067aa0ba902b7 not found", metadata: { span_id: "00f067aa0ba902b7" } } as CommandError);
    expect(error.code).toBe(code);
    expect(error.rawMessage).toBe("span 00f067aa0ba902b7 not found");
    expect(error.findDetails(ErrorInfoSchema)).toEqual([
      expect.objectContaining({ reason: "SPAN_NOT_FOUND", domain: "traceledger.dev", metadata: { span_id: "00f067aa0ba902b7" } }),
    ]);
    expect(error.details).toHaveLength(1);
  });

  it("copies the metadata, so the domain error stays as it was", () => {
    const domain = traceError("already_exists", "SPAN_ID_REUSED", "span id reused", { span_id: "00f067aa0ba902b7" });
    const error = toConnectError(domain);
    const [info] = error.findDetails(ErrorInfoSchema);
    info!.metadata["extra"] = "x";
    expect(domain.metadata).toEqual({ span_id: "00f067aa0ba902b7" });
  });
});

describe("invalidArgument", () => {
  it("is INVALID_ARGUMENT with the rpc layer's reason in the ErrorInfo", () => {
    const error = invalidArgument("INVALID_TRACEPARENT", "traceparent is not a W3C traceparent", { traceparent: "nope" });
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(ErrorInfoSchema)).toEqual([
      expect.objectContaining({ reason: "INVALID_TRACEPARENT", domain: ERROR_DOMAIN, metadata: { traceparent: "nope" } }),
    ]);
  });

  it("takes metadata as optional", () => {
    expect(invalidArgument("MISSING_FIELD", "name is required").findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({});
  });
});

describe("codeNumber", () => {
  it.each(kinds)("gives the google.rpc.Code number of %s", (kind, _code, number) => {
    expect(codeNumber(kind)).toBe(number);
  });
});
