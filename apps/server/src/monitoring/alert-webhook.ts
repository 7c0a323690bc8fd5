// Posts every event of the monitoring stream to ALERT_WEBHOOK_URL, in stream
// order, at least once. Its own checkpoint (the stream version delivered) is
// saved after each delivery, so a restart or a failover resumes after the last
// event known delivered; an event may then arrive twice, and its
// Idempotency-Key header (the event id, stable across replicas and replays)
// lets the receiver drop the copy. Only the saga's leader delivers.
//
// A delivery is retried on network errors, timeouts, 408/425/429 and 5xx,
// waiting what Retry-After asks or else backing off with jitter; any other
// answer is final (a receiver that refuses the payload will not change its
// mind) and the event is skipped with an error in the log. A redirect is such
// an answer, not followed: fetch would resend a 301/302/303 as a GET without
// the alert, and count the GET's 200 as delivered. Credentials in the URL
// (https://user:pass@host/...) go as HTTP Basic authorization, which fetch
// would otherwise refuse to send at all.

import { toJsonString } from "@bufbuild/protobuf";
import { MonitoringEventEnvelopeSchema } from "@traceledger/proto";
import { takeUrlCredentials } from "../config/url-credentials.js";
import type { EventStore, StoredEvent } from "../event-store/event-store.js";
import type { Logger } from "../log/logger.js";
import { WakeableSleep } from "../subscription/wakeable-sleep.js";
import { toAlertEnvelope } from "./alert-envelope.js";
import { MONITORING_STREAM_ID } from "./monitoring-stream.js";
import { isRetryableStatus, retryDelayMs, type BackoffPolicy } from "./retry-delay.js";

export const ALERT_WEBHOOK_SUBSCRIBER = "alert-webhook";

interface AlertWebhookOptions {
  readonly url: string;
  readonly store: EventStore;
  /** True while this replica runs the saga: only then does it deliver. */
  readonly isActive: () => boolean;
  /** Default: first retry within 0.5 s, doubling, at most 30 s. */
  readonly backoff?: BackoffPolicy;
  /** Per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  /** How often to look when nobody woke us. Default 1 s. */
  readonly idleMs?: number;
  readonly random?: () => number;
  readonly log?: Logger;
}

export class AlertWebhook {
  private running = false;
  private loop: Promise<void> | undefined;
  /** The rest between polls: new alerts (wake) or stop cut it short. */
  private readonly rest = new WakeableSleep();
  /** The wait before a retry: only stop cuts it short, never new alerts. */
  private readonly retryWait = new WakeableSleep();
  private readonly stopping = new AbortController();
  private readonly backoff: BackoffPolicy;

  private readonly target: { readonly url: string; readonly authorization?: string };

  constructor(private readonly options: AlertWebhookOptions) {
    this.backoff = options.backoff ?? { baseMs: 500, maxMs: 30_000 };
    this.target = webhookTarget(options.url);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.follow();
  }

  /** Stops at once, also in the middle of a retry wait; an undelivered event is delivered by the next leader. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.rest.wake();
    await this.loop;
  }

  wake(): void {
    this.rest.wake();
  }

  private async follow(): Promise<void> {
    while (this.running) {
      let pauseMs = this.options.idleMs ?? 1000;
      try {
        if (this.options.isActive() && (await this.deliverSome()) > 0) pauseMs = 0;
      } catch (error) {
        if (!this.running) break;
        this.options.log?.error("alert webhook: could not read or checkpoint the monitoring stream; retrying", { error });
        pauseMs = 2000;
      }
      if (!this.running) break;
      if (pauseMs === 0) continue;
      await this.rest.sleep(pauseMs);
    }
  }

  /** Delivers the events after the checkpoint, one by one; returns how many. */
  private async deliverSome(): Promise<number> {
    const { store } = this.options;
    let checkpoint = await store.loadCheckpoint(ALERT_WEBHOOK_SUBSCRIBER);
    const events = await store.readStream(MONITORING_STREAM_ID, { afterVersion: Number(checkpoint.position), limit: 100 });
    let delivered = 0;
    for (const stored of events) {
      if (!this.running || !this.options.isActive()) break;
      if (!(await this.deliver(stored))) break;
      const next = { transactionId: 0n, position: BigInt(stored.version) };
      if (!(await store.saveCheckpoint(ALERT_WEBHOOK_SUBSCRIBER, checkpoint, next))) break;
      checkpoint = next;
      delivered++;
    }
    return delivered;
  }

  /** True when the event is done with (accepted, or refused for good); false when interrupted. */
  private async deliver(stored: StoredEvent): Promise<boolean> {
    const { log } = this.options;
    const { url, authorization } = this.target;
    const body = toJsonString(MonitoringEventEnvelopeSchema, toAlertEnvelope(stored));
    for (let attempt = 1; this.running && this.options.isActive(); attempt++) {
      let retryAfter: string | null = null;
      let problem: string;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "idempotency-key": stored.eventId,
            "user-agent": "traceledger-alert-webhook",
            ...(authorization ? { authorization } : {}),
          },
          body,
          redirect: "manual",
          signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
        });
        await response.body?.cancel();
        if (response.ok) return true;
        if (response.status >= 300 && response.status < 400) {
          const location = response.headers.get("location") ?? "";
          log?.error("alert webhook: the receiver redirects; skipping the event (set ALERT_WEBHOOK_URL to where it redirects)", { status: response.status, location, event_id: stored.eventId, version: stored.version });
          return true;
        }
        if (!isRetryableStatus(response.status)) {
          log?.error("alert webhook: the receiver refused an alert event; skipping it", { status: response.status, event_id: stored.eventId, version: stored.version });
          return true;
        }
        retryAfter = response.headers.get("retry-after");
        problem = `HTTP ${response.status}`;
      } catch (error) {
        if (!this.running) return false;
        problem = error instanceof Error ? error.message : String(error);
      }
      const delayMs = retryDelayMs(attempt, retryAfter, this.backoff, Date.now(), (this.options.random ?? Math.random)());
      log?.warn("alert webhook: delivery failed; retrying", { problem, attempt, retry_in_ms: delayMs, event_id: stored.eventId });
      await this.retryWait.sleep(delayMs, this.stopping.signal);
    }
    return false;
  }
}

/** The URL without its credentials, and those as an HTTP Basic authorization header. */
function webhookTarget(raw: string): { url: string; authorization?: string } {
  // The settings refused a URL whose credentials do not percent-decode.
  const taken = takeUrlCredentials(new URL(raw));
  if (taken === "malformed") throw new Error("ALERT_WEBHOOK_URL has a user name or password with a malformed percent-encoding");
  return taken.authorization === undefined ? { url: raw } : { url: taken.url.toString(), authorization: taken.authorization };
}
