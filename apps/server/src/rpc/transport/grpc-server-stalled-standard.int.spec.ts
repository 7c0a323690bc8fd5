// The standard services' streams (grpc.health.v1 Watch, grpc.reflection
// ServerReflectionInfo) at the server's close, from grpc-js clients that take
// one message and then stop reading. They are not registered through
// grpcServiceImplementation, and were not in the reset of stalled streams 0.5 s
// after the close began: one whose client stopped reading while more than its
// buffer (16 messages) and HTTP/2 window (64 KiB) were sent held the close for
// the whole grace period (10 s here). A Health.Watch stalled with only its
// first status and the NOT_SERVING of the close never did: those fit.

import { Metadata, status as grpcStatus, type Client, type ClientDuplexStream, type ClientReadableStream, type StatusObject } from "@grpc/grpc-js";
import { TracingService } from "@traceledger/proto";
import { afterEach, describe, expect, it } from "vitest";
import { STREAM_END_MS } from "./end-stream-on-shutdown.js";
import { createGrpcServer, type GrpcServer } from "./grpc-server.js";
import { serviceRegistration } from "./service-registration.js";
import { CallLog } from "./testing/call-log.js";
import { foreignHealthClient, foreignReflectionClient } from "./testing/foreign-clients.js";
import { testTracingService } from "./testing/test-tracing-service.js";

const GRACE_MS = 10_000;

let server: GrpcServer | undefined;
const clients: Client[] = [];

afterEach(async () => {
  await server?.close(0);
  server = undefined;
  for (const client of clients.splice(0)) client.close();
});

async function start(): Promise<GrpcServer> {
  server = await createGrpcServer({ host: "127.0.0.1", port: 0, services: [serviceRegistration(TracingService, testTracingService(new CallLog()))] });
  server.setServing(true);
  return server;
}

function firstThenPause<T>(call: ClientReadableStream<T> | ClientDuplexStream<object, T>): { first: Promise<T>; status: Promise<StatusObject> } {
  const first = new Promise<T>((resolve) =>
    call.once("data", (message: T) => {
      call.pause();
      resolve(message);
    }),
  );
  call.on("error", () => undefined);
  const status = new Promise<StatusObject>((resolve) => call.on("status", resolve));
  return { first, status };
}

async function timedClose(grpc: GrpcServer): Promise<number> {
  const began = performance.now();
  await grpc.close(GRACE_MS);
  return performance.now() - began;
}

/** A Health.Watch from a stock client that reads the first status, then stops reading. */
function pausedHealthWatch(grpc: GrpcServer) {
  const health = foreignHealthClient(grpc.address);
  clients.push(health);
  const call = (health as unknown as { Watch(request: object, metadata: Metadata): ClientReadableStream<{ status: string }> }).Watch({ service: "" }, new Metadata());
  return firstThenPause(call);
}

describe("the gRPC server's close, with stalled standard streams", () => {
  it("ends a Health.Watch stalled after its first status with UNAVAILABLE at once: nothing holds it back", async () => {
    const grpc = await start();
    const watch = pausedHealthWatch(grpc);
    expect((await watch.first).status).toBe("SERVING");

    const tookMs = await timedClose(grpc);
    expect(tookMs, `the close took ${Math.round(tookMs)} ms`).toBeLessThan(STREAM_END_MS);
    expect((await watch.status).code).toBe(grpcStatus.UNAVAILABLE);
  });

  it("cuts a Health.Watch whose client stopped reading, rather than waiting for the grace period", async () => {
    const grpc = await start();
    const watch = pausedHealthWatch(grpc);
    expect((await watch.first).status).toBe("SERVING");
    // Status changes pile up behind the paused client (each is a message): far more than
    // its buffer (16 messages) and its HTTP/2 window (64 KiB) take.
    for (let i = 0; i < 20_000; i++) grpc.setServing(i % 2 === 1);
    grpc.setServing(true);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const tookMs = await timedClose(grpc);
    expect(tookMs, `the close took ${Math.round(tookMs)} ms`).toBeLessThan(3_000);
    expect((await watch.status).code).toBe(grpcStatus.CANCELLED);
  }, 30_000);

  it("cuts a reflection stream whose client stopped reading, rather than waiting for the grace period", async () => {
    const grpc = await start();
    const reflection = foreignReflectionClient(grpc.address, "v1");
    clients.push(reflection);
    const call = (reflection as unknown as { ServerReflectionInfo(): ClientDuplexStream<object, object> }).ServerReflectionInfo();
    const stream = firstThenPause(call);
    // Each answer carries the service's file: far more than the paused client takes.
    for (let i = 0; i < 200; i++) call.write({ file_containing_symbol: TracingService.typeName });
    await stream.first;
    await new Promise((resolve) => setTimeout(resolve, 300));

    const tookMs = await timedClose(grpc);
    expect(tookMs, `the close took ${Math.round(tookMs)} ms`).toBeLessThan(3_000);
    expect((await stream.status).code).toBe(grpcStatus.CANCELLED);
  }, 30_000);
});
