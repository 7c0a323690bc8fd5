import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { publicError } from "./public-error.js";

describe("publicError", () => {
  it("passes a ConnectError on as it is, without logging", () => {
    const log = vi.fn();
    const error = new ConnectError("gone", Code.NotFound);
    expect(publicError(error, "p.S/M", log)).toBe(error);
    expect(log).not.toHaveBeenCalled();
  });

  it("turns anything else into a bare INTERNAL and logs the original", () => {
    const log = vi.fn();
    const bug = new Error("relation \"events\" does not exist");
    const error = publicError(bug, "p.S/M", log);
    expect([error.code, error.rawMessage]).toEqual([Code.Internal, "internal error"]);
    expect(error.cause).toBe(bug);
    expect(log).toHaveBeenCalledWith(bug, "p.S/M");
  });

  it("answers with the abort reason when the call was aborted, whatever the implementation threw", () => {
    const log = vi.fn();
    const abort = new AbortController();
    abort.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    expect(publicError(new DOMException("aborted", "AbortError"), "p.S/M", log, abort.signal).code).toBe(Code.DeadlineExceeded);
    const plain = new AbortController();
    plain.abort();
    expect(publicError(new Error("stopped"), "p.S/M", log, plain.signal).code).toBe(Code.Canceled);
    expect(log).not.toHaveBeenCalled();
  });
});
