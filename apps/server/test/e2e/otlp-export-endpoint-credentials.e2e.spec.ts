// Credentials in the OTLP endpoint's URL (http://user:password@collector/...) are
// sent as HTTP Basic authorization over both transports, as ALERT_WEBHOOK_URL's
// are, and never reach the log. Before, the password was logged in clear at
// start-up, by the lease holder and in every drop warning, and over http/protobuf
// every span was dropped (Node's fetch refuses a URL with credentials); over grpc
// they were dropped without a word. The server runs as its own process, so every
// line it writes is checked.

import { status as GrpcCode } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { sendTrace } from "./support/export-traces.js";
import { connectClient } from "./support/in-process-server.js";
import { startOtlpGrpcReceiver, startOtlpHttpReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";
import { killServer, launchServer, spawnServer, type LaunchedServer } from "./support/server-process.js";
import { within } from "./support/wait.js";

const USER = "svc";
/** Percent-encoded in the URL, "S3CRET/PW" once decoded. */
const PASSWORD = "S3CRET%2FPW";
const AUTHORIZATION = `Basic ${Buffer.from(`${USER}:S3CRET/PW`).toString("base64")}`;

// A database per test: a killed exporter's lease would hold the next test's off for OTLP_EXPORT_LEASE_MS.
let db: TestDatabase;
let receiver: OtlpReceiver | undefined;
let server: LaunchedServer | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await killServer(server);
  await receiver?.close();
  await db?.drop();
  server = receiver = undefined;
});

function withCredentials(url: string): string {
  return url.replace("://", `://${USER}:${PASSWORD}@`);
}

/** Neither the password (as written or decoded) nor the header it becomes appears in the output. */
function expectNoSecret(output: string): void {
  expect(output).not.toContain("S3CRET");
  expect(output).not.toContain(AUTHORIZATION.slice("Basic ".length));
}

describe("OTLP endpoint with user:password", () => {
  it("over http/protobuf: sent as Basic authorization, the endpoint logged without them, through an outage and a refusal", { timeout: 90_000 }, async () => {
    receiver = await startOtlpHttpReceiver();
    // An outage (logged once), a refusal (its spans dropped with a warning), then accepted.
    receiver.answer = (request) =>
      request.index === 1 ? { kind: "status", status: 503, headers: { "retry-after": "0" } } : request.index === 2 ? { kind: "status", status: 400, message: "bad" } : { kind: "accept" };
    const exporting = await spawnServer(db.url, {
      OTLP_ENDPOINT: withCredentials(receiver.url),
      OTLP_EXPORT_MAX_DELAY_MS: "20",
      OTLP_EXPORT_RETRY_INITIAL_MS: "20",
      OTLP_EXPORT_RETRY_MAX_MS: "100",
    });
    server = exporting;
    await exporting.waitForOutput("otlp export: this replica exports", 15_000);
    const client = connectClient(exporting.grpcAddress);
    await sendTrace(client);
    await receiver.waitForRequests(2);
    const accepted = await sendTrace(client);
    await receiver.waitForSpans(accepted.keys);
    await exporting.waitForOutput("the collector refused spans", 5000);

    for (const request of receiver.requests) expect(request.headers.authorization).toBe(AUTHORIZATION);
    const output = exporting.output();
    expect(output).toContain(`"endpoint":"${receiver.url}"`);
    expect(output).toContain("the collector is not accepting");
    expectNoSecret(output);
  });

  it("over grpc: sent as Basic authorization metadata, the endpoint logged without them", { timeout: 90_000 }, async () => {
    receiver = await startOtlpGrpcReceiver();
    receiver.answer = (request) => (request.index === 1 ? { kind: "grpc", code: GrpcCode.INVALID_ARGUMENT, message: "bad" } : { kind: "accept" });
    const exporting = await spawnServer(db.url, { OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: withCredentials(receiver.url), OTLP_EXPORT_MAX_DELAY_MS: "20" });
    server = exporting;
    await exporting.waitForOutput("otlp export: this replica exports", 15_000);
    const client = connectClient(exporting.grpcAddress);
    await sendTrace(client);
    await receiver.waitForRequests(1);
    const accepted = await sendTrace(client);
    await receiver.waitForSpans(accepted.keys);

    for (const request of receiver.requests) expect(request.headers.authorization).toBe(AUTHORIZATION);
    expectNoSecret(exporting.output());
  });

  it("with an authorization header as well: exit 2 naming both variables, echoing neither secret", { timeout: 60_000 }, async () => {
    const launched = launchServer(db.url, { OTLP_ENDPOINT: withCredentials("http://127.0.0.1:4318/v1/traces"), OTLP_HEADERS: "authorization=Bearer%20S3CRET_TOKEN" });
    server = launched;
    expect(await within(30_000, "the server to exit", launched.exited), launched.output()).toEqual({ code: 2, signal: null });
    expect(launched.output()).toContain("OTLP_ENDPOINT has credentials (user:password@), sent as an authorization header, and OTLP_HEADERS sets authorization too");
    expectNoSecret(launched.output());
  });
});
