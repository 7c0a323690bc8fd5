// How a stream held open by the server (a watch) ends when the server closes:
// UNAVAILABLE, which every gRPC client treats as "retry elsewhere or later",
// rather than OK, which would claim the stream had nothing more to say; and,
// when its client has stopped reading so that status cannot reach it, a reset.

import { status, type ServerDuplexStream, type ServerWritableStream } from "@grpc/grpc-js";
import http2, { type ServerHttp2Stream } from "node:http2";
import { Duplex } from "node:stream";

export const SHUTTING_DOWN = "the server is shutting down";

/**
 * How long a server stream may take to deliver its end (UNAVAILABLE) once the server
 * closes, on either door; then it is cut. Only a stream whose client has stopped reading
 * takes longer: its end waits behind the messages flow control holds back (HTTP/2's
 * window, or TCP's on HTTP/1.1), and it would hold the close for the whole grace period.
 * A client that reads gets its last messages and the end within milliseconds.
 */
export const STREAM_END_MS = 500;

/** Ends the stream when shutdown aborts; cleanup runs once, when the stream ends for any reason. */
export function endStreamOnShutdown(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  shutdown: AbortSignal,
  cleanup: () => void = () => undefined,
): void {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    shutdown.removeEventListener("abort", onShutdown);
    cleanup();
  };
  const onShutdown = (): void => {
    end();
    call.emit("error", { code: status.UNAVAILABLE, details: SHUTTING_DOWN });
  };
  call.once("cancelled", end);
  call.once("finish", end);
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener("abort", onShutdown, { once: true });
}

/**
 * Ends a grpc-js server stream without its status: RST_STREAM with CANCEL, which the client
 * reads as CANCELLED. For a stream whose client has stopped reading: HTTP/2 flow control holds
 * back what it has not taken, and the status (trailers) can only follow those messages, so
 * without this the stream, and the server's close, would wait for the grace period. Returns
 * false when the stream is already closed or cannot be found.
 *
 * grpc-js has no public way to do it: the HTTP/2 stream is held by its call objects (in
 * 1.14: the handler's call has `call`, a BaseServerInterceptingCall with `stream`, wrapped in
 * ServerInterceptingCalls' `nextCall` when the server has interceptors). If a later grpc-js
 * moves it, this finds nothing and the grace period bounds such streams, as before;
 * test/e2e/shutdown-stalled-watch.e2e.spec.ts would then fail.
 */
/** Keeps `call` in `openStreams` until it ends (grpc-js reports every end of a call as "cancelled", a normal one too). */
export function trackOpenStream(call: ServerWritableStream<unknown, unknown>, openStreams: Set<ServerWritableStream<unknown, unknown>> | undefined): void {
  if (!openStreams) return;
  openStreams.add(call);
  call.once("cancelled", () => openStreams.delete(call));
}

export function resetStream(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>): boolean {
  const stream = http2StreamOf(call);
  if (stream === undefined || stream.closed || stream.destroyed) return false;
  stream.close(http2.constants.NGHTTP2_CANCEL);
  return true;
}

function http2StreamOf(call: object): ServerHttp2Stream | undefined {
  let inner: unknown = (call as { call?: unknown }).call;
  for (let depth = 0; typeof inner === "object" && inner !== null && depth < 16; depth++) {
    const stream = (inner as { stream?: unknown }).stream;
    if (isHttp2Stream(stream)) return stream;
    inner = (inner as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

function isHttp2Stream(value: unknown): value is ServerHttp2Stream {
  return value instanceof Duplex && typeof (value as Partial<ServerHttp2Stream>).close === "function" && "rstCode" in value && "session" in value;
}
