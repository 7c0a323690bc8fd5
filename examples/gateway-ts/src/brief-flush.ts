// Before calling the next service the gateway ships its span's start, waiting
// for that only briefly. As the Go, Python and Java services do with their
// starts: once a flush was not done in time, no request waits until traceledger
// has answered again (the flushes still run), so an outage of traceledger costs
// the requests of that outage nothing, not FLUSH_WAIT_MS each.

import type { Tracer } from "@traceledger/sdk";

/** How long a request waits for its span's start to ship before calling the next service. */
export const FLUSH_WAIT_MS = 250;

/** A flush for each request: `await flush()` resolves within FLUSH_WAIT_MS, at once while traceledger is not answering. */
export function briefFlush(tracer: Tracer): () => Promise<void> {
  // While not waiting: how many commands traceledger had answered (acknowledged or rejected) when
  // the wait was given up. Any answer since says it is back.
  let answeredWhenLate: number | undefined;
  const answered = () => {
    const stats = tracer.stats();
    return stats.sent + stats.failed;
  };
  return async () => {
    if (answeredWhenLate !== undefined && answered() > answeredWhenLate) answeredWhenLate = undefined;
    if (answeredWhenLate !== undefined) {
      // Still shipped, so the start lands as soon as it can; bounded, so flushes do not pile up.
      void tracer.forceFlush(FLUSH_WAIT_MS);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), FLUSH_WAIT_MS);
    });
    // forceFlush never rejects; it resolves once what is queued has been answered (or after its own, longer, timeout).
    const wasLate = await Promise.race([tracer.forceFlush().then(() => false), late]);
    clearTimeout(timer);
    if (wasLate) answeredWhenLate ??= answered();
  };
}
