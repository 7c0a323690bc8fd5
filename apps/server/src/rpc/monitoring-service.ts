// MonitoringService: one implementation, served by both doors. Active spans
// come from this replica's saga state (every replica folds the log, leader or
// not); alerts come from the monitoring stream (WatchAlerts) and its read
// model monitoring_alerts (ListAlerts), the same on every replica.
//
// Every answer and stream message is held to a byte budget, as GetTraceEvents'
// pages are: stock gRPC clients refuse answers over 4 MiB, and the gRPC door
// sends none over TRACELEDGER_MAX_MESSAGE_BYTES (RESOURCE_EXHAUSTED, the call
// lost). A page or message is then shorter (always at least one item; the page
// token goes on from the last one sent), and an alert larger than the budget on
// its own is sent with its texts cut (monitoring-messages.ts).

import { streamVersionOf } from "./stream-version.js";
import { create } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  AlertKind,
  AlertState,
  ListActiveSpansResponseSchema,
  ListAlertsResponseSchema,
  WatchActiveSpansResponseSchema,
  WatchAlertsResponseSchema,
  type MonitoringService,
} from "@traceledger/proto";
import { activeSpans, boundedText, type ActiveSpanView } from "../domain/monitoring/index.js";
import type { EventStore } from "../event-store/event-store.js";
import type { TraceChangeFeed } from "../live/trace-change-feed.js";
import type { ActiveSpanFeed } from "../monitoring/active-span-feed.js";
import { alertKindName } from "../monitoring/alert-codec.js";
import type { AlertPage, AlertQuery, AlertRow } from "../monitoring/alert-listing.js";
import { MONITORING_STREAM_ID } from "../monitoring/monitoring-stream.js";
import type { SagaRunner } from "../monitoring/saga-runner.js";
import { answerItemBytes } from "./transport/message-limits.js";
import {
  activeSpanBytes,
  activeSpanMessage,
  alertEnvelope,
  alertMessage,
  alertRowBytes,
  STOPPED_SPAN_BYTES,
  stoppedSpanMessage,
} from "./monitoring-messages.js";
import { activeSpanToken, alertToken, filterHash, readActiveSpanToken, readAlertToken } from "./page-tokens.js";
import { invalidArgument, withErrorInfo } from "./rpc-error.js";

interface MonitoringServiceDeps {
  /** Undefined when MONITORING_ENABLED is false: every call answers FAILED_PRECONDITION. */
  readonly runner: SagaRunner | undefined;
  readonly feed: ActiveSpanFeed;
  readonly store: EventStore;
  readonly alerts: (query: AlertQuery) => Promise<AlertPage>;
  /**
   * Woken (for MONITORING_STREAM_ID) when alert events are stored here; alerts stored by
   * another replica are found by its shared poll (one question per poll for all watchers).
   */
  readonly changes: TraceChangeFeed;
  readonly clock: () => bigint;
  /** Aborted at shutdown: ends every watch. */
  readonly shutdown: AbortSignal;
  /** How long a call waits for a starting replica to fold the log. Default 10 s. */
  readonly readyWaitMs?: number;
  /** The largest answer the transports send (TRACELEDGER_MAX_MESSAGE_BYTES). Default 4 MiB. */
  readonly maxAnswerBytes?: number;
}

const DEFAULT_SPAN_PAGE = 100;
const DEFAULT_ALERT_PAGE = 50;
const MAX_PAGE = 1000;
/** Spans per WatchActiveSpans message. */
const WATCH_CHUNK = 500;
const ALERT_EVENTS_PAGE = 500;

export function createMonitoringService(deps: MonitoringServiceDeps): ServiceImpl<typeof MonitoringService> {
  /** Most item bytes in one answer or stream message, as GetTraceEvents' pages. */
  const pageBytes = answerItemBytes(deps.maxAnswerBytes);

  /** The runner once its state shows the log as it was at start-up. */
  async function readyRunner(): Promise<SagaRunner> {
    const runner = deps.runner;
    if (!runner) {
      throw withErrorInfo(Code.FailedPrecondition, "MONITORING_DISABLED", "monitoring is turned off on this server (MONITORING_ENABLED=false)");
    }
    const waitMs = deps.readyWaitMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      runner.ready.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]).finally(() => clearTimeout(timer));
    if (!ready) {
      throw withErrorInfo(Code.Unavailable, "MONITORING_NOT_READY", "this server is still reading the event log for monitoring; retry shortly", {
        waited_ms: String(waitMs),
      });
    }
    return runner;
  }

  return {
    async listActiveSpans(request) {
      const pageSize = pageSizeOf(request.pageSize, DEFAULT_SPAN_PAGE);
      const hash = filterHash("spans", request.serviceName, request.minRunningNano);
      const after = request.pageToken ? readActiveSpanToken(request.pageToken, hash) : undefined;
      const runner = await readyRunner();
      const now = deps.clock();
      // The saga knows a service by its first bytes (bounded-text.ts): so is the filter read.
      const service = boundedText(request.serviceName);
      const spans = activeSpans(runner.state, now)
        .filter((s) => (service === "" || s.service === service) && s.runningNs >= request.minRunningNano)
        .sort(byStart)
        .filter((s) => after === undefined || byStart(s, after) > 0);
      const page = spans.slice(0, spansWithin(spans, 0, pageSize, pageBytes));
      const last = page[page.length - 1];
      return create(ListActiveSpansResponseSchema, {
        spans: page.map((s) => activeSpanMessage(s, now)),
        nextPageToken: spans.length > page.length && last ? activeSpanToken(last, hash) : "",
        asOfTimeUnixNano: now,
      });
    },

    async *watchActiveSpans(request, context) {
      const runner = await readyRunner();
      const signal = AbortSignal.any([context.signal, deps.shutdown]);
      // Watch and snapshot in one synchronous step: every later change is relative to the snapshot.
      const service = boundedText(request.serviceName);
      const watcher = deps.feed.watch(service);
      try {
        const now = deps.clock();
        const snapshot = activeSpans(runner.state, now)
          .filter((s) => service === "" || s.service === service)
          .sort(byStart);
        watcher.markKnown(snapshot);
        // One message at least: an empty snapshot is complete too.
        let i = 0;
        do {
          const end = spansWithin(snapshot, i, WATCH_CHUNK, pageBytes);
          yield create(WatchActiveSpansResponseSchema, {
            upserted: snapshot.slice(i, end).map((s) => activeSpanMessage(s, now)),
            snapshotComplete: end >= snapshot.length,
            asOfTimeUnixNano: now,
          });
          i = end;
        } while (i < snapshot.length);
        while (!signal.aborted) {
          await watcher.changed(signal);
          const changes = watcher.take(WATCH_CHUNK);
          if (changes.length === 0) continue;
          const at = deps.clock();
          let response = create(WatchActiveSpansResponseSchema, { asOfTimeUnixNano: at });
          let bytes = 0;
          for (const change of changes) {
            const size = change.type === "upserted" ? activeSpanBytes(change.span) : STOPPED_SPAN_BYTES;
            if (bytes > 0 && bytes + size > pageBytes) {
              yield response;
              response = create(WatchActiveSpansResponseSchema, { asOfTimeUnixNano: at });
              bytes = 0;
            }
            bytes += size;
            if (change.type === "upserted") response.upserted.push(activeSpanMessage(change.span, at));
            else response.stopped.push(stoppedSpanMessage(change));
          }
          yield response;
        }
      } finally {
        watcher.close();
      }
    },

    async listAlerts(request) {
      const pageSize = pageSizeOf(request.pageSize, DEFAULT_ALERT_PAGE);
      if (!(request.state in AlertState)) {
        throw invalidArgument("INVALID_ALERT_STATE", `state ${request.state} is not an AlertState`, { state: String(request.state) });
      }
      const kind = request.kind === AlertKind.UNSPECIFIED ? "" : alertKindName(request.kind);
      if (kind === undefined) throw invalidArgument("INVALID_ALERT_KIND", `kind ${request.kind} is not an AlertKind`, { kind: String(request.kind) });
      const hash = filterHash("alerts", request.state, request.kind, request.serviceName);
      const place = request.pageToken ? readAlertToken(request.pageToken, hash) : undefined;
      await readyRunner();
      const page = await deps.alerts({ state: request.state, kind, service: request.serviceName, beforeVersion: place?.raisedVersion ?? 0, limit: pageSize + 1 });
      const rows = page.rows.slice(0, alertsWithin(page.rows, pageSize, pageBytes));
      const last = rows[rows.length - 1];
      // The listing's version is its first page's: an alert raised after it is on none of the
      // later pages (they go back in time), so WatchAlerts from a later page's own version would
      // miss it. From the first page's it may repeat what later pages show, and misses nothing.
      // (The lower of the two: a later page read from a replica whose projector is behind.)
      const asOfVersion = place?.asOfVersion !== undefined && place.asOfVersion < page.asOfVersion ? place.asOfVersion : page.asOfVersion;
      return create(ListAlertsResponseSchema, {
        alerts: rows.map((row) => alertMessage(row, pageBytes)),
        nextPageToken: page.rows.length > rows.length && last ? alertToken({ raisedVersion: last.raisedVersion, asOfVersion }, hash) : "",
        asOfVersion,
      });
    },

    async *watchAlerts(request, context) {
      await readyRunner();
      const signal = AbortSignal.any([context.signal, deps.shutdown]);
      let after = streamVersionOf(request.afterVersion);
      while (!signal.aborted) {
        // Listen before reading, so an append between the read and the wait still wakes us:
        // at once when this replica's saga stored it, else when the feed's shared poll sees
        // the stream past what this watcher has read (alerts stored by another replica).
        // An idle watcher reads nothing itself.
        const following = deps.changes.follow(MONITORING_STREAM_ID, () => after, signal);
        try {
          // Bounded in bytes too: a watcher that does not read holds its page in memory.
          const events = await deps.store.readStream(MONITORING_STREAM_ID, { afterVersion: after, limit: ALERT_EVENTS_PAGE, maxBytes: pageBytes });
          let bytes = 0;
          for (const stored of events) {
            yield create(WatchAlertsResponseSchema, { event: alertEnvelope(stored, pageBytes) });
            after = stored.version;
            bytes += stored.payload.length;
          }
          // A read cut short by bytes goes on at once.
          if (events.length < ALERT_EVENTS_PAGE && bytes < pageBytes) await following.changed;
        } finally {
          following.cancel();
        }
      }
    },
  };
}

function pageSizeOf(requested: number, fallback: number): number {
  if (requested < 0) throw invalidArgument("INVALID_PAGE_SIZE", `page_size must not be negative, got ${requested}`, { page_size: String(requested) });
  return requested === 0 ? fallback : Math.min(requested, MAX_PAGE);
}

/**
 * Where a page or message of spans[start, ...) ends: at most `count` spans, fewer (at least
 * one) so that they stay within `maxBytes` as encoded.
 */
function spansWithin(spans: readonly ActiveSpanView[], start: number, count: number, maxBytes: number): number {
  let bytes = 0;
  let end = start;
  while (end < spans.length && end - start < count) {
    bytes += activeSpanBytes(spans[end]!);
    if (end > start && bytes > maxBytes) break;
    end++;
  }
  return end;
}

/** How many of `rows` a ListAlerts page holds: at most `count`, fewer (at least one) so that they stay within `maxBytes`. */
function alertsWithin(rows: readonly AlertRow[], count: number, maxBytes: number): number {
  let bytes = 0;
  let end = 0;
  while (end < rows.length && end < count) {
    bytes += alertRowBytes(rows[end]!);
    if (end > 0 && bytes > maxBytes) break;
    end++;
  }
  return end;
}

/** Longest running first: by start time, then ids, so pages never overlap. */
function byStart(a: Pick<ActiveSpanView, "startTime" | "traceId" | "spanId">, b: Pick<ActiveSpanView, "startTime" | "traceId" | "spanId">): number {
  if (a.startTime !== b.startTime) return a.startTime < b.startTime ? -1 : 1;
  if (a.traceId !== b.traceId) return a.traceId < b.traceId ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}
