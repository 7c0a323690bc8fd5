// The HTTP/1.1 door's request listener for the RPCs, in place of connect-node's
// connectNodeAdapter (2.1), which
// - prints a multi-line, non-JSON stack to stderr for a client that hangs up while
//   its answer is written (a write's EPIPE is not among the failures it takes for a
//   hang-up), and for any other failure, past the server's JSON log;
// - lets a request without a Host header (HTTP/1.0), or with one that names no host
//   ("Host: [", which node:http lets through), throw out of the listener: an uncaught
//   exception, which ends the process;
// - waits forever for a write to a client that went away while the answer waited
//   for its socket to drain (such a response emits neither "drain" nor "error"), so
//   the stream's implementation never ran its finally blocks and kept its
//   TRACELEDGER_MAX_OPEN_STREAMS place, and its memory, for good.
// A client gone is nobody's fault here: not logged. Any other failure goes to the
// server's handler of internal errors, once, with the call's request id.

import { ConnectError } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import { REQUEST_ID_HEADER } from "../../log/call-log.js";
import type { InternalErrorHandler } from "./public-error.js";

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** Node's codes for a connection the client closed or reset, or that was cut under the answer. */
const CLIENT_GONE = new Set(["EPIPE", "ECONNRESET", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

/**
 * Serves each request whose path is one of `handlers`' procedures ("/pkg.Service/Method",
 * query string aside) with that handler, and hands every other request to `fallback`.
 */
export function connectRequestListener(handlers: readonly UniversalHandler[], fallback: RequestListener, onInternalError: InternalErrorHandler): RequestListener {
  const byPath = new Map(handlers.map((handler) => [handler.requestPath, handler]));
  return (request, response) => {
    const handler = byPath.get((request.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) return fallback(request, response);
    const procedure = `${handler.service.typeName}/${handler.method.name}`;
    let requestId = firstValue(request.headers[REQUEST_ID_HEADER]);
    serve(handler, request, response, (id) => (requestId = id)).catch((error: unknown) => {
      if (clientGone(error)) return;
      onInternalError(rootCause(error), procedure, requestId);
      if (!response.headersSent && !response.destroyed) sendConnectError(response, 500, "internal", "internal error");
      else if (!response.writableEnded) response.destroy();
    });
  };
}

/**
 * Resolves once the answer is written or its connection closed; rejects with what
 * failed otherwise. `named` learns the call's request id as the implementation set it.
 */
async function serve(handler: UniversalHandler, request: IncomingMessage, response: ServerResponse, named: (requestId: string) => void): Promise<void> {
  // A response queued behind another on a pipelined connection emits no close when the
  // client goes (node:http, Node 20), nor does its request an error: the socket's close is
  // what says so, and it aborts the call, or a stream waiting for its next event would wait
  // for good. Listened for before anything is awaited, so that no close goes unseen.
  const socket = request.socket;
  const connectionGone = new AbortController();
  const onSocketClose = () => connectionGone.abort();
  socket.once("close", onSocketClose);
  const closed = new Promise<"closed">((resolve) => {
    response.once("close", () => {
      socket.off("close", onSocketClose);
      resolve("closed");
    });
    connectionGone.signal.addEventListener("abort", () => resolve("closed"), { once: true });
  });
  let universalRequest: UniversalServerRequest;
  try {
    const fromNode = universalRequestFromNodeRequest(request, response, undefined, undefined);
    universalRequest = { ...fromNode, signal: AbortSignal.any([fromNode.signal, connectionGone.signal]) };
  } catch {
    // Its URL is built from the Host header: HTTP/1.1 requires one (node:http refuses a request
    // without it), HTTP/1.0 does not, and node:http lets through one that names no host.
    sendConnectError(response, 400, "invalid_argument", "a call needs a Host header that names a host");
    return;
  }
  const answer = await handler(universalRequest);
  const requestId = answer.header?.get(REQUEST_ID_HEADER);
  if (requestId) named(requestId);
  const body = answer.body?.[Symbol.asyncIterator]();
  const withBody: UniversalServerResponse = body ? { ...answer, body: { [Symbol.asyncIterator]: () => body } } : answer;
  // connect-node's writer never settles for HTTP/1.1 once the answer is out (it waits for an
  // "end" that only HTTP/2 responses emit), nor when the client went away while it waited for
  // the socket to drain: the response's close says when it is over.
  const written = universalResponseToNodeResponse(withBody, response).then(
    () => ({ failed: false as const }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  const outcome = await Promise.race([written, closed]);
  if (outcome === "closed") {
    // The client went first: an implementation suspended at its yield is resumed with a
    // return, so that its finally blocks run.
    if (!response.writableFinished) body?.return?.().catch(() => undefined);
  } else if (outcome.failed) {
    throw outcome.error;
  }
}

/** Whether a failure is the client's connection going away (closed, reset, or cut at close). */
function clientGone(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && CLIENT_GONE.has(code)) return true;
  }
  return false;
}

/** connect-node wraps a Node error in a ConnectError (INTERNAL) whose message says less than its cause. */
function rootCause(error: unknown): unknown {
  return error instanceof ConnectError && error.cause instanceof Error ? error.cause : error;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  return (Array.isArray(header) ? header[0] : header) || undefined;
}

/** A Connect unary error body: what a Connect client reads whatever the call's protocol. */
function sendConnectError(response: ServerResponse, status: number, code: string, message: string): void {
  const text = JSON.stringify({ code, message });
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
