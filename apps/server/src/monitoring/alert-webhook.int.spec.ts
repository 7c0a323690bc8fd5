// The webhook against a real local HTTP receiver: what it sends, and what it
// does with a receiver that redirects (the GET a followed 301 becomes would
// lose the alert and look delivered) or a URL that carries credentials.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AlertRaised } from "../domain/monitoring/monitoring-events.js";
import { PostgresEventStore } from "../event-store/postgres/postgres-event-store.js";
import type { Logger } from "../log/logger.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { AlertWebhook } from "./alert-webhook.js";
import { MONITORING_STREAM_ID, toNewAlertEvent } from "./monitoring-stream.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

let server: Server | undefined;
let webhook: AlertWebhook | undefined;
afterEach(async () => {
  await webhook?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = webhook = undefined;
});

/** A receiver that records every request and answers with `answer`; returns its base URL (host:port). */
async function receiver(seen: Seen[], answer: (request: IncomingMessage) => { status: number; headers?: Record<string, string> }): Promise<string> {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push({ method: request.method ?? "", url: request.url ?? "", authorization: request.headers.authorization, body });
      const { status, headers } = answer(request);
      response.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const alert: AlertRaised = {
  type: "AlertRaised",
  alertId: "slow_span:0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331",
  kind: "slow_span",
  subject: { type: "span", traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", service: "payments", operation: "charge" },
  at: 1_764_000_000_000_000_000n,
  value: 6e9,
  threshold: 5e9,
  unit: "ns",
  message: "span charge of payments has run 6 s",
};

/** A store holding the one alert event; the webhook started on it. Resolves when its checkpoint has passed the event. */
async function deliverOne(url: string, errors: string[] = []): Promise<void> {
  // Each test on an empty log: the webhook's checkpoint is one per database.
  await db.sql`truncate events, subscriber_checkpoints`;
  const store = new PostgresEventStore(db.sql);
  await store.append({ streamId: MONITORING_STREAM_ID, expectedVersion: "no_stream", events: [toNewAlertEvent(alert)] });
  const log = { error: (msg: string) => errors.push(msg), warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;
  webhook = new AlertWebhook({ url, store, isActive: () => true, idleMs: 10, backoff: { baseMs: 10, maxMs: 20 }, log });
  webhook.start();
  const deadline = Date.now() + 5_000;
  while ((await store.loadCheckpoint("alert-webhook")).position < 1n) {
    if (Date.now() > deadline) throw new Error("the webhook did not get past the event");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("AlertWebhook", () => {
  it.each([301, 302, 303, 307, 308])("does not follow a redirect (HTTP %i): the event is skipped with an error naming where it points", async (status) => {
    const seen: Seen[] = [];
    const base = await receiver(seen, (request) => (request.url === "/old" ? { status, headers: { location: "/new" } } : { status: 200 }));
    const errors: string[] = [];
    await deliverOne(`http://${base}/old`, errors);
    // The POST and nothing after it: no GET to /new that would have counted as delivered.
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /old"]);
    expect(errors).toEqual(["alert webhook: the receiver redirects; skipping the event (set ALERT_WEBHOOK_URL to where it redirects)"]);
  });

  it("sends the credentials of its URL as HTTP Basic authorization, not in the request target", async () => {
    const seen: Seen[] = [];
    const base = await receiver(seen, () => ({ status: 200 }));
    await deliverOne(`http://alerts%40ops:p%3Ass@${base}/hook`);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/hook", authorization: `Basic ${Buffer.from("alerts@ops:p:ss").toString("base64")}` });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ event: { alertRaised: { alertId: alert.alertId } } });
  });
});
