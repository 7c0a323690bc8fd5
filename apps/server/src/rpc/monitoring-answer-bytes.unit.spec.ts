// MonitoringService answers within the answer limit, as GetTraceEvents pages are:
// a page or stream message holds fewer items when they would pass half of it (at
// least one; the page token goes on from the last one sent), and an alert too
// large to send on its own, stored before the saga cut the names it copies, is
// sent with its texts cut. Before, 500 spans or 50 alerts went in one message
// whatever their size, and a 4.2 MB alert failed every ListAlerts page and every
// WatchAlerts replay over gRPC, for good.

import { create, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  AlertKind,
  ListActiveSpansRequestSchema,
  ListActiveSpansResponseSchema,
  ListAlertsRequestSchema,
  ListAlertsResponseSchema,
  WatchActiveSpansRequestSchema,
  WatchActiveSpansResponseSchema,
  WatchAlertsRequestSchema,
  WatchAlertsResponseSchema,
  type ListActiveSpansResponse,
  type ListAlertsResponse,
  type MonitoringService,
  type WatchActiveSpansResponse,
  type WatchAlertsResponse,
} from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { activeSpanView, type AlertRaised, type AlertResolved, type MonitoringEvent } from "../domain/monitoring/index.js";
import { run } from "../domain/monitoring/testing/monitoring-specification.js";
import { started, T0, traceBegan, traceIdOf } from "../domain/monitoring/testing/monitoring-fixtures.js";
import { InMemoryEventStore } from "../event-store/in-memory/in-memory-event-store.js";
import { TraceChangeFeed } from "../live/trace-change-feed.js";
import { ActiveSpanFeed } from "../monitoring/active-span-feed.js";
import type { AlertQuery, AlertRow } from "../monitoring/alert-listing.js";
import { encodeAlertEvent } from "../monitoring/alert-codec.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "../monitoring/monitoring-stream.js";
import type { SagaRunner } from "../monitoring/saga-runner.js";
import { createMonitoringService } from "./monitoring-service.js";
import { readInBackground, stopAfterTest, until } from "./testing/idle-watchers.js";

type Monitoring = ServiceImpl<typeof MonitoringService>;

const LIMIT = 64 * 1024;
const now = T0 + 10_000_000_000n;
const context = (signal: AbortSignal) => ({ signal }) as HandlerContext;
const size = <D extends DescMessage>(schema: D, message: MessageShape<D>) => toBinary(schema, message).length;

/** `count` running spans of service "svc", each with a `nameBytes`-byte name, one per trace. */
function runningSpans(count: number, nameBytes = 1000) {
  const inputs = [];
  for (let n = 1; n <= count; n++) {
    const traceId = traceIdOf(n);
    inputs.push(traceBegan({ traceId, service: "svc" }), started("00000000000000a1", { traceId, service: "svc", name: `${n}`.padEnd(nameBytes, "n"), start: T0 + BigInt(n) }));
  }
  return run(inputs).state;
}

function slowSpanAlert(n: number, name: string): AlertRaised {
  const traceId = traceIdOf(n);
  return {
    type: "AlertRaised",
    alertId: `slow_span:${traceId}:00000000000000a1`,
    kind: "slow_span",
    subject: { type: "span", traceId, spanId: "00000000000000a1", service: "svc", operation: name },
    at: T0,
    value: 1e9,
    threshold: 1e9,
    unit: "ns",
    message: `span "${name}" of svc has run longer than 1 s`,
  };
}

function resolvedOf(alert: AlertRaised): AlertResolved {
  return { type: "AlertResolved", alertId: alert.alertId, kind: alert.kind, subject: alert.subject, at: T0 + 1n, reason: "span_ended", value: 2e9, unit: "ns" };
}

/** Alert 1 was stored with a 2.1 MB name (twice in it: subject and message); alerts 2..41 with 1,000-byte names. */
function storedAlerts(): AlertRaised[] {
  return [slowSpanAlert(1, "n".repeat(2_100_000)), ...Array.from({ length: 40 }, (_, i) => slowSpanAlert(i + 2, `${i + 2}`.padEnd(1000, "n")))];
}

/** monitoring_alerts as ListAlerts reads it: newest first, every alert resolved. */
function alertListing(alerts: readonly AlertRaised[]) {
  const rows: AlertRow[] = alerts.map((alert, i) => ({
    raisedVersion: 2 * i + 1,
    raisedRecordedAt: T0,
    raised: encodeAlertEvent(alert).payload,
    resolved: encodeAlertEvent(resolvedOf(alert)).payload,
  }));
  return async (q: AlertQuery) => {
    const before = rows.filter((r) => q.beforeVersion === 0 || r.raisedVersion < q.beforeVersion).reverse();
    return { rows: before.slice(0, q.limit), asOfVersion: BigInt(2 * rows.length) };
  };
}

function service(fields: {
  state?: ReturnType<typeof runningSpans>;
  alerts?: readonly AlertRaised[];
  store?: InMemoryEventStore;
  feed?: ActiveSpanFeed;
  signal: AbortSignal;
  maxAnswerBytes?: number;
}): Monitoring {
  return createMonitoringService({
    runner: { ready: Promise.resolve(), state: fields.state ?? runningSpans(0) } as unknown as SagaRunner,
    feed: fields.feed ?? new ActiveSpanFeed(),
    store: fields.store ?? new InMemoryEventStore(),
    alerts: alertListing(fields.alerts ?? []),
    changes: new TraceChangeFeed(),
    clock: () => now,
    shutdown: fields.signal,
    maxAnswerBytes: fields.maxAnswerBytes ?? LIMIT,
  });
}

describe("MonitoringService answers within TRACELEDGER_MAX_MESSAGE_BYTES", () => {
  it("ListActiveSpans pages by bytes as well as by page_size, and the token goes on from the last span sent", async () => {
    const monitoring = service({ state: runningSpans(150), signal: stopAfterTest().signal });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = (await monitoring.listActiveSpans!(create(ListActiveSpansRequestSchema, { pageSize: 1000, pageToken }), context(new AbortController().signal))) as ListActiveSpansResponse;
      expect(size(ListActiveSpansResponseSchema, page)).toBeLessThanOrEqual(LIMIT);
      expect(page.spans.length).toBeGreaterThan(0);
      seen.push(...page.spans.map((s) => s.name.slice(0, 4)));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    // 150 spans of ~1.1 KB against 32 KiB pages.
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(seen).toEqual(Array.from({ length: 150 }, (_, i) => `${i + 1}`.padEnd(4, "n")));
  });

  it("WatchActiveSpans sends its snapshot and its changes in messages within the limit", async () => {
    const stop = stopAfterTest();
    const state = runningSpans(150);
    const feed = new ActiveSpanFeed();
    const watched = readInBackground(service({ state, feed, signal: stop.signal }).watchActiveSpans!(create(WatchActiveSpansRequestSchema, {}), context(stop.signal)) as AsyncIterable<WatchActiveSpansResponse>);
    await until(5_000, "the snapshot", () => watched.some((m) => m.snapshotComplete));
    const snapshot = watched.splice(0);
    expect(snapshot.flatMap((m) => m.upserted)).toHaveLength(150);
    expect(snapshot.length).toBeGreaterThanOrEqual(5);
    expect(snapshot.map((m) => m.snapshotComplete)).toEqual(snapshot.map((_, i) => i === snapshot.length - 1));

    // 150 spans change at once: one take of the watcher's changes, in several messages.
    for (const trace of state.liveTraces) for (const span of trace.running.values()) feed.publish({ type: "upserted", span: activeSpanView(span, 5n) });
    await until(5_000, "the changes", () => watched.flatMap((m) => m.upserted).length === 150);
    expect(watched.length).toBeGreaterThanOrEqual(5);
    for (const message of [...snapshot, ...watched]) expect(size(WatchActiveSpansResponseSchema, message)).toBeLessThanOrEqual(LIMIT);
  });

  it("with every span alone past half the limit, ListActiveSpans and WatchActiveSpans still send one span a message, and reach them all", async () => {
    // A 1 KiB limit: 512 bytes of spans a message, and each 600-byte name passes it alone.
    const tiny = { state: runningSpans(3, 600), maxAnswerBytes: 1024 };
    const names = ["1nnn", "2nnn", "3nnn"];
    const monitoring = service({ ...tiny, signal: stopAfterTest().signal });
    const pages: string[][] = [];
    let pageToken = "";
    do {
      const page = (await monitoring.listActiveSpans!(create(ListActiveSpansRequestSchema, { pageSize: 1000, pageToken }), context(new AbortController().signal))) as ListActiveSpansResponse;
      pages.push(page.spans.map((s) => s.name.slice(0, 4)));
      pageToken = page.nextPageToken;
    } while (pageToken !== "" && pages.length < 10);
    expect(pages).toEqual(names.map((name) => [name]));

    // Read by hand, a bounded number of messages: a snapshot that never moved on would never end.
    const stop = stopAfterTest();
    const stream = service({ ...tiny, signal: stop.signal }).watchActiveSpans!(create(WatchActiveSpansRequestSchema, {}), context(stop.signal))[Symbol.asyncIterator]() as AsyncIterator<WatchActiveSpansResponse>;
    const snapshot: WatchActiveSpansResponse[] = [];
    while (snapshot.length < 10) {
      const { value, done } = await stream.next();
      if (done) break;
      snapshot.push(value);
      if (value.snapshotComplete) break;
    }
    await stream.return?.();
    expect(snapshot.map((m) => m.upserted.map((s) => s.name.slice(0, 4)))).toEqual(names.map((name) => [name]));
    expect(snapshot.map((m) => m.snapshotComplete)).toEqual([false, false, true]);
  });

  it("WatchActiveSpans with nothing running sends one empty, complete snapshot, then waits", async () => {
    const stop = stopAfterTest();
    const watched = readInBackground(service({ signal: stop.signal }).watchActiveSpans!(create(WatchActiveSpansRequestSchema, {}), context(stop.signal)) as AsyncIterable<WatchActiveSpansResponse>);
    await until(5_000, "the snapshot", () => watched.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(watched.map((m) => [m.upserted.length, m.snapshotComplete])).toEqual([[0, true]]);
  });

  it("ListAlerts pages by bytes, and sends an alert larger than the limit with its texts cut, its id and kind intact", async () => {
    const alerts = storedAlerts();
    const monitoring = service({ alerts, signal: stopAfterTest().signal });
    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = (await monitoring.listAlerts!(create(ListAlertsRequestSchema, { pageSize: 1000, pageToken }), context(new AbortController().signal))) as ListAlertsResponse;
      expect(size(ListAlertsResponseSchema, page)).toBeLessThanOrEqual(LIMIT);
      expect(page.alerts.length).toBeGreaterThan(0);
      ids.push(...page.alerts.map((a) => a.alertId));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(ids).toEqual(alerts.map((a) => a.alertId).reverse());

    const huge = await lastAlert(monitoring);
    expect(huge).toMatchObject({ alertId: alerts[0]!.alertId, kind: AlertKind.SLOW_SPAN });
    const subject = huge!.raised!.subject!.subject;
    expect(subject.case === "span" && subject.value.spanName).toBe("n".repeat(1024));
    expect(huge!.raised!.message).toBe(`span "${"n".repeat(1018)}`);
    expect(huge!.resolved!.subject!.subject.value).toMatchObject({ spanName: "n".repeat(1024) });
  });

  it("WatchAlerts from 0 sends an alert event larger than the limit with its texts cut, and every event after it", async () => {
    const stop = stopAfterTest();
    const store = new InMemoryEventStore();
    const events: MonitoringEvent[] = storedAlerts().flatMap((a) => [a, resolvedOf(a)]);
    for (const event of events) await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: [toNewAlertEvent(event)] });
    const watched = readInBackground(service({ store, signal: stop.signal }).watchAlerts!(create(WatchAlertsRequestSchema, { afterVersion: 0n }), context(stop.signal)) as AsyncIterable<WatchAlertsResponse>);
    await until(5_000, "every alert event", () => watched.length === events.length);
    for (const message of watched) expect(size(WatchAlertsResponseSchema, message)).toBeLessThanOrEqual(LIMIT);
    const [raised, resolved] = watched.map((m) => m.event!.event!.event);
    expect(raised?.case === "alertRaised" && raised.value).toMatchObject({ alertId: events[0]!.alertId, message: `span "${"n".repeat(1018)}` });
    expect(resolved?.case === "alertResolved" && resolved.value.subject?.subject.value).toMatchObject({ spanName: "n".repeat(1024) });
    expect(watched.map((m) => m.event!.streamVersion)).toEqual(events.map((_, i) => BigInt(i + 1)));
  });
});

/** The last alert of the listing (the first raised), read a page of one at a time. */
async function lastAlert(monitoring: Monitoring) {
  let pageToken = "";
  for (;;) {
    const page = (await monitoring.listAlerts!(create(ListAlertsRequestSchema, { pageSize: 1, pageToken }), context(new AbortController().signal))) as ListAlertsResponse;
    if (page.nextPageToken === "") return page.alerts[0];
    pageToken = page.nextPageToken;
  }
}
