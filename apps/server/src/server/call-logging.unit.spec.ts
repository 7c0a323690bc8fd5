import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { TracingService } from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { createLogger } from "../log/logger.js";
import { withCallLogging } from "./call-logging.js";

type Line = Record<string, unknown>;

/** GetTrace wrapped with call logging, failing with `thrown`; what it logged. */
async function failedCall(thrown: unknown): Promise<Line[]> {
  const lines: Line[] = [];
  const log = createLogger("debug", {}, (line) => lines.push(JSON.parse(line) as Line));
  const impl = { getTrace: () => Promise.reject(thrown) } as unknown as ServiceImpl<typeof TracingService>;
  const wrapped = withCallLogging(TracingService, impl, log) as unknown as Record<string, (request: unknown, context: HandlerContext) => Promise<unknown>>;
  const context = { requestHeader: new Headers({ "x-request-id": "req-1" }), responseHeader: new Headers() } as unknown as HandlerContext;
  await expect(wrapped.getTrace!({}, context)).rejects.toBe(thrown);
  return lines;
}

describe("withCallLogging: a failed call's line says what the client was answered", () => {
  it("an unexpected error: INTERNAL 'internal error' at error level, with its cause and the request id", async () => {
    const lines = await failedCall(new TypeError("cannot read properties of undefined"));
    expect(lines).toEqual([
      expect.objectContaining({
        level: "error",
        msg: "call failed",
        request_id: "req-1",
        code: "Internal",
        message: "internal error",
        error: { name: "TypeError", message: "cannot read properties of undefined" },
      }),
    ]);
  });

  it("a refusal thrown on purpose: its own code and message, at info", async () => {
    const lines = await failedCall(new ConnectError("no such trace", Code.NotFound));
    expect(lines).toEqual([expect.objectContaining({ level: "info", msg: "call rejected", request_id: "req-1", code: "NotFound", message: "no such trace" })]);
    expect(lines[0]).not.toHaveProperty("error");
  });

  it("an implementation stopped by its call's abort: CANCELED, not a fault of the server's", async () => {
    const lines = await failedCall(new DOMException("the operation was aborted", "AbortError"));
    expect(lines).toEqual([expect.objectContaining({ level: "info", msg: "call rejected", code: "Canceled" })]);
  });
});
