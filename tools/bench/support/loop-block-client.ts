// The client side of read-loop-blocks.ts, in its own process so that its decoding
// never lands on the measured server's event loop. Jobs come over IPC, one at a time.
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TracingService } from "@traceledger/proto";

type Job =
  | { kind: "address"; address: string }
  | { kind: "getTrace"; traceId: string; version?: number }
  | { kind: "pages"; traceId: string; pageSize: number }
  | { kind: "watch"; traceId: string }
  | { kind: "ping"; count: number };

let client: ReturnType<typeof createClient<typeof TracingService>> | undefined;

async function handle(job: Job): Promise<unknown> {
  if (job.kind === "address") {
    client = createClient(TracingService, createGrpcTransport({ baseUrl: `http://${job.address}`, readMaxBytes: 256 * 1024 * 1024 }));
    return {};
  }
  const c = client!;
  const traceId = Buffer.from((job as { traceId: string }).traceId ?? "", "hex");
  const t = performance.now();
  if (job.kind === "getTrace") {
    try {
      const r = await c.getTrace({ traceId, ...(job.version === undefined ? {} : { asOf: { case: "asOfVersion", value: BigInt(job.version) } }) }, { timeoutMs: 120_000 });
      return { ms: performance.now() - t, spans: r.trace?.spans.length, version: String(r.trace?.version) };
    } catch (e) {
      const ce = ConnectError.from(e);
      return { ms: performance.now() - t, error: `${ce.code} ${ce.rawMessage.slice(0, 140)}` };
    }
  }
  if (job.kind === "pages") {
    let token = "";
    let pages = 0;
    let events = 0;
    do {
      const r = await c.getTraceEvents({ traceId, pageSize: job.pageSize, pageToken: token });
      pages++;
      events += r.events.length;
      token = r.nextPageToken;
    } while (token !== "");
    return { ms: performance.now() - t, pages, events };
  }
  if (job.kind === "watch") {
    let messages = 0;
    let last = "";
    for await (const m of c.watchTrace({ traceId, afterVersion: 0n }, { timeoutMs: 600_000 })) {
      messages++;
      last = m.event?.type ?? "";
    }
    return { ms: performance.now() - t, messages, last };
  }
  return {};
}

let chain = Promise.resolve();
process.on("message", (job) => {
  chain = chain.then(async () => {
    try {
      process.send!({ ok: true, result: await handle(job as Job) });
    } catch (error) {
      process.send!({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
});
process.on("disconnect", () => process.exit(0));
process.send!({ ready: true });
