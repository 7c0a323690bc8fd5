import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import { postgresStreamHeads } from "./postgres-stream-heads.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const trace = (n: number) => (0x5e00 + n).toString(16).padStart(32, "0");

describe("postgresStreamHeads", () => {
  it("answers the version of every trace asked about in one statement, leaving out those with no events", async () => {
    const store = new PostgresEventStore(db.sql);
    for (const [n, count] of [[1, 3], [2, 1], [3, 7]] as const) {
      // The store keeps bytes it is given; these need not decode.
      await store.append({
        streamId: trace(n),
        expectedVersion: "no_stream",
        events: Array.from({ length: count }, () => ({ eventId: randomUUID(), type: "SpanEventRecorded", payload: new Uint8Array([n]), occurredAt: 1n })),
      });
    }
    const heads = postgresStreamHeads(db.sql);
    expect(await heads([trace(1), trace(2), trace(3), trace(4)])).toEqual(new Map([[trace(1), 3], [trace(2), 1], [trace(3), 7]]));
    expect(await heads([trace(3)])).toEqual(new Map([[trace(3), 7]]));
    expect(await heads([])).toEqual(new Map());
  });
});
