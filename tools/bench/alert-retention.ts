// Alert retention (apps/server/src/retention/alert-retention.ts): how fast a pass
// deletes resolved alerts (both events of the monitoring stream and the ListAlerts
// row), against how fast the same alert events were stored and listed in the same
// run, and what it costs the saga's alert appends made meanwhile: their latency
// with no pass running (baseline), then during a pass.
//
//   npx tsx tools/bench/alert-retention.ts [--quick] [--alerts=N]
//
// The alerts are slow-span alerts, raised and resolved, stored in appends of 500
// events (as a leader stores a step's alerts) 10 days ago and listed by the
// ListAlerts projector; retention 7 days; the log's subscribers have read it all.

import { randomBytes } from "node:crypto";
import { createPostgresClient } from "../../apps/server/src/database/open-database.js";
import type { AlertRaised, AlertResolved } from "../../apps/server/src/domain/monitoring/index.js";
import { bytesToHex } from "../../apps/server/src/domain/trace/w3c-ids.js";
import { START_OF_LOG } from "../../apps/server/src/event-store/event-store.js";
import { migrate } from "../../apps/server/src/event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { ALERT_LISTING_SUBSCRIBER, AlertListingProjector } from "../../apps/server/src/monitoring/alert-listing-projector.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "../../apps/server/src/monitoring/monitoring-stream.js";
import { MONITORING_SUBSCRIBER } from "../../apps/server/src/monitoring/saga-runner.js";
import { AlertRetention } from "../../apps/server/src/retention/alert-retention.js";
import { machineLine, ms, num, openBenchDatabase, postgresSettingsLine } from "./support/bench-env.js";
import { latenciesDuring, latencyTable, passUnderWrites } from "./support/latencies-during.js";

const arg = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split("=")[1]) : fallback;
};
const quick = process.argv.includes("--quick");
const ALERTS = arg("alerts", quick ? 20_000 : 100_000);
const PER_APPEND = 500;
const DAY = 86_400n * 1_000_000_000n;
const NOW = BigInt(Date.now()) * 1_000_000n;

function slowSpanAlert(at: bigint): [AlertRaised, AlertResolved] {
  const subject = { type: "span" as const, traceId: bytesToHex(randomBytes(16)), spanId: bytesToHex(randomBytes(8)), service: "orders", operation: "GET /orders" };
  const alertId = `slow_span:${subject.traceId}:${subject.spanId}`;
  return [
    { type: "AlertRaised", alertId, kind: "slow_span", subject, at, value: 5e9, threshold: 5e9, unit: "ns", message: `span ${subject.spanId} of orders is slow` },
    { type: "AlertResolved", alertId, kind: "slow_span", subject, at: at + 9_000_000_000n, reason: "span_ended", value: 9e9, unit: "ns" },
  ];
}

async function main(): Promise<void> {
  const db = await openBenchDatabase("tl_bench_alert_retention");
  const sql = createPostgresClient(db.url, { max: 6, applicationName: "traceledger-bench" });
  let now = NOW - 10n * DAY;
  const store = new PostgresEventStore(sql, { clock: () => now });
  const append = async (events: Array<AlertRaised | AlertResolved>) => {
    await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "any", events: events.map(toNewAlertEvent) });
  };
  try {
    await migrate(sql);
    process.stdout.write(`${machineLine(`${num(ALERTS)} resolved alerts`)}\n${await postgresSettingsLine(sql, db.kind)}\n`);
    // Raises and resolutions interleaved as a saga stores them: an alert is resolved a few appends after it was raised.
    const pairs = Array.from({ length: ALERTS }, () => slowSpanAlert(now));
    const events: Array<AlertRaised | AlertResolved> = [];
    const lag = PER_APPEND * 2;
    for (let i = 0; i < ALERTS + lag; i++) {
      if (i < ALERTS) events.push(pairs[i]![0]);
      if (i >= lag) events.push(pairs[i - lag]![1]);
    }
    const seedStart = performance.now();
    for (let i = 0; i < events.length; i += PER_APPEND) await append(events.slice(i, i + PER_APPEND));
    const seedMs = performance.now() - seedStart;
    const listStart = performance.now();
    const listed = await new AlertListingProjector({ sql, store, clock: () => now }).catchUp();
    const listMs = performance.now() - listStart;
    now = NOW;
    // Recent alerts after the old ones, and every reader past them all.
    await append(slowSpanAlert(now));
    await new AlertListingProjector({ sql, store, clock: () => now }).catchUp();
    const end = (await store.readAll(START_OF_LOG, 10_000_000)).checkpoint;
    await store.saveCheckpoint(MONITORING_SUBSCRIBER, START_OF_LOG, end);
    await sql`vacuum analyze events`;
    await sql`vacuum analyze monitoring_alerts`;
    process.stdout.write(`  stored ${num(events.length)} alert events in ${ms(seedMs)} ms; listed ${num(listed)} in ${ms(listMs)} ms\n`);

    // A saga storing one new alert's raise at a time.
    const storeOneAlert = () => append([slowSpanAlert(now)[0]]);
    const baseline = await latenciesDuring(storeOneAlert, () => new Promise((resolve) => setTimeout(resolve, 3000)));
    const retention = new AlertRetention({ sql, store, retentionNs: 7n * DAY, logSubscribers: [MONITORING_SUBSCRIBER], streamReaders: [ALERT_LISTING_SUBSCRIBER], clock: () => now });
    const { passMs, cpuUs, postgresCpuSeconds: pgCpu, latencies: during } = await passUnderWrites(db.postmasterPid, storeOneAlert, async () => {
      const pass = await retention.pass();
      if (pass.alerts !== ALERTS) throw new Error(`the pass deleted ${pass.alerts} alerts, not ${ALERTS}`);
    });
    const [left] = await sql<Array<{ events: number; rows: number }>>`
      select (select count(*)::int from events where trace_id = ${Buffer.from(MONITORING_STREAM_ID, "hex")}) as events, (select count(*)::int from monitoring_alerts) as rows`;

    const n = events.length;
    process.stdout.write(
      [
        "",
        "| what | alert events | time ms | events/s | this process's CPU us per event (the pass and the writer) | PostgreSQL CPU us per event |",
        "|---|---|---|---|---|---|",
        `| baseline: store (appends of ${PER_APPEND}) | ${num(n)} | ${ms(seedMs)} | ${num((n / seedMs) * 1000)} | | |`,
        `| baseline: list (the ListAlerts projector) | ${num(n)} | ${ms(listMs)} | ${num((n / listMs) * 1000)} | | |`,
        `| retention pass: find + delete (both events, the ListAlerts row) | ${num(n)} | ${ms(passMs)} | ${num((n / passMs) * 1000)} | ${(cpuUs / n).toFixed(2)} | ${((pgCpu * 1e6) / n).toFixed(2)} |`,
        "",
        "A saga's alert appends (one raise each), one after another (ms):",
        "",
        ...latencyTable("appends", baseline, during),
        "",
        `Left after the pass: ${num(left!.events)} alert events, ${num(left!.rows)} ListAlerts rows (the open and recent alerts).`,
        "",
      ].join("\n"),
    );
  } finally {
    await sql.end({ timeout: 5 });
    await db.close();
  }
}

await main();
