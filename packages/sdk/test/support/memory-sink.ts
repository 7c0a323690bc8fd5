// A sink that keeps what it is given, for unit tests of the tracer and the
// integrations: no server, no batching.

import type { SpanCommand } from "../../src/commands/span-command.js";
import type { CommandSink, TracingStats } from "../../src/export/command-sink.js";
import { EMPTY_STATS } from "../../src/export/command-sink.js";
import { resolveTracerConfig, type TracerOptions } from "../../src/config/tracer-config.js";
import { Tracer } from "../../src/trace/tracer.js";

export class MemorySink implements CommandSink {
  readonly commands: SpanCommand[] = [];

  submit(command: SpanCommand): void {
    this.commands.push(command);
  }
  /** Seals everything, as shipping a batch would. */
  forceFlush(): Promise<void> {
    for (const c of this.commands) if (c.type === "startSpan") c.sealed = true;
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return this.forceFlush();
  }
  stats(): TracingStats {
    return { ...EMPTY_STATS, sent: this.commands.length };
  }
  ofType<T extends SpanCommand["type"]>(type: T): Array<Extract<SpanCommand, { type: T }>> {
    return this.commands.filter((c): c is Extract<SpanCommand, { type: T }> => c.type === type);
  }
}

/** A tracer shipping into a MemorySink, for unit tests of the tracer and the integrations. */
export function memoryTracer(options: TracerOptions = {}): { tracer: Tracer; sink: MemorySink } {
  const sink = new MemorySink();
  return { tracer: new Tracer(resolveTracerConfig({ serviceName: "unit", env: {}, ...options }), sink), sink };
}
