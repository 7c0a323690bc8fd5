// A client that goes away mid-stream on the HTTP port (its connection closed or
// reset, its process killed) is no fault of the server's: the server writes one
// JSON object per line on stdout (docs/operations.md) and nothing at error level
// for it, and the stream gives its TRACELEDGER_MAX_OPEN_STREAMS place back even
// when the client had stopped reading and the answer was waiting on its socket.
// Before, connect-node printed a multi-line "[internal] write EPIPE" stack to
// stderr, and a watcher that stopped reading then went away kept its place for good.

import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { newSpanId, newTraceId } from "./support/ids.js";
import { connectClient, type TracingClient } from "./support/in-process-server.js";
import { killServer, spawnServer, type ServerProcess } from "./support/server-process.js";
import { readIterable } from "./support/stream-reader.js";
import { until } from "./support/wait.js";

const MAX_STREAMS = 3;

let db: TestDatabase;
// Its own process, as in production: what it writes is its stdout and stderr, and its
// sockets' failures reach it as they do there (a client in the same event loop goes
// away in a way the server always sees before it writes again).
let server: ServerProcess;
let client: TracingClient;
/** A trace of ~20 MB: more than the sockets' buffers hold (loopback's grow to several MB), so its watch waits on the socket to drain. */
const bigTrace = newTraceId();
/** A trace of ~250 KB: its watch is still writing, not waiting, when the client goes. */
const smallTrace = newTraceId();

beforeAll(async () => {
  db = await createTestDatabase();
  server = await spawnServer(db.url, { TRACELEDGER_LOG_LEVEL: "debug", TRACELEDGER_MAX_OPEN_STREAMS: String(MAX_STREAMS) });
  client = connectClient(server.grpcAddress);
  const smallSpan = newSpanId();
  await client.startSpan({ traceId: smallTrace, spanId: smallSpan, name: "small", serviceName: "hang-up" });
  const small = { value: { case: "stringValue" as const, value: "x".repeat(2_000) } };
  await client.ingestBatch({
    commands: Array.from({ length: 120 }, () => ({ command: { case: "addSpanEvent" as const, value: { traceId: smallTrace, spanId: smallSpan, name: "e", attributes: [{ key: "pad", value: small }] } } })),
  });
  const spanId = newSpanId();
  await client.startSpan({ traceId: bigTrace, spanId, name: "big", serviceName: "hang-up" });
  const value = { value: { case: "stringValue" as const, value: "x".repeat(100_000) } };
  for (let batch = 0; batch < 20; batch++) {
    await client.ingestBatch({
      commands: Array.from({ length: 10 }, () => ({ command: { case: "addSpanEvent" as const, value: { traceId: bigTrace, spanId, name: "chunk", attributes: [{ key: "data", value }] } } })),
    });
  }
});

afterAll(async () => {
  await killServer(server);
  await db?.drop();
});

/** A Connect JSON WatchTrace request, as it goes on the wire. */
function watchRequest(traceId: Buffer): Buffer {
  const json = JSON.stringify({ traceId: traceId.toString("base64") });
  const envelope = Buffer.alloc(5 + json.length);
  envelope.writeUInt32BE(json.length, 1);
  envelope.write(json, 5);
  const head = `POST /traceledger.v1.TracingService/WatchTrace HTTP/1.1\r\nhost: ${server.httpAddress}\r\ncontent-type: application/connect+json\r\ncontent-length: ${envelope.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), envelope]);
}

function rawConnection(): Promise<Socket> {
  const [host, port] = server.httpAddress.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Opens a Connect JSON WatchTrace on a raw socket; resolves once its answer has begun. */
async function watchTrace(traceId: Buffer): Promise<Socket> {
  const socket = await rawConnection();
  socket.on("error", () => undefined);
  socket.write(watchRequest(traceId));
  await new Promise((resolve) => socket.once("data", resolve));
  return socket;
}

/** Whether every stream place is free now: MAX_STREAMS watches of a new trace all get their replay. */
async function allPlacesFree(): Promise<true | undefined> {
  const traceId = newTraceId();
  await client.startSpan({ traceId, spanId: newSpanId(), name: "probe", serviceName: "hang-up" });
  const abort = new AbortController();
  const watches = Array.from({ length: MAX_STREAMS }, () => readIterable(client.watchTrace({ traceId }, { signal: abort.signal })));
  try {
    const replays = await Promise.all(watches.map((watch) => watch.take(1, 2_000, "the replay").catch(() => [])));
    return replays.every((replay) => replay.length === 1) ? true : undefined;
  } finally {
    abort.abort();
    await Promise.all(watches.map((watch) => watch.ending(5_000).catch(() => undefined)));
  }
}

describe("a client that hangs up mid-stream on the HTTP port", () => {
  it("costs no error line and nothing outside the JSON log, closed or reset", async () => {
    const before = server.output().split("\n").length;
    for (let round = 0; round < 20; round++) {
      const socket = await watchTrace(smallTrace);
      if (round % 2 === 0) socket.destroy();
      else socket.resetAndDestroy();
    }
    // Every place back: every watch has ended and been written off.
    await until(10_000, "the watches to end", allPlacesFree, 50);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const written = server.output().split("\n").slice(before).filter((line) => line !== "");
    expect(written.filter((line) => !line.startsWith("{")), "lines that are not JSON log lines").toEqual([]);
    expect(written.map((line) => JSON.parse(line) as { level: string }).filter((line) => line.level === "error")).toEqual([]);
  });

  it("gives the places of streams pipelined on one connection back when it goes", async () => {
    // Two watches sent back to back on one keep-alive connection: the second's response is
    // queued behind the first's, and node:http tells it nothing when the connection goes.
    for (let connection = 0; connection < MAX_STREAMS; connection++) {
      const request = watchRequest(smallTrace);
      const socket = await rawConnection();
      socket.write(Buffer.concat([request, request]));
      socket.resume();
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (connection % 2 === 0) socket.destroy();
      else socket.resetAndDestroy();
    }
    await until(10_000, "the pipelined watchers' places to be freed", allPlacesFree, 100);
  });

  it("gives its stream place back even when it had stopped reading", async () => {
    const watchers = await Promise.all(Array.from({ length: MAX_STREAMS }, () => watchTrace(bigTrace)));
    for (const socket of watchers) socket.pause();
    expect(await allPlacesFree()).toBeUndefined();
    // Long enough for the server to fill the sockets and wait for them to drain.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const socket of watchers) socket.destroy();
    await until(10_000, "the hung-up watchers' places to be freed", allPlacesFree, 100);
  });
});
