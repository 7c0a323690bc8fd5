// Alert retention on a real PostgreSQL: an alert resolved longer ago than the
// period goes whole (both events of the monitoring stream, its ListAlerts row);
// open alerts, recent ones, the stream's last event and whatever a reader has
// not read stay.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import type { AlertRaised, AlertResolved } from "../domain/monitoring/index.js";
import { START_OF_LOG, type GlobalCheckpoint } from "../event-store/event-store.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { ALERT_LISTING_SUBSCRIBER, AlertListingProjector } from "../monitoring/alert-listing-projector.js";
import { decodeAlertEvent } from "../monitoring/alert-codec.js";
import { ALERT_WEBHOOK_SUBSCRIBER } from "../monitoring/alert-webhook.js";
import { MONITORING_SUBSCRIBER } from "../monitoring/saga-runner.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "../monitoring/monitoring-stream.js";
import { TRACE_LISTING_SUBSCRIBER } from "../projections/postgres/trace-listing-projector.js";
import { AlertRetention } from "./alert-retention.js";

const SEC = 1_000_000_000n;
const DAY = 86_400n * SEC;
const BASE = 1_764_000_000n * SEC;

let db: TestDatabase;
let now = BASE;
const clock = () => now;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresEventStore(db.sql, { clock });
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.truncate();
  await db.sql`delete from monitoring_alerts`;
  now = BASE;
});

const traceId = (n: number) => n.toString(16).padStart(32, "0");
const spanId = (n: number) => n.toString(16).padStart(16, "0");

function raised(n: number, at: bigint): AlertRaised {
  return {
    type: "AlertRaised",
    alertId: `slow_span:${traceId(n)}:${spanId(n)}`,
    kind: "slow_span",
    subject: { type: "span", traceId: traceId(n), spanId: spanId(n), service: "orders", operation: "GET /orders" },
    at,
    value: 5e9,
    threshold: 5e9,
    unit: "ns",
    message: `span ${n} is slow`,
  };
}

function resolved(n: number, at: bigint): AlertResolved {
  return { type: "AlertResolved", alertId: raised(n, 0n).alertId, kind: "slow_span", subject: raised(n, 0n).subject, at, reason: "span_ended", value: 9e9, unit: "ns" };
}

/** Stores alert events in the monitoring stream, recorded at `at`. */
async function store_(at: bigint, ...events: Array<AlertRaised | AlertResolved>): Promise<void> {
  now = at;
  await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: events.map(toNewAlertEvent) });
}

/** The alert's number in its id, as raised() and resolved() made it. */
const numberOf = (alertId: string) => String(parseInt(alertId.split(":")[2]!, 16));

/** The stream as "version:type:alert". */
async function streamIds(): Promise<string[]> {
  return (await store.readStream(MONITORING_STREAM_ID)).map((e) => `${e.version}:${e.type}:${numberOf(decodeAlertEvent(e.type, e.payload).alertId)}`);
}

/** The alerts ListAlerts has rows for. */
async function listed(): Promise<string[]> {
  const rows = await db.sql<Array<{ alert_id: string }>>`select alert_id from monitoring_alerts`;
  return rows.map((row) => numberOf(row.alert_id)).sort();
}

/** Every reader of the log and of the stream has read it all. */
async function readEverything(): Promise<void> {
  await new AlertListingProjector({ sql: db.sql, store, clock }).catchUp();
  const end = (await store.readAll(START_OF_LOG, 100_000)).checkpoint;
  for (const subscriber of [TRACE_LISTING_SUBSCRIBER, MONITORING_SUBSCRIBER]) await moveTo(subscriber, end);
}

async function moveTo(subscriber: string, to: GlobalCheckpoint): Promise<void> {
  const from = await store.loadCheckpoint(subscriber);
  expect(await store.saveCheckpoint(subscriber, from, to)).toBe(true);
}

function retention(overrides: { streamReaders?: readonly string[]; logSubscribers?: readonly string[] } = {}) {
  return new AlertRetention({
    sql: db.sql,
    store,
    retentionNs: 7n * DAY,
    logSubscribers: overrides.logSubscribers ?? [TRACE_LISTING_SUBSCRIBER, MONITORING_SUBSCRIBER],
    streamReaders: overrides.streamReaders ?? [ALERT_LISTING_SUBSCRIBER],
    clock,
    scanPage: 3,
  });
}

describe("AlertRetention", () => {
  it("deletes alerts resolved before the cutoff, both events and the listing row, and keeps open, recent and last ones", async () => {
    await store_(BASE, raised(1, BASE), raised(2, BASE), raised(3, BASE));
    await store_(BASE + SEC, resolved(1, BASE + SEC), resolved(3, BASE + SEC));
    // 2 stays open for ever; 4 is resolved, but only yesterday; 5 was resolved long ago, and is the stream's last event.
    await store_(BASE + 2n * SEC, raised(4, BASE + 2n * SEC));
    await store_(BASE + 9n * DAY, resolved(4, BASE + 9n * DAY));
    await store_(BASE + 9n * DAY, raised(5, BASE + 9n * DAY));
    await store_(BASE + 9n * DAY + SEC, resolved(5, BASE + 9n * DAY + SEC));
    await readEverything();
    expect(await listed()).toEqual(["1", "2", "3", "4", "5"]);

    now = BASE + 10n * DAY;
    const pass = await retention().pass();
    expect(pass).toEqual({ alerts: 2, events: 4, heldBackBy: undefined });
    expect(await streamIds()).toEqual(["2:AlertRaised:2", "6:AlertRaised:4", "7:AlertResolved:4", "8:AlertRaised:5", "9:AlertResolved:5"]);
    expect(await listed()).toEqual(["2", "4", "5"]);

    // Much later: 4 and 5 are old enough, but 5's resolution is the stream's last event (its version
    // is the stream's), so 5 waits for the next alert; 2 is still open.
    now = BASE + 30n * DAY;
    expect(await retention().pass()).toMatchObject({ alerts: 1, events: 2 });
    expect(await streamIds()).toEqual(["2:AlertRaised:2", "8:AlertRaised:5", "9:AlertResolved:5"]);
    await store_(now, raised(6, now));
    expect(await store.streamVersion(MONITORING_STREAM_ID)).toBe(10);
    await readEverything();
    expect(await retention().pass()).toMatchObject({ alerts: 1, events: 2 });
    expect(await streamIds()).toEqual(["2:AlertRaised:2", "10:AlertRaised:6"]);
    expect(await listed()).toEqual(["2", "6"]);
  });

  it("keeps what a reader has not read: past the listing's or the webhook's version, at or past the log's oldest checkpoint", async () => {
    for (let n = 1; n <= 4; n++) await store_(BASE + BigInt(n) * SEC, raised(n, BASE), resolved(n, BASE));
    await store_(BASE + 5n * SEC, raised(9, BASE));
    await readEverything();
    now = BASE + 10n * DAY;

    // The webhook, run here, has delivered nothing yet: everything waits for it.
    expect(await retention({ streamReaders: [ALERT_LISTING_SUBSCRIBER, ALERT_WEBHOOK_SUBSCRIBER] }).pass()).toEqual({ alerts: 0, events: 0, heldBackBy: ALERT_WEBHOOK_SUBSCRIBER });
    // It delivered up to alert 1's resolution (version 2): alert 1 may go, 2 waits.
    await moveTo(ALERT_WEBHOOK_SUBSCRIBER, { transactionId: 0n, position: 2n });
    expect(await retention().pass()).toEqual({ alerts: 1, events: 2, heldBackBy: ALERT_WEBHOOK_SUBSCRIBER });
    await moveTo(ALERT_WEBHOOK_SUBSCRIBER, { transactionId: 0n, position: 9n });

    // The saga's checkpoint names alert 2's resolution (version 4): read, but kept with what comes after.
    const sagaAt = (version: number) => db.sql`
      update subscriber_checkpoints c set tx_id = e.tx_id, position = e.position from events e
      where c.subscriber_id = ${MONITORING_SUBSCRIBER} and e.trace_id = ${Buffer.from(MONITORING_STREAM_ID, "hex")} and e.version = ${version}`;
    await sagaAt(4);
    expect(await retention().pass()).toEqual({ alerts: 0, events: 0, heldBackBy: undefined });
    // It names alert 3's raise: alert 2 goes, 3 and 4 wait.
    await sagaAt(5);
    expect(await retention().pass()).toEqual({ alerts: 1, events: 2, heldBackBy: undefined });
    // Back before all of them (a saga that has read nothing since): it holds expired alerts back.
    await moveTo(MONITORING_SUBSCRIBER, START_OF_LOG);
    expect(await retention().pass()).toEqual({ alerts: 0, events: 0, heldBackBy: MONITORING_SUBSCRIBER });
    expect((await streamIds()).map((id) => id.split(":").slice(1).join(":"))).toEqual(["AlertRaised:3", "AlertResolved:3", "AlertRaised:4", "AlertResolved:4", "AlertRaised:9"]);

    await readEverything();
    expect(await retention().pass()).toEqual({ alerts: 2, events: 4, heldBackBy: undefined });
    expect(await listed()).toEqual(["9"]);
  });

  it("names no reader as holding alerts back when what it has not read is only old open alerts", async () => {
    await store_(BASE, raised(1, BASE), resolved(1, BASE), raised(2, BASE), raised(3, BASE));
    await readEverything();
    await moveTo(ALERT_WEBHOOK_SUBSCRIBER, { transactionId: 0n, position: 2n });
    now = BASE + 10n * DAY;
    expect(await retention().pass()).toEqual({ alerts: 1, events: 2, heldBackBy: undefined });
    // Alert 2 resolved, and another stored after it (the stream's last event is never deleted).
    await store_(now, resolved(2, now), raised(4, now));
    await readEverything();
    now = BASE + 20n * DAY;
    expect(await retention().pass()).toEqual({ alerts: 0, events: 0, heldBackBy: ALERT_WEBHOOK_SUBSCRIBER });
  });

  it("waits for a listing projector run here that has no checkpoint yet, and for nobody that never ran", async () => {
    await store_(BASE, raised(1, BASE), resolved(1, BASE), raised(2, BASE));
    const end = (await store.readAll(START_OF_LOG, 100)).checkpoint;
    for (const subscriber of [TRACE_LISTING_SUBSCRIBER, MONITORING_SUBSCRIBER]) await moveTo(subscriber, end);
    now = BASE + 10n * DAY;
    expect(await retention().pass()).toEqual({ alerts: 0, events: 0, heldBackBy: ALERT_LISTING_SUBSCRIBER });
    // A replica without monitoring runs no reader of the stream, and none ever stored a checkpoint.
    expect(await retention({ streamReaders: [] }).pass()).toEqual({ alerts: 1, events: 2, heldBackBy: undefined });
  });
});
