// The server goes down while a batch is in flight, and its call is cut under it.
// The SDK did not cancel that call, so it is an outage like any other: the batch
// is kept and retried until the server is back, and every span arrives.
//
// The batch is held in the real server by locking its event table, so that its
// write waits. Then the server goes down one of two ways:
// - it stops and its grace period runs out with the call still open: it closes
//   its HTTP/2 sessions with GOAWAY(CANCEL), which the client sees as a session
//   error (ERR_HTTP2_SESSION_ERROR, reported by connect as INTERNAL);
// - it crashes: its connections just close, with no HTTP/2 frame, which the
//   client sees as its stream closed with CANCEL (connect: CANCELED). A TCP relay
//   between the SDK and the server stands for the server's process: it stops
//   listening and closes every connection at once, as the kernel does for a
//   killed process.

import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from "node:net";
import { SpanState } from "@traceledger/proto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Traceledger } from "../../../../apps/server/src/server/start-traceledger.js";
import { eventually } from "../../test/support/eventually.js";
import { holdEventWrites, type HeldEventWrites } from "../../../../apps/server/test/e2e/support/held-event-writes.js";
import { getTrace } from "../../test/support/trace-reader.js";
import { createTestDatabase, portOf, startServer, type TestDatabase } from "../../test/support/traceledger-server.js";
import { createTracingClient, type TracingClient } from "../client/tracing-client.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";

let database: TestDatabase;
let server: Traceledger | undefined;
let relay: Relay | undefined;
let tracer: Tracer | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  database = await createTestDatabase();
});

afterEach(async () => {
  await tracer?.shutdown(1_000);
  tracer = undefined;
  await relay?.crash();
  relay = undefined;
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await database?.drop();
});

/** A TCP relay to the server's gRPC port that can die like a process and come back on its port. */
interface Relay {
  readonly port: number;
  /** Stops listening and closes every connection, without a word. */
  crash(): Promise<void>;
  /** Listens again on the same port, relaying to `targetPort`. */
  restart(targetPort: number): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  let target = targetPort;
  const sockets = new Set<Socket>();
  const onConnection = (downstream: Socket) => {
    const upstream = connect(target, "127.0.0.1");
    const end = () => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("error", end).on("close", end);
    }
    downstream.pipe(upstream).pipe(downstream);
  };
  const listen = (tcp: TcpServer, port: number) =>
    new Promise<number>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, "127.0.0.1", () => resolve((tcp.address() as { port: number }).port));
    });
  let tcp = createTcpServer(onConnection);
  const port = await listen(tcp, 0);
  return {
    port,
    async crash() {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    async restart(newTarget) {
      target = newTarget;
      tcp = createTcpServer(onConnection);
      await listen(tcp, port);
    },
  };
}

function spanIn(name: string): string {
  return tracer!.withSpan(name, (span) => span.spanContext().traceId);
}

/**
 * Holds the next batch in the server (its write waits on a lock of the event
 * table), has `goDown` take the server down under it, then restarts the server
 * with `comeBack` and checks that every span arrived.
 */
async function batchInFlightWhenTheServerGoesDown(options: {
  url: string;
  goDown: () => Promise<void>;
  comeBack: () => Promise<void>;
}): Promise<{ warnings: string[] }> {
  const warnings: string[] = [];
  tracer = createTracer({
    serviceName: "crash-app",
    url: options.url,
    env: {},
    // Longer than the server's grace period (1 s): the call is cut by the server, not by its deadline.
    timeoutMs: 30_000,
    batch: { flushIntervalMs: 20, initialBackoffMs: 20, maxBackoffMs: 200 },
    onWarning: (message) => warnings.push(message),
  });
  const reader: TracingClient = createTracingClient({ url: `http://${server!.grpcAddress}` });
  let lock: HeldEventWrites | undefined;
  try {
    const before = spanIn("before");
    await tracer.forceFlush();
    await eventually(async () => expect((await getTrace(reader, before))?.spans).toHaveLength(1));

    // The event table locked: the next batch reaches the server and waits there.
    lock = await holdEventWrites(database.client(2));
    const inFlight = spanIn("in flight when the server went down");
    await lock.appendWaiting();
    expect(tracer.stats().inFlight).toBe(2);

    // Down, with the call open: the SDK sees the call fail, and keeps the batch.
    const down = options.goDown();
    await eventually(() => expect(tracer!.stats().retried + tracer!.stats().failed).toBeGreaterThan(0));
    expect(tracer.stats().failed, warnings.join("\n")).toBe(0);
    expect(warnings.filter((w) => w.includes("retrying until it is back"))).toHaveLength(1);
    await lock.release();
    await down;

    // Back, on the same database and port: the batch arrives, and what came after it.
    await options.comeBack();
    const after = spanIn("after the restart");
    await tracer.forceFlush(10_000);
    for (const traceId of [inFlight, after]) {
      await eventually(async () => {
        const trace = await getTrace(reader, traceId);
        expect(trace?.spans.filter((s) => s.state === SpanState.ENDED)).toHaveLength(1);
      });
    }
    expect(tracer.stats()).toMatchObject({ failed: 0, dropped: 0, queued: 0, inFlight: 0 });
    expect(unhandled).toEqual([]);
    return { warnings };
  } finally {
    await lock?.release();
    reader.close();
  }
}

describe("a server that goes down with a batch in flight", () => {
  it("whose grace period runs out (GOAWAY with CANCEL): the batch is retried until it is back", async () => {
    server = await startServer(database);
    const grpcPort = portOf(server.grpcAddress);
    const { warnings } = await batchInFlightWhenTheServerGoesDown({
      url: `http://${server.grpcAddress}`,
      goDown: async () => {
        const stopping = server!.stop();
        server = undefined;
        await stopping;
      },
      comeBack: async () => {
        server = await startServer(database, { grpcPort });
      },
    });
    expect(warnings.join("\n")).toMatch(/Session closed with error code 8/);
  });

  it("that crashes (its connections just close, the stream ends with CANCEL): the batch is retried until it is back", async () => {
    server = await startServer(database);
    const grpcPort = portOf(server.grpcAddress);
    relay = await startRelay(grpcPort);
    const { warnings } = await batchInFlightWhenTheServerGoesDown({
      url: `http://127.0.0.1:${relay.port}`,
      goDown: async () => {
        // The process dies: its connections are gone at once. The in-process server behind the
        // relay is stopped as well, so that it lets go of the call it was holding.
        await relay!.crash();
        const stopping = server!.stop();
        server = undefined;
        await stopping;
      },
      comeBack: async () => {
        server = await startServer(database, { grpcPort });
        await relay!.restart(grpcPort);
      },
    });
    expect(warnings.join("\n")).toMatch(/\[canceled\]/);
  });
});
