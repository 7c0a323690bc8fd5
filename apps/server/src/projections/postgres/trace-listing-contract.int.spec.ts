// ListTraces against its contract where the data moves under it: the duration of
// an open trace with nothing running, pages while a listed trace gains an earlier
// span, filters outside their enums, and a key given twice among the attributes.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ListTracesRequestSchema, StatusCode, TraceState } from "@traceledger/proto";
import { ErrorInfoSchema } from "@traceledger/proto/google-rpc";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { TraceCommandBus } from "../../commands/trace-command-bus.js";
import { DEFAULT_SPAN_LIMITS } from "../../domain/trace/span-limits.js";
import { attr, endSpan, startSpan } from "../../domain/testing/trace-fixtures.js";
import type { TraceCommand } from "../../domain/trace/trace-commands.js";
import { bytesToHex } from "../../domain/trace/w3c-ids.js";
import { migrate, MIGRATIONS_FOLDER } from "../../event-store/postgres/migrate.js";
import { PostgresEventStore } from "../../event-store/postgres/postgres-event-store.js";
import { decodeTraceEvent } from "../../events/trace-event-codec.js";
import { buildTraceView } from "../testing/build-trace-view.js";
import { listTraces } from "../../rpc/list-traces.js";
import { createPostgresTraceListing } from "./postgres-trace-listing.js";
import { TraceListingProjector } from "./trace-listing-projector.js";

const SEC = 1_000_000_000n;
const MS = 1_000_000n;
const BASE = 1_764_000_000n * SEC;
// The wall clock: an hour after BASE, and movable.
let now = BASE + 3600n * SEC;
const clock = () => now;

let db: TestDatabase;
let store: PostgresEventStore;
let bus: TraceCommandBus;
let projector: TraceListingProjector;
let listing: ReturnType<typeof createPostgresTraceListing>;

type ListFields = MessageInitShape<typeof ListTracesRequestSchema>;
// Through the RPC edge, which checks the request and reads and writes the page tokens.
const list = (fields: ListFields = {}) => listTraces(listing, create(ListTracesRequestSchema, fields));
const ids = async (fields: ListFields = {}) => (await list({ pageSize: 100, ...fields })).traces.map((t) => bytesToHex(t.traceId));
const traceId = (n: number) => n.toString(16).padStart(32, "0");

async function submit(commands: TraceCommand[]): Promise<void> {
  const results = await bus.submitAll(commands);
  expect(results.every((r) => r.ok)).toBe(true);
  await projector.catchUp();
}

/** The error's code and ErrorInfo reason, or what the call answered. */
async function outcome(call: Promise<{ traces: unknown[] }>): Promise<string> {
  try {
    return `OK with ${(await call).traces.length} trace(s)`;
  } catch (error) {
    const e = ConnectError.from(error);
    return `${e.code}/${e.findDetails(ErrorInfoSchema)[0]?.reason}`;
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresEventStore(db.sql, { clock });
  bus = new TraceCommandBus({ store, clock, newId: () => crypto.randomUUID(), limits: DEFAULT_SPAN_LIMITS });
  projector = new TraceListingProjector({ sql: db.sql, store, clock, batchSize: 50 });
  listing = createPostgresTraceListing(db.sql, clock);
});

afterAll(async () => {
  await bus?.close();
  await db?.drop();
});

describe("the duration of an open trace with no running span", () => {
  it("is the span its spans cover, as GetTrace gives it, and does not grow with the wall clock; the duration filters agree", async () => {
    // A span whose parent lives elsewhere: no local root, so the trace stays open once the span has ended.
    const id = traceId(0xd01);
    const t0 = BASE + 10n * SEC;
    await submit([
      startSpan("00000000000000d1", { traceId: id, parentSpanId: "00000000000000ff", parentIsRemote: true, startTime: t0, serviceName: "dur", name: "remote child" }),
      endSpan("00000000000000d1", { traceId: id, endTime: t0 + 20n * MS }),
    ]);
    const events = (await store.readStream(id)).map((e) => decodeTraceEvent(e.type, e.payload));
    const view = buildTraceView(id, events, clock());
    const [listed] = (await list({ serviceName: "dur" })).traces;
    expect({ state: listed!.state, running: listed!.runningSpanCount, duration: listed!.durationNano }).toEqual({
      state: TraceState.OPEN,
      running: 0,
      duration: view.durationNano,
    });
    expect(listed!.durationNano).toBe(20n * MS);
    expect({
      atLeast1s: await ids({ serviceName: "dur", minDurationNano: SEC }),
      atMost30ms: await ids({ serviceName: "dur", maxDurationNano: 30n * MS }),
      atLeast20ms: await ids({ serviceName: "dur", minDurationNano: 20n * MS }),
    }).toEqual({ atLeast1s: [], atMost30ms: [id], atLeast20ms: [id] });

    // An open trace with a running span still lasts until now, in the listing and its filters.
    const running = traceId(0xd02);
    await submit([
      startSpan("00000000000000d1", { traceId: running, parentSpanId: "00000000000000ff", parentIsRemote: true, startTime: t0, serviceName: "dur-running", name: "remote child" }),
    ]);
    const [open] = (await list({ serviceName: "dur-running" })).traces;
    expect(open!.durationNano).toBe(now - t0);
    expect(await ids({ serviceName: "dur-running", minDurationNano: now - t0 })).toEqual([running]);

    // An hour later: the running one has grown by the hour, the other has not.
    now += 3600n * SEC;
    const later = async (serviceName: string) => (await list({ serviceName })).traces[0]!.durationNano;
    expect({ ended: await later("dur"), running: await later("dur-running") }).toEqual({ ended: 20n * MS, running: now - t0 });
    expect(await ids({ serviceName: "dur", minDurationNano: SEC })).toEqual([]);
  });
});

describe("paging while a listed trace gains an earlier span", () => {
  it("lists every trace once, in the order the first page showed, with the trace's new start time", async () => {
    const t0 = BASE + 100n * SEC;
    const [a, b, c] = [traceId(0xe0a), traceId(0xe0b), traceId(0xe0c)];
    for (const [i, id] of [a, b, c].entries()) {
      await submit([startSpan("00000000000000a1", { traceId: id, startTime: t0 + BigInt(i) * SEC, serviceName: "paging", name: `page ${i}` })]);
    }
    const seen: string[] = [];
    let page = await list({ serviceName: "paging", pageSize: 1 });
    seen.push(...page.traces.map((t) => bytesToHex(t.traceId)));
    // C, already listed, gains a span that started before all three (an upstream
    // service's late span, another clock): C's start time moves 10 s earlier.
    await submit([startSpan("00000000000000c1", { traceId: c, parentSpanId: "00000000000000a1", startTime: t0 - 10n * SEC, serviceName: "paging", name: "early" })]);
    for (let i = 0; i < 5 && page.nextPageToken !== ""; i++) {
      page = await list({ serviceName: "paging", pageSize: 1, pageToken: page.nextPageToken });
      seen.push(...page.traces.map((t) => bytesToHex(t.traceId)));
    }
    expect(seen).toEqual([c, b, a]);
    // A new listing keeps that order; C shows its new start and covers its new span.
    const relisted = (await list({ serviceName: "paging" })).traces;
    expect(relisted.map((t) => [bytesToHex(t.traceId), t.startTimeUnixNano])).toEqual([
      [c, t0 - 10n * SEC],
      [b, t0 + SEC],
      [a, t0],
    ]);
    // The time filters look at the start time shown.
    expect(await ids({ serviceName: "paging", startTimeMaxUnixNano: t0 })).toEqual([c]);
    expect(await ids({ serviceName: "paging", startTimeMinUnixNano: t0 })).toEqual([b, a]);
    // C, listed after B, started before it now: a maximum start puts it in the listing in its place.
    const paged: string[] = [];
    let pageToken = "";
    do {
      const p = await list({ serviceName: "paging", startTimeMaxUnixNano: t0 + SEC + 1n, pageSize: 1, pageToken });
      paged.push(...p.traces.map((t) => bytesToHex(t.traceId)));
      pageToken = p.nextPageToken;
    } while (pageToken !== "");
    expect(paged).toEqual([c, b, a]);
  });
});

describe("the start-time filters on a trace whose start moved earlier", () => {
  it("keep the maximum exclusive: a trace whose start moved to exactly the maximum did not start before it", async () => {
    const id = traceId(0xe11);
    const t = BASE + 400n * SEC;
    await submit([startSpan("00000000000000a1", { traceId: id, startTime: t + SEC, serviceName: "moved", name: "root" })]);
    // Listed with its root's start; then a span of another clock moves its start to exactly t.
    await submit([startSpan("00000000000000c1", { traceId: id, parentSpanId: "00000000000000a1", startTime: t, serviceName: "moved", name: "early" })]);
    expect((await list({ serviceName: "moved" })).traces.map((x) => x.startTimeUnixNano)).toEqual([t]);
    expect({
      before: await ids({ serviceName: "moved", startTimeMaxUnixNano: t }),
      beforeNext: await ids({ serviceName: "moved", startTimeMaxUnixNano: t + 1n }),
      atOrAfter: await ids({ serviceName: "moved", startTimeMinUnixNano: t }),
    }).toEqual({ before: [], beforeNext: [id], atOrAfter: [id] });
  });
});

describe("enum filters", () => {
  it("refuses a state or status that is not a value of its enum with INVALID_ARGUMENT", async () => {
    await submit([startSpan("00000000000000a1", { traceId: traceId(0xf01), startTime: BASE + 200n * SEC, serviceName: "enum", name: "enum" })]);
    expect({
      state99: await outcome(list({ serviceName: "enum", state: 99 as TraceState })),
      stateNegative: await outcome(list({ serviceName: "enum", state: -1 as TraceState })),
      status99: await outcome(list({ serviceName: "enum", status: 99 as StatusCode })),
      stateOpen: await outcome(list({ serviceName: "enum", state: TraceState.OPEN })),
      statusOk: await outcome(list({ serviceName: "enum", status: StatusCode.OK })),
    }).toEqual({
      state99: "3/INVALID_TRACE_STATE",
      stateNegative: "3/INVALID_TRACE_STATE",
      status99: "3/INVALID_STATUS_CODE",
      stateOpen: "OK with 1 trace(s)",
      statusOk: "OK with 1 trace(s)",
    });
  });
});

describe("an attribute key given twice", () => {
  it("requires both values, as every given attribute must match: no span has two values for one key", async () => {
    const [blue, green] = [traceId(0xa01), traceId(0xa02)];
    await submit([
      startSpan("00000000000000a1", { traceId: blue, startTime: BASE + 300n * SEC, serviceName: "attrs", name: "x", attributes: [attr("tenant", "blue")] }),
      startSpan("00000000000000a1", { traceId: green, startTime: BASE + 301n * SEC, serviceName: "attrs", name: "x", attributes: [attr("tenant", "green")] }),
    ]);
    expect({
      blueThenGreen: await ids({ attributes: [attr("tenant", "blue"), attr("tenant", "green")] }),
      greenThenBlue: await ids({ attributes: [attr("tenant", "green"), attr("tenant", "blue")] }),
      blueTwice: await ids({ attributes: [attr("tenant", "blue"), attr("tenant", "blue")] }),
    }).toEqual({ blueThenGreen: [], greenThenBlue: [], blueTwice: [blue] });
  });
});

describe("a database listed before listed_start_time existed (migration 0009)", () => {
  it("lists and pages its traces as before, and takes the tokens of the server before", async () => {
    // The migrations up to 0008 in a folder of their own, then rows as that server wrote them.
    const folder = await mkdtemp(path.join(tmpdir(), "tl-migrations-"));
    const old = await createTestDatabase({ migrate: false });
    try {
      await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
      const journalPath = path.join(folder, "meta", "_journal.json");
      const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag < "0009");
      await writeFile(journalPath, JSON.stringify(journal));
      await migrate(old.sql, folder);
      const rows = [0, 1, 2].map((i) => ({ id: traceId(0xb00 + i), start: BASE + BigInt(i) * SEC }));
      for (const r of rows) {
        await old.sql`
          insert into trace_summaries (trace_id, state, start_time, end_time, root_name, root_service_name, span_count, error_count, running_span_count, service_names)
          values (${Buffer.from(r.id, "hex")}, 2, ${r.start.toString()}::int8, ${(r.start + MS).toString()}::int8, 'old', 'old', 1, 0, 0, '{old}')`;
      }
      // 0009 and every migration after it.
      const later = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] };
      expect((await migrate(old.sql)).applied).toHaveLength(later.entries.filter((e) => e.tag >= "0009").length);

      const upgraded = createPostgresTraceListing(old.sql, clock);
      const listOld = (fields: ListFields) => listTraces(upgraded, create(ListTracesRequestSchema, fields));
      const newestFirst = [...rows].reverse().map((r) => r.id);
      expect((await listOld({})).traces.map((t) => [bytesToHex(t.traceId), t.startTimeUnixNano, t.durationNano])).toEqual(
        [...rows].reverse().map((r) => [r.id, r.start, MS]),
      );
      const seen: string[] = [];
      let page = await listOld({ pageSize: 1 });
      seen.push(...page.traces.map((t) => bytesToHex(t.traceId)));
      // The server before wrote "v1:<start_time>:<trace id>:<filter hash>".
      const v1 = Buffer.from(Buffer.from(page.nextPageToken, "base64url").toString().replace(/^v2:/, "v1:")).toString("base64url");
      page = await listOld({ pageSize: 1, pageToken: v1 });
      seen.push(...page.traces.map((t) => bytesToHex(t.traceId)));
      page = await listOld({ pageSize: 1, pageToken: page.nextPageToken });
      seen.push(...page.traces.map((t) => bytesToHex(t.traceId)));
      expect({ seen, last: page.nextPageToken }).toEqual({ seen: newestFirst, last: "" });
    } finally {
      await old.drop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
