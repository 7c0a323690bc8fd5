// A start the server refuses for good leaves no span on the server: a job
// started under a request's root after that root ended (the trace completed,
// TRACE_COMPLETED). Its later commands and its children's would be refused one
// by one (SPAN_NOT_FOUND, PARENT_SPAN_NOT_FOUND), each counted as failed with a
// warning naming a reason unrelated to the cause: they are dropped instead,
// counted, with one warning that names the refused start.

import { afterEach, describe, expect, it } from "vitest";
import { serverPerFile } from "../../test/support/server-per-file.js";
import { createTracer } from "../trace/create-tracer.js";
import type { Tracer } from "../trace/tracer.js";

const e2e = serverPerFile();
const tracers: Tracer[] = [];

afterEach(async () => {
  await Promise.all(tracers.splice(0).map((t) => t.shutdown(1_000)));
});

function tracer(warnings: string[]): Tracer {
  const t = createTracer({ serviceName: "jobs", url: `http://${e2e.server.grpcAddress}`, env: {}, onWarning: (m) => warnings.push(m) });
  tracers.push(t);
  return t;
}

describe("a start the server refuses for good", () => {
  it("drops the span's later commands and its children's, instead of sending them to be refused", async () => {
    const warnings: string[] = [];
    const t = tracer(warnings);
    const root = t.startSpan("POST /jobs", { kind: "server" });
    root.end();
    await t.forceFlush(5_000); // the trace is completed now

    const job = t.startSpan("run job", { parent: root });
    await t.forceFlush(5_000); // its start is refused: TRACE_COMPLETED
    expect(t.stats()).toMatchObject({ failed: 1, dropped: 0 });

    job.addEvent("step 1");
    const step = t.startSpan("load rows", { parent: job });
    step.end();
    job.end();
    await t.forceFlush(5_000);

    // The event, the child's start and end, the job's end: dropped, none sent to be refused
    // (each refusal would count as failed; warnings of a kind come once a minute, so they cannot tell).
    expect(t.stats()).toMatchObject({ failed: 1, dropped: 4, queued: 0 });
    expect(warnings.some((w) => w.includes("TRACE_COMPLETED"))).toBe(true);
  });
});
