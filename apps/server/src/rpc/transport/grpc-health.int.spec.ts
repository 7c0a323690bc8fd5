// grpc.health.v1.Health on the gRPC door, as grpc_health_probe or a load
// balancer would call it: a stock grpc-js client loading health.proto. What the
// app declared serving answers NOT_SERVING while its readiness check (the one
// /readyz uses) says not ready: a gRPC readiness probe must agree with /readyz.
import { credentials, Client as GrpcClient, status, type Client } from "@grpc/grpc-js";
import { TracingService } from "@traceledger/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READINESS_CACHE_MS } from "./grpc-health.js";
import { createGrpcServer, type GrpcServer } from "./grpc-server.js";
import { serviceRegistration } from "./service-registration.js";
import { CallLog } from "./testing/call-log.js";
import { callUnary, foreignHealthClient } from "./testing/foreign-clients.js";
import { streamReader } from "./testing/stream-reader.js";
import { testTracingService } from "./testing/test-tracing-service.js";

const SERVICE = TracingService.typeName;

let server: GrpcServer;
let health: Client;

beforeAll(async () => {
  server = await createGrpcServer({ host: "127.0.0.1", port: 0, services: [serviceRegistration(TracingService, testTracingService(new CallLog()))] });
  health = foreignHealthClient(server.address);
});

afterAll(async () => {
  health.close();
  await server.close(0);
});

const check = (service: string) => callUnary<{ status: string }>(health, "Check", { service });
type WatchCall = Parameters<typeof streamReader<{ status: string }>>[0] & { cancel(): void };
const startWatch = (service: string) => (health as unknown as { Watch(request: object): WatchCall }).Watch({ service });
const watch = (service: string) => streamReader<{ status: string }>(startWatch(service));

describe("gRPC health checking", () => {
  it("is NOT_SERVING until the app says it serves, for the server and each service", async () => {
    expect((await check("")).response?.status).toBe("NOT_SERVING");
    expect((await check(SERVICE)).response?.status).toBe("NOT_SERVING");
    server.setServing(true);
    expect((await check("")).response?.status).toBe("SERVING");
    expect((await check(SERVICE)).response?.status).toBe("SERVING");
  });

  it("sets the status of one service alone", async () => {
    server.setServing(true);
    server.setServing(false, SERVICE);
    expect((await check(SERVICE)).response?.status).toBe("NOT_SERVING");
    expect((await check("")).response?.status).toBe("SERVING");
    server.setServing(true, SERVICE);
    expect((await check(SERVICE)).response?.status).toBe("SERVING");
  });

  it("answers NOT_FOUND to Check for an unknown service", async () => {
    expect((await check("no.such.Service")).error?.code).toBe(status.NOT_FOUND);
  });

  it("answers INVALID_ARGUMENT to a Check or Watch whose request does not decode", async () => {
    const raw = new GrpcClient(server.address, credentials.createInsecure());
    const identity = (b: Buffer) => b;
    const garbage = Buffer.from([0x0a, 0xff]); // field 1, a length past the end
    try {
      const code = await new Promise<number | undefined>((resolve) =>
        raw.makeUnaryRequest("/grpc.health.v1.Health/Check", identity, identity, garbage, (error) => resolve(error?.code)),
      );
      expect(code).toBe(status.INVALID_ARGUMENT);
      const watchCall = raw.makeServerStreamRequest("/grpc.health.v1.Health/Watch", identity, identity, garbage);
      expect((await streamReader<Buffer>(watchCall).status).code).toBe(status.INVALID_ARGUMENT);
    } finally {
      raw.close();
    }
  });

  it("lists every service with its status", async () => {
    server.setServing(true);
    const { response } = await callUnary<{ statuses: Record<string, { status: string }> }>(health, "List", {});
    expect(response?.statuses).toEqual({ "": { status: "SERVING" }, [SERVICE]: { status: "SERVING" } });
  });

  it("Watch sends the current status, then each change", async () => {
    server.setServing(true);
    const call = startWatch(SERVICE);
    const reader = streamReader<{ status: string }>(call);
    expect((await reader.next()).status).toBe("SERVING");
    server.setServing(false, SERVICE);
    expect((await reader.next()).status).toBe("NOT_SERVING");
    server.setServing(true, SERVICE);
    expect((await reader.next()).status).toBe("SERVING");
    call.cancel();
    expect((await reader.status).code).toBe(status.CANCELLED);
  });

  it("Watch answers SERVICE_UNKNOWN for an unknown service and keeps the stream open", async () => {
    const call = startWatch("no.such.Service");
    const reader = streamReader<{ status: string }>(call);
    expect((await reader.next()).status).toBe("SERVICE_UNKNOWN");
    // Still open: no status within a while (a stream the server ended would have one
    // at once), and cancelling it is what ends it, CANCELLED rather than OK.
    const STILL_OPEN = Symbol("still open");
    const settled = await Promise.race([reader.status, new Promise<typeof STILL_OPEN>((resolve) => setTimeout(() => resolve(STILL_OPEN), 300))]);
    expect(settled).toBe(STILL_OPEN);
    call.cancel();
    expect((await reader.status).code).toBe(status.CANCELLED);
  });

  it("on close, a watcher sees NOT_SERVING and then its stream ends UNAVAILABLE", async () => {
    server.setServing(true);
    const reader = watch("");
    expect((await reader.next()).status).toBe("SERVING");
    const closed = server.close(1_000);
    expect((await reader.next()).status).toBe("NOT_SERVING");
    const ended = await reader.status;
    expect(ended.code).toBe(status.UNAVAILABLE);
    expect(ended.details).toBe("the server is shutting down");
    await closed;
  });
});

describe("gRPC health with the app's readiness check", () => {
  let ready: boolean;
  let asked: number;
  let gated: GrpcServer;
  let client: Client;
  const checkGated = async (service: string) => (await callUnary<{ status: string }>(client, "Check", { service })).response?.status;

  beforeAll(async () => {
    ready = true;
    asked = 0;
    gated = await createGrpcServer({
      host: "127.0.0.1",
      port: 0,
      services: [serviceRegistration(TracingService, testTracingService(new CallLog()))],
      ready: () => {
        asked += 1;
        return ready ? { ready: true } : { ready: false, reason: "the database is unreachable" };
      },
    });
    client = foreignHealthClient(gated.address);
  });
  afterAll(async () => {
    client.close();
    await gated.close(0);
  });

  it("answers NOT_SERVING while not ready, though declared serving, asking at most once per READINESS_CACHE_MS", async () => {
    gated.setServing(true);
    const before = asked;
    expect(await Promise.all([checkGated(""), checkGated(SERVICE), checkGated(""), checkGated(SERVICE)])).toEqual(["SERVING", "SERVING", "SERVING", "SERVING"]);
    expect(asked - before).toBe(1);
    ready = false;
    await expect.poll(() => checkGated(SERVICE), { timeout: 3 * READINESS_CACHE_MS, interval: 100 }).toBe("NOT_SERVING");
    expect(await checkGated("")).toBe("NOT_SERVING");
    const { response } = await callUnary<{ statuses: Record<string, { status: string }> }>(client, "List", {});
    expect(response?.statuses).toEqual({ "": { status: "NOT_SERVING" }, [SERVICE]: { status: "NOT_SERVING" } });
    ready = true;
    await expect.poll(() => checkGated(""), { timeout: 3 * READINESS_CACHE_MS, interval: 100 }).toBe("SERVING");
  });

  it("Watch sends each change of readiness, and nothing asks for it with no watcher or check", async () => {
    gated.setServing(true);
    const call = (client as unknown as { Watch(request: object): WatchCall }).Watch({ service: SERVICE });
    const reader = streamReader<{ status: string }>(call);
    expect((await reader.next()).status).toBe("SERVING");
    ready = false;
    expect((await reader.next()).status).toBe("NOT_SERVING");
    ready = true;
    expect((await reader.next()).status).toBe("SERVING");
    call.cancel();
    await reader.status;
    const idle = asked;
    await new Promise((resolve) => setTimeout(resolve, 2.5 * READINESS_CACHE_MS));
    expect(asked).toBe(idle);
  });

  it("is NOT_SERVING at close whatever the readiness", async () => {
    gated.setServing(true);
    const reader = streamReader<{ status: string }>((client as unknown as { Watch(request: object): WatchCall }).Watch({ service: "" }));
    expect((await reader.next()).status).toBe("SERVING");
    const closed = gated.close(1_000);
    expect((await reader.next()).status).toBe("NOT_SERVING");
    expect((await reader.status).code).toBe(status.UNAVAILABLE);
    await closed;
  });
});
