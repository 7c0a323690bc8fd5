// Builds the sink a configuration asks for: nothing at all when tracing is
// disabled (no client, no calls), else a batching sink over IngestBatch or over
// unary calls.

import { createTracingClient } from "../client/tracing-client.js";
import type { ExportConfig } from "../config/tracer-config.js";
import { BatchingSink } from "./batching-sink.js";
import type { CommandSink } from "./command-sink.js";
import { ingestBatchTransport } from "./ingest-batch-transport.js";
import { NoopSink } from "./noop-sink.js";
import { unaryTransport } from "./unary-transport.js";

export function createSink(config: ExportConfig): CommandSink {
  if (!config.enabled) return new NoopSink();
  const ownsClient = config.client === undefined;
  const client =
    config.client ??
    createTracingClient({
      url: config.url,
      transport: config.transport,
      headers: config.headers,
      timeoutMs: config.timeoutMs,
      interceptors: config.interceptors,
    });
  const transport =
    config.mode === "immediate"
      ? unaryTransport(client, { ownsClient })
      : ingestBatchTransport(client, { maxBatchBytes: config.batching.maxBatchBytes, ownsClient });
  return new BatchingSink(transport, config.batching, client.url);
}
