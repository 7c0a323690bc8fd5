// Both doors together: readiness, and a graceful close with calls in flight.
//
// What a client sees when the server closes:
// - a unary call already running finishes normally (within the grace period);
// - a server stream (WatchTrace, health Watch) ends at once with UNAVAILABLE
//   "the server is shutting down", on both doors, and the implementation's
//   signal aborts with that error; clients resume elsewhere with after_version;
// - a call still running when the grace period ends is cut: its connection is
//   destroyed, which each client library reports its own way (connect-node:
//   INTERNAL or ABORTED, grpc-js: UNAVAILABLE), and the implementation's
//   signal aborts;
// - new calls are refused: UNAVAILABLE (connection refused), or ABORTED when
//   a client reuses a pooled keep-alive connection the server has closed.
import { Code, createClient, type Client, type ConnectError } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { TracingService } from "@traceledger/proto";
import { afterEach, describe, expect, it } from "vitest";
import { serviceRegistration } from "./service-registration.js";
import { startServers, type Servers } from "./serve.js";
import { CallLog } from "./testing/call-log.js";
import { rejection } from "./testing/rejection.js";
import { testTracingService, WATCH_IGNORING_SIGNAL } from "./testing/test-tracing-service.js";

const log = new CallLog();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  log.clear();
});

async function start(ready = () => ({ ready: true })): Promise<{
  servers: Servers;
  grpc: Client<typeof TracingService>;
  grpcWeb: Client<typeof TracingService>;
}> {
  const servers = await startServers({
    host: "127.0.0.1",
    grpcPort: 0,
    httpPort: 0,
    services: [serviceRegistration(TracingService, testTracingService(log))],
    ready,
  });
  const sessions = new Http2SessionManager(`http://${servers.grpcAddress}`);
  cleanups.push(() => servers.close(0), () => sessions.abort());
  return {
    servers,
    grpc: createClient(TracingService, createGrpcTransport({ baseUrl: `http://${servers.grpcAddress}`, sessionManager: sessions })),
    grpcWeb: createClient(TracingService, createGrpcWebTransport({ baseUrl: `http://${servers.httpAddress}`, httpVersion: "1.1" })),
  };
}

/** Starts a stream and waits until it runs; ended reports the error it ended with. */
async function openWatch(client: Client<typeof TracingService>, afterVersion: bigint): Promise<{ ended: Promise<ConnectError> }> {
  const iterator = client.watchTrace({ afterVersion })[Symbol.asyncIterator]();
  const first = iterator.next();
  await log.next("watchTrace.started");
  const ended = rejection(
    (async () => {
      for (let next = await first; next.done !== true; next = await iterator.next());
    })(),
  );
  // Not returned bare: an async function would wait for a returned promise.
  return { ended };
}

describe("startServers", () => {
  it("is ready only once the app says it serves and its readiness check agrees", async () => {
    let ready = true;
    const { servers } = await start(() => ({ ready }));
    const readyz = async () => (await fetch(`http://${servers.httpAddress}/readyz`)).status;
    expect(await readyz()).toBe(503);
    servers.setServing(true);
    expect(await readyz()).toBe(200);
    ready = false;
    expect(await readyz()).toBe(503);
    expect((await fetch(`http://${servers.httpAddress}/healthz`)).status).toBe(200);
  });

  it("closes the gRPC door again when the HTTP door cannot listen", async () => {
    const { servers } = await start();
    const [, port] = servers.httpAddress.split(":");
    const failed = startServers({ host: "127.0.0.1", grpcPort: 0, httpPort: Number(port), services: [], ready: () => ({ ready: true }) });
    await expect(failed).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  it("on close, lets unary calls finish, ends streams with UNAVAILABLE on both doors, then refuses calls", async () => {
    const { servers, grpc, grpcWeb } = await start();
    servers.setServing(true);
    const grpcWatch = await openWatch(grpc, 0n);
    const webWatch = await openWatch(grpcWeb, 0n);
    const grpcUnary = grpc.listTraces({ pageSize: 150 });
    const webUnary = grpcWeb.listTraces({ pageSize: 150 });
    await log.next("listTraces.started");
    await log.next("listTraces.started");

    await servers.close(30_000);

    expect((await grpcUnary).nextPageToken).toBe("finished");
    expect((await webUnary).nextPageToken).toBe("finished");
    for (const watch of [grpcWatch, webWatch]) expect(await watch.ended).toMatchObject({ code: Code.Unavailable, rawMessage: "the server is shutting down" });
    for (const _ of [1, 2]) expect(await log.next("watchTrace.finally")).toMatchObject({ code: Code.Unavailable });
    expect((await rejection(grpc.startSpan({}))).code).toBe(Code.Unavailable);
    expect([Code.Unavailable, Code.Aborted]).toContain((await rejection(grpcWeb.startSpan({}))).code);
  });

  it("on close, ends a stream whose implementation ignores its signal, and cuts calls still running after the grace period", async () => {
    const { servers, grpc, grpcWeb } = await start();
    const grpcWatch = await openWatch(grpc, WATCH_IGNORING_SIGNAL);
    const webWatch = await openWatch(grpcWeb, WATCH_IGNORING_SIGNAL);
    const grpcStuck = rejection(grpc.getTrace({}));
    await log.next("getTrace.started");
    const webStuck = rejection(grpcWeb.getTrace({}));
    await log.next("getTrace.started");

    await servers.close(100);

    for (const watch of [grpcWatch, webWatch]) expect(await watch.ended).toMatchObject({ code: Code.Unavailable });
    await grpcStuck;
    await webStuck;
    expect(await log.next("getTrace.aborted")).toBeDefined();
    expect(await log.next("getTrace.aborted")).toBeDefined();
  });
});
