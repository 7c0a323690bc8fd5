// The retry policy, with a scripted transport and the waits recorded instead of
// slept: what is retried, how long it waits, when it stops.

import { describe, expect, it } from "vitest";
import { ExportSender } from "./export-sender.js";
import type { ExportOutcome, OtlpTransport } from "./otlp-transport.js";

function scripted(outcomes: ExportOutcome[], onExport?: () => void): OtlpTransport & { calls: number } {
  const transport = {
    calls: 0,
    export: async () => {
      onExport?.();
      return outcomes[transport.calls++] ?? { kind: "accepted" as const, rejectedSpans: 0, message: "" };
    },
    close: async () => {},
  };
  return transport;
}

const unavailable = (extra: Partial<Extract<ExportOutcome, { kind: "retryable" }>> = {}): ExportOutcome => ({ kind: "retryable", reason: "HTTP 503", reasonKind: "http_503", ambiguous: false, ...extra });
const body = new Uint8Array([1, 2, 3]);

function sender(transport: OtlpTransport, waits: number[], events: string[] = []) {
  return new ExportSender({
    transport,
    backoff: { initialMs: 100, maxMs: 1000 },
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    observer: {
      exportRetried: (reason, ms, kind, retry) => events.push(`retry ${retry} ${reason} (${kind}) ${ms}`),
      exportRecovered: (n, outcome) => events.push(`${outcome} after ${n}`),
    },
  });
}

describe("ExportSender", () => {
  it("retries until accepted, waiting what the collector asked for, else a jittered exponential backoff", async () => {
    const transport = scripted([unavailable({ retryAfterMs: 7000 }), unavailable(), unavailable(), unavailable({ retryAfterMs: 0 }), unavailable()]);
    const waits: number[] = [];
    const events: string[] = [];
    const result = await sender(transport, waits, events).send(body, new AbortController().signal);
    expect(result).toEqual({ kind: "accepted", rejectedSpans: 0, message: "", possiblyDuplicated: false });
    expect(transport.calls).toBe(6);
    // Retry-After as given, but at least the first backoff step (100, not 0); otherwise half
    // (random 0.5) of 100 * 2^retry, capped at 1000.
    expect(waits).toEqual([7000, 100, 200, 100, 500]);
    expect(events).toEqual([
      "retry 1 HTTP 503 (http_503) 7000",
      "retry 2 HTTP 503 (http_503) 100",
      "retry 3 HTTP 503 (http_503) 200",
      "retry 4 HTTP 503 (http_503) 100",
      "retry 5 HTTP 503 (http_503) 500",
      "accepted after 5",
    ]);
  });

  it("reports the end of the retries when the request is finally refused for good, not only when accepted", async () => {
    const events: string[] = [];
    const result = await sender(scripted([unavailable(), { kind: "failed", reason: "HTTP 400: bad", reasonKind: "http_400" }]), [], events).send(body, new AbortController().signal);
    expect(result).toEqual({ kind: "failed", reason: "HTTP 400: bad", reasonKind: "http_400" });
    expect(events).toEqual(["retry 1 HTTP 503 (http_503) 50", "refused after 1"]);
  });

  it("caps a requested wait at maxRetryAfterMs", async () => {
    const waits: number[] = [];
    const s = new ExportSender({ transport: scripted([unavailable({ retryAfterMs: 3_600_000 })]), backoff: { initialMs: 1, maxMs: 1 }, maxRetryAfterMs: 60_000, sleep: async (ms) => void waits.push(ms) });
    await s.send(body, new AbortController().signal);
    expect(waits).toEqual([60_000]);
  });

  it("never retries a final refusal", async () => {
    const transport = scripted([{ kind: "failed", reason: "HTTP 400: bad", reasonKind: "http_400" }]);
    const waits: number[] = [];
    expect(await sender(transport, waits).send(body, new AbortController().signal)).toEqual({ kind: "failed", reason: "HTTP 400: bad", reasonKind: "http_400" });
    expect(transport.calls).toBe(1);
    expect(waits).toEqual([]);
    // Nothing was retried: no outage to end.
    const events: string[] = [];
    await sender(scripted([{ kind: "failed", reason: "HTTP 400: bad", reasonKind: "http_400" }]), [], events).send(body, new AbortController().signal);
    expect(events).toEqual([]);
  });

  it("reports a possible duplicate when an earlier attempt may have reached the collector", async () => {
    const result = await sender(scripted([unavailable({ ambiguous: true }), unavailable()]), []).send(body, new AbortController().signal);
    expect(result).toMatchObject({ kind: "accepted", possiblyDuplicated: true });
  });

  it("stops between attempts when aborted, but lets the attempt under way finish", async () => {
    const abort = new AbortController();
    // Aborted while the second attempt is under way: that attempt's answer still counts.
    const transport = scripted([unavailable()], () => {
      if (transport.calls === 1) abort.abort(new Error("lease lost"));
    });
    expect(await sender(transport, []).send(body, abort.signal)).toMatchObject({ kind: "accepted" });

    const stopped = new AbortController();
    const failing = scripted([unavailable(), unavailable(), unavailable()], () => {
      if (failing.calls === 1) stopped.abort(new Error("shutting down"));
    });
    await expect(sender(failing, []).send(body, stopped.signal)).rejects.toThrow("shutting down");
    expect(failing.calls).toBe(2);
  });
});
