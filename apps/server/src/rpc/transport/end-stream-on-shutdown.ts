// How a stream held open by the server (a watch) ends when the server closes:
// UNAVAILABLE, which every gRPC client treats as "retry elsewhere or later",
// rather than OK, which would claim the stream had nothing more to say.

import { status, type ServerDuplexStream, type ServerWritableStream } from "@grpc/grpc-js";

export const SHUTTING_DOWN = "the server is shutting down";

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
