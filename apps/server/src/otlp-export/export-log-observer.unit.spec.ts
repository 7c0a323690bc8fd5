// The outage story the log tells, through the real retry loop (ExportSender) with a
// scripted collector: once when an outage begins (warn), once when it ends (info),
// whether the retried request is finally accepted or refused for good.

import { describe, expect, it } from "vitest";
import { createLogger } from "../log/logger.js";
import { ExportSender } from "./export-sender.js";
import { exportLogObserver } from "./export-log-observer.js";
import type { ExportOutcome, OtlpTransport } from "./otlp-transport.js";

const UNAVAILABLE: ExportOutcome = { kind: "retryable", reason: "HTTP 503", reasonKind: "http_503", ambiguous: false };
const REFUSED: ExportOutcome = { kind: "failed", reason: "HTTP 400: bad span", reasonKind: "http_400" };
const ACCEPTED: ExportOutcome = { kind: "accepted", rejectedSpans: 0, message: "" };

/** A sender whose transport answers `answers` in turn, logging at debug into `lines` ("level msg"). */
function loggedSender(answers: ExportOutcome[], lines: string[]): ExportSender {
  const log = createLogger("debug", {}, (line) => {
    const { level, msg } = JSON.parse(line) as { level: string; msg: string };
    lines.push(`${level} ${msg}`);
  });
  let next = 0;
  const transport: OtlpTransport = { export: async () => answers[next++] ?? ACCEPTED, close: async () => {} };
  return new ExportSender({ transport, backoff: { initialMs: 1, maxMs: 1 }, sleep: async () => {}, observer: exportLogObserver(log) });
}

const signal = new AbortController().signal;
const outageLines = (lines: string[]) => lines.filter((l) => !l.startsWith("debug"));

describe("exportLogObserver", () => {
  it("logs an outage that ends in a refusal as ended, and the next outage's beginning as a warning", async () => {
    const lines: string[] = [];
    const sender = loggedSender([UNAVAILABLE, UNAVAILABLE, REFUSED, ACCEPTED, UNAVAILABLE, UNAVAILABLE, ACCEPTED], lines);
    expect(await sender.send(new Uint8Array(), signal)).toMatchObject({ kind: "failed" });
    expect(await sender.send(new Uint8Array(), signal)).toMatchObject({ kind: "accepted" });
    expect(await sender.send(new Uint8Array(), signal)).toMatchObject({ kind: "accepted" });
    expect(outageLines(lines)).toEqual([
      "warn otlp export: the collector is not accepting; retrying until it does (nothing is lost meanwhile)",
      "info otlp export: the collector answers again, refusing the request it retried (its spans are dropped, see the warning)",
      "warn otlp export: the collector is not accepting; retrying until it does (nothing is lost meanwhile)",
      "info otlp export: the collector accepts again",
    ]);
    // The retries within an outage are at debug only.
    expect(lines.filter((l) => l === "debug otlp export: retrying")).toHaveLength(2);
  });

  it("says the collector accepts again only after saying it was not accepting", async () => {
    const lines: string[] = [];
    const log = createLogger("debug", {}, (line) => lines.push(line));
    const observer = exportLogObserver(log);
    observer.exportRecovered!(3, "accepted");
    expect(lines).toEqual([]);
  });

  it("logs the beginning of an outage again after a request was abandoned mid-outage (the lease lost)", async () => {
    const lines: string[] = [];
    const log = createLogger("debug", {}, (line) => lines.push((JSON.parse(line) as { level: string }).level));
    const observer = exportLogObserver(log);
    observer.exportRetried!("HTTP 503", 10, "http_503", 1);
    observer.exportRetried!("HTTP 503", 10, "http_503", 2);
    // Aborted here: no settlement. The next holder of the lease, here again, retries a request.
    observer.exportRetried!("HTTP 503", 10, "http_503", 1);
    expect(lines).toEqual(["warn", "debug", "warn"]);
  });
});
