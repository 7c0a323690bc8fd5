// How a failed call is classified: a connection cut under the call (a CANCELED
// the caller did not ask for, Node's HTTP/2 errors) or a deadline the server let
// pass is an outage, retried until the server is back; a cancellation the caller
// made itself is not.

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { callFailureKind } from "./retry-policy.js";

const notAborted = new AbortController().signal;
const aborted = AbortSignal.abort();

describe("callFailureKind", () => {
  it("takes a CANCELED the caller did not ask for as an outage: the server cut the stream", () => {
    const cut = new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
    expect(callFailureKind(cut, notAborted)).toBe("outage");
    expect(callFailureKind(cut, aborted)).toBe("final");
  });

  it("takes Node's HTTP/2 errors for a lost session or stream as an outage, whatever code connect gave them", () => {
    for (const code of ["ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_SESSION_ERROR", "ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_INVALID_SESSION", "ERR_HTTP2_STREAM_CANCEL"]) {
      const cause = Object.assign(new Error(`node says ${code}`), { code });
      const error = new ConnectError("Session closed with error code 8", Code.Internal, undefined, undefined, cause);
      expect(callFailureKind(error, notAborted), code).toBe("outage");
    }
  });

  it("takes a deadline that passed without an answer as an outage: the server, or its database, hangs", () => {
    expect(callFailureKind(new ConnectError("the operation timed out", Code.DeadlineExceeded), notAborted)).toBe("outage");
  });

  it("keeps the other kinds as they were", () => {
    expect(callFailureKind(new ConnectError("down", Code.Unavailable), notAborted)).toBe("outage");
    expect(callFailureKind(new ConnectError("busy", Code.ResourceExhausted), notAborted)).toBe("transient");
    expect(callFailureKind(new ConnectError("Received message larger than max (5000000 vs. 4194304)", Code.ResourceExhausted), notAborted)).toBe("tooLarge");
    expect(callFailureKind(new ConnectError("boom", Code.Internal), notAborted)).toBe("final");
    expect(callFailureKind(new ConnectError("who are you", Code.Unauthenticated), notAborted)).toBe("final");
  });
});
