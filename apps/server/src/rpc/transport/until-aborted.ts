// A server stream ends when its call is aborted (shutdown, deadline, client
// cancel), whatever its implementation does: one stuck awaiting the next event
// and ignoring its signal must not hold the call (and a server's close) open,
// and one that returns quietly once aborted must not look complete to the
// client, which would then not resume.

import type { Interceptor } from "@connectrpc/connect";

/** The source's messages until signal aborts; then the abort reason is thrown. */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  let done = false;
  try {
    for (;;) {
      signal.throwIfAborted();
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done === true) {
        done = true;
        break;
      }
      yield next.value;
    }
  } finally {
    // Lets the implementation run its finally blocks once it wakes; not
    // awaited, as it may be the stuck one.
    if (!done) iterator.return?.()?.catch(() => undefined);
  }
  signal.throwIfAborted();
}

/** untilAborted for the streams of the connect-node door. */
export function untilAbortedInterceptor(): Interceptor {
  return (next) => async (request) => {
    const response = await next(request);
    return response.stream ? { ...response, message: untilAborted(response.message, request.signal) } : response;
  };
}
