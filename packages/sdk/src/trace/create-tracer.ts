// createTracer: configuration (environment, then options), validated at once,
// and a sink to match. The tracer owns the client it creates: shutdown() closes it.

import { resolveTracerConfig, type TracerOptions } from "../config/tracer-config.js";
import { createSink } from "../export/create-sink.js";
import { Tracer } from "./tracer.js";

export function createTracer(options: TracerOptions = {}): Tracer {
  const config = resolveTracerConfig(options);
  return new Tracer(config, createSink(config));
}
