// The sink of a disabled SDK (TRACING_ENABLED=false): it accepts nothing and
// calls no one. A disabled tracer never even creates a client.

import type { CommandSink, TracingStats } from "./command-sink.js";
import { EMPTY_STATS } from "./command-sink.js";

export class NoopSink implements CommandSink {
  submit(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  stats(): TracingStats {
    return EMPTY_STATS;
  }
}
