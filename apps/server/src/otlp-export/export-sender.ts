// Sends one request until the collector settles it: accepted, or refused for
// good. Retryable answers are retried without limit (the spans wait safely in
// the event log, and the checkpoint stays put), after the wait the collector
// asked for (Retry-After, RetryInfo; at least the first backoff step) or else an
// exponential backoff with full jitter. Stops between attempts when the signal aborts (lease lost, shutdown);
// an attempt under way is let finish, so a shutdown does not turn an accepted
// request into a duplicate.

import type { OtlpExportObserver } from "./otlp-export-observer.js";
import type { OtlpTransport } from "./otlp-transport.js";
import { fullJitterBackoffMs, requestedWaitMs, type BackoffPolicy } from "../retry/retry-backoff.js";
import { WakeableSleep } from "../subscription/wakeable-sleep.js";

type SendResult =
  | {
      readonly kind: "accepted";
      readonly rejectedSpans: number;
      readonly message: string;
      /** An earlier attempt may have reached the collector: this request may be a duplicate. */
      readonly possiblyDuplicated: boolean;
    }
  | { readonly kind: "failed"; readonly reason: string; readonly reasonKind: string };

interface ExportSenderOptions {
  readonly transport: OtlpTransport;
  readonly backoff: BackoffPolicy;
  /** The longest wait honoured from Retry-After or RetryInfo. Default 5 minutes. */
  readonly maxRetryAfterMs?: number;
  readonly observer?: OtlpExportObserver;
  /** Injected for tests: waits `ms`, or less if the signal aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export class ExportSender {
  constructor(private readonly options: ExportSenderOptions) {}

  /** Throws the signal's reason when it aborts before the request is settled. */
  async send(body: Uint8Array, signal: AbortSignal): Promise<SendResult> {
    const { transport, observer } = this.options;
    const sleep = this.options.sleep ?? ((ms: number, signal: AbortSignal) => new WakeableSleep().sleep(ms, signal));
    let possiblyDuplicated = false;
    for (let retries = 0; ; retries++) {
      signal.throwIfAborted();
      const outcome = await transport.export(body);
      switch (outcome.kind) {
        case "accepted":
          if (retries > 0) observer?.exportRecovered?.(retries, "accepted");
          return { kind: "accepted", rejectedSpans: outcome.rejectedSpans, message: outcome.message, possiblyDuplicated };
        case "failed":
          // The outage (if this request had retries) is over too: the collector answers, if only to refuse.
          if (retries > 0) observer?.exportRecovered?.(retries, "refused");
          return outcome;
        case "retryable": {
          possiblyDuplicated ||= outcome.ambiguous;
          const waitMs =
            outcome.retryAfterMs !== undefined
              ? requestedWaitMs(outcome.retryAfterMs, this.options.backoff, this.options.maxRetryAfterMs ?? 300_000)
              : fullJitterBackoffMs(retries, this.options.backoff, this.options.random);
          observer?.exportRetried?.(outcome.reason, waitMs, outcome.reasonKind, retries + 1);
          await sleep(waitMs, signal);
        }
      }
    }
  }
}
