import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.js";
import { textArrayLiteral } from "./sql-arrays.js";

describe("textArrayLiteral", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it("is read back by PostgreSQL as the strings it was given, in order, repeats and quotes included", async () => {
    const values = ["SpanStarted", "SpanEnded", "SpanStarted", 'a "quoted" one', "back\\slash", "", "{braces},commas", "SpanEnded", "NULL", "ünï ☃"];
    const [row] = await db.sql.unsafe<{ v: string[] }[]>("select $1::text[] as v", [textArrayLiteral(values)]);
    expect(row!.v).toEqual(values);
    const [empty] = await db.sql.unsafe<{ v: string[] }[]>("select $1::text[] as v", [textArrayLiteral([])]);
    expect(empty!.v).toEqual([]);
  });
});
