// A GetTraceEvents page longer than the default (500) is read in several
// statements and sent as bytes encoded in parts (src/rpc/events-page.ts): each
// door must still answer it as before, gRPC byte for byte as the default pages
// list the same events, and Connect JSON decoded from those bytes.

import { toBinary } from "@bufbuild/protobuf";
import { EventEnvelopeSchema, StatusCode } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../src/server/start-traceledger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { callJson } from "./support/connect-json.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, startServer, type TracingClient } from "./support/in-process-server.js";

let db: TestDatabase;
let server: Traceledger;
let client: TracingClient;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer(db.url);
  client = connectClient(server.grpcAddress);
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe("GetTraceEvents pages longer than the default", () => {
  it("lists the same events through gRPC and Connect JSON as pages of the default size", async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    await client.startTrace({ traceId, spanId: root, name: "long", serviceName: "pages" });
    const spans = Array.from({ length: 700 }, () => newSpanId());
    await client.ingestBatch({
      commands: spans.flatMap((spanId, i) => [
        { command: { case: "startSpan" as const, value: { traceId, parentSpanId: root, spanId, name: `span ${i}`, serviceName: "pages" } } },
        { command: { case: "endSpan" as const, value: { traceId, spanId, status: { code: StatusCode.OK } } } },
      ]),
    });
    const usual: Uint8Array[] = [];
    let pageToken = "";
    do {
      const page = await client.getTraceEvents({ traceId, pageToken });
      usual.push(...page.events.map((e) => toBinary(EventEnvelopeSchema, e)));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(usual.length).toBeGreaterThan(1400);

    const long = await client.getTraceEvents({ traceId, pageSize: 1000 });
    expect(long.events).toHaveLength(1000);
    const rest = await client.getTraceEvents({ traceId, pageSize: 1000, pageToken: long.nextPageToken });
    expect(rest.nextPageToken).toBe("");
    const listed = [...long.events, ...rest.events].map((e) => toBinary(EventEnvelopeSchema, e));
    expect(Buffer.concat(listed).equals(Buffer.concat(usual))).toBe(true);

    const json = await callJson<{ events: Array<{ streamVersion: string; type: string }>; nextPageToken: string }>(server.httpAddress, "GetTraceEvents", {
      traceId: Buffer.from(traceId).toString("base64"),
      pageSize: 1000,
    });
    expect(json.events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
    expect(json.events[1]!.type).toBe("traceledger.v1.SpanStarted");
    expect(json.nextPageToken).toBe(long.nextPageToken);
  });
});
