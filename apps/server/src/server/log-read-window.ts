// How much of the log this server keeps in memory for its readers (read-all-window.ts).
// The ListTraces projector always follows the log; the monitoring saga and the OTLP
// export do when they are on. Whichever reads a page first leaves it for the others;
// with a single reader nobody would take the pages again, and keeping them would only
// make the garbage collector carry them into the old generation for nothing.

import type { ServerConfig } from "../config/server-config.js";
import type { ReadAllWindowLimits } from "../event-store/postgres/read-all-window.js";

/**
 * 20,000 events is most of a second of heavy ingest (~25k events/s), several times the
 * projector's 100 ms gap behind the saga; 32 MiB bounds large payloads.
 */
const WINDOW: ReadAllWindowLimits = { maxEvents: 20_000, maxBytes: 32 * 1024 * 1024 };

export function logReadWindow(config: Pick<ServerConfig, "monitoring" | "otlpExport">): ReadAllWindowLimits | undefined {
  const readers = 1 + (config.monitoring.enabled ? 1 : 0) + (config.otlpExport.enabled ? 1 : 0);
  return readers > 1 ? WINDOW : undefined;
}
