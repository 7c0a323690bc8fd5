// A bad configuration value, found when a client, tracer or processor is built.
// The message names every problem: the option or variable, what it got and what
// it accepts.

export class TracingConfigError extends Error {
  override readonly name = "TracingConfigError";

  constructor(readonly problems: readonly string[]) {
    super(`invalid traceledger SDK configuration:\n  - ${problems.join("\n  - ")}`);
  }
}
