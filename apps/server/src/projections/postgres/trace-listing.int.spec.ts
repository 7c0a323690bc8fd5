import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ListTracesRequestSchema, StatusCode, TraceState } from "@traceledger/proto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TraceCommand } from "../../domain/trace/trace-commands.js";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { TraceCommandBus } from "../../commands/trace-command-bus.js";
import { DEFAULT_ATTRIBUTE_LIMITS } from "../../domain/trace/attribute-limits.js";
import { attr, endSpan, recordError, startSpan } from "../../domain/testing/trace-fixtures.js";
import { bytesToHex } from "../../domain/trace/w3c-ids.js";
import { PostgresEventStore } from "../../event-store/postgres/postgres-event-store.js";
import { createPostgresTraceListing } from "./postgres-trace-listing.js";
import { TraceListingProjector } from "./trace-listing-projector.js";

const SEC = 1_000_000_000n;
const BASE = 1_764_000_000n * SEC;
const clock = () => BASE + 3600n * SEC;

let db: TestDatabase;
let projector: TraceListingProjector;
let listing: ReturnType<typeof createPostgresTraceListing>;
const traceIds: string[] = [];

type ListFields = MessageInitShape<typeof ListTracesRequestSchema>;
const list = (fields: ListFields = {}) => listing.listTraces(create(ListTracesRequestSchema, fields));
const ids = async (fields: ListFields = {}) => (await list(fields)).traces.map((t) => bytesToHex(t.traceId));

beforeAll(async () => {
  db = await createTestDatabase();
  const store = new PostgresEventStore(db.sql, { clock });
  const bus = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_ATTRIBUTE_LIMITS });
  // 30 traces, one per second: every third fails in "payments", every fifth stays open.
  for (let i = 0; i < 30; i++) {
    const traceId = (0x1000 + i).toString(16).padStart(32, "0");
    traceIds.push(traceId);
    const t0 = BASE + BigInt(i) * SEC;
    const commands: TraceCommand[] = [
      startSpan("00000000000000a1", { traceId, startTime: t0, serviceName: "gateway", name: "GET /orders", attributes: [attr("tenant", i % 2 ? "blue" : "green")] }),
      startSpan("00000000000000b2", { traceId, parentSpanId: "00000000000000a1", startTime: t0 + 1000n, serviceName: i % 3 === 0 ? "payments" : "stock", name: "work", attributes: [attr("attempt", i % 4)] }),
    ];
    if (i % 3 === 0) commands.push(recordError("00000000000000b2", { traceId, time: t0 + 2000n }));
    commands.push(endSpan("00000000000000b2", { traceId, endTime: t0 + BigInt(i + 1) * 1_000_000n, statusCode: i % 3 === 0 ? StatusCode.ERROR : StatusCode.OK }));
    // Some roots learn their route as they end (i = 2, 9, 16, 23).
    if (i % 5 !== 0) commands.push(endSpan("00000000000000a1", { traceId, endTime: t0 + BigInt(i + 2) * 1_000_000n, name: i % 7 === 2 ? "GET /orders/{id}" : "" }));
    const results = await bus.submitAll(commands);
    expect(results.every((r) => r.ok)).toBe(true);
  }
  await bus.close();
  projector = new TraceListingProjector({ sql: db.sql, store, clock, batchSize: 7 });
  listing = createPostgresTraceListing(db.sql, clock);
  expect(await projector.catchUp()).toBeGreaterThan(0);
});

afterAll(async () => {
  await db?.drop();
});

describe("ListTraces over the projection", () => {
  it("lists every trace newest first with its summary", async () => {
    const { traces } = await list({ pageSize: 100 });
    expect(traces.map((t) => bytesToHex(t.traceId))).toEqual([...traceIds].reverse());
    const newest = traces[0]!; // i = 29: completed, no error
    expect(newest).toMatchObject({ state: TraceState.COMPLETED, rootName: "GET /orders", rootServiceName: "gateway", spanCount: 2, errorCount: 0, runningSpanCount: 0 });
    expect(newest.durationNano).toBe(31_000_000n);
    expect(newest.serviceNames).toEqual(["gateway", "stock"]);
    const open = traces.find((t) => bytesToHex(t.traceId) === traceIds[25])!;
    expect(open).toMatchObject({ state: TraceState.OPEN, runningSpanCount: 1 });
    expect(open.durationNano).toBe(clock() - (BASE + 25n * SEC));
    const renamed = traces.find((t) => bytesToHex(t.traceId) === traceIds[23])!;
    expect(renamed).toMatchObject({ state: TraceState.COMPLETED, rootName: "GET /orders/{id}" });
  });

  it("filters by service, span name, attributes, status, state, duration and time", async () => {
    const expectIndices = async (fields: ListFields, predicate: (i: number) => boolean) => {
      const expected = traceIds.filter((_, i) => predicate(i)).reverse();
      expect(await ids({ pageSize: 100, ...fields })).toEqual(expected);
    };
    await expectIndices({ serviceName: "payments" }, (i) => i % 3 === 0);
    await expectIndices({ spanName: "work" }, () => true);
    await expectIndices({ spanName: "nope" }, () => false);
    await expectIndices({ spanName: "GET /orders/{id}" }, (i) => i % 7 === 2);
    await expectIndices({ spanName: "GET /orders" }, (i) => i % 7 !== 2);
    await expectIndices({ attributes: [attr("tenant", "blue")] }, (i) => i % 2 === 1);
    await expectIndices({ attributes: [attr("attempt", 3)] }, (i) => i % 4 === 3);
    // All given attributes must be on one span: tenant is on the root, attempt on the child.
    await expectIndices({ attributes: [attr("tenant", "blue"), attr("attempt", 3)] }, () => false);
    await expectIndices({ status: StatusCode.ERROR }, (i) => i % 3 === 0);
    await expectIndices({ status: StatusCode.OK }, (i) => i % 3 !== 0);
    await expectIndices({ state: TraceState.OPEN }, (i) => i % 5 === 0);
    await expectIndices({ state: TraceState.COMPLETED, minDurationNano: 20_000_000n }, (i) => i % 5 !== 0 && i + 2 >= 20);
    await expectIndices({ state: TraceState.COMPLETED, maxDurationNano: 5_000_000n }, (i) => i % 5 !== 0 && i + 2 <= 5);
    await expectIndices({ startTimeMinUnixNano: BASE + 10n * SEC, startTimeMaxUnixNano: BASE + 12n * SEC }, (i) => i >= 10 && i < 12);
  });

  it("pages with tokens that continue exactly where the last page stopped", async () => {
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await list({ pageSize: 7, pageToken, serviceName: "gateway" });
      seen.push(...page.traces.map((t) => bytesToHex(t.traceId)));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(5);
    expect(seen).toEqual([...traceIds].reverse());
  });

  it("refuses a token used with other filters, or not issued here", async () => {
    const first = await list({ pageSize: 2, serviceName: "gateway" });
    await expect(list({ pageSize: 2, pageToken: first.nextPageToken, serviceName: "stock" })).rejects.toThrow(/other filters/);
    await expect(list({ pageToken: "bm9wZQ" })).rejects.toThrow(/not a token/);
  });

  it("rebuilds from the log to exactly the same tables", async () => {
    const snapshot = async () => ({
      spans: await db.sql`select trace_id, span_id, parent_span_id, name, service_name, start_time, end_time, state, status_code, has_error, attributes from span_index order by trace_id, span_id`,
      traces: await db.sql`select * from trace_summaries order by trace_id`,
    });
    const before = await snapshot();
    expect(before.spans).toHaveLength(60);
    const replayed = await projector.rebuild();
    expect(replayed).toBeGreaterThan(150);
    expect(await snapshot()).toEqual(before);
  });

  it("applies the log again over its own tables without changing them (a trace taken for new that has rows is merged)", async () => {
    const snapshot = async () => ({
      spans: await db.sql`select * from span_index order by trace_id, span_id`,
      traces: await db.sql`select * from trace_summaries order by trace_id`,
    });
    const before = await snapshot();
    // Forget the checkpoint, keep the rows: every trace's first event comes again,
    // its spans are inserted as new, collide with their rows, and the slice is merged instead.
    await db.sql`delete from subscriber_checkpoints where subscriber_id = 'trace-listing'`;
    const again = new TraceListingProjector({ sql: db.sql, store: new PostgresEventStore(db.sql, { clock }), clock, batchSize: 50 });
    expect(await again.catchUp()).toBeGreaterThan(150);
    expect(await snapshot()).toEqual(before);
  });

  it("gives the same tables whatever the slices: a trace first seen whole, or span by span", async () => {
    const snapshot = async () => ({
      spans: await db.sql`select * from span_index order by trace_id, span_id`,
      traces: await db.sql`select * from trace_summaries order by trace_id`,
    });
    const bySize = [];
    // One event per slice: every trace grows span by span (summaries recomputed or
    // recounted); a slice of the whole log: every trace is new and summed up at once.
    for (const batchSize of [1, 3, 10_000]) {
      await new TraceListingProjector({ sql: db.sql, store: new PostgresEventStore(db.sql, { clock }), clock, batchSize }).rebuild();
      bySize.push(await snapshot());
    }
    expect(bySize[0]!.traces).toHaveLength(30);
    expect(bySize[1]).toEqual(bySize[0]);
    expect(bySize[2]).toEqual(bySize[0]);
  });
});
