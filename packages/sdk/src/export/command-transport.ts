// How a sink puts commands on the wire: prepare() encodes what it takes from the
// queue (so start commands are sealed at that moment), send() makes the call.
// Implementations: IngestBatch (one call for many commands) and unary calls
// (one call per command).

import type { SpanCommand } from "../commands/span-command.js";
import type { CommandFailure } from "../wire/batch-results.js";

export interface PreparedSend {
  /** How many commands from the front of the list this send carries (at least one). */
  readonly count: number;
  /**
   * Set when those commands can never be sent (a command over the size limit on
   * its own): why. send() must not be called then.
   */
  readonly unsendable?: string;
  /**
   * Sends them. Resolves with one entry per command (undefined = acknowledged);
   * rejects when the call itself failed (a ConnectError), which may be retried.
   */
  send(signal: AbortSignal): Promise<Array<CommandFailure | undefined>>;
}

export interface CommandTransport {
  /**
   * Encodes the commands a send takes from the front of `commands`. With
   * `alongside`, another prepared send may still be in flight (and retried with
   * its bytes), so this one must not share its buffers.
   */
  prepare(commands: readonly SpanCommand[], alongside?: boolean): PreparedSend;
  /** Releases connections. */
  close(): void;
}
