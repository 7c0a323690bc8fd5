import type { CommandOutcome } from "../domain/trace/trace-decide.js";
import type { TraceError } from "../domain/trace/trace-error.js";

/** Why a command failed outside the domain's rules; it wrote nothing. */
export interface InfrastructureError {
  /**
   * aborted: concurrent writers kept winning, retry the call; unavailable: the
   * store failed, retry later; internal: deciding the command failed (a defect),
   * a retry would fail the same way.
   */
  readonly kind: "aborted" | "unavailable" | "internal";
  readonly reason: "CONCURRENT_MODIFICATION" | "STORE_UNAVAILABLE" | "SHUTTING_DOWN" | "INTERNAL_ERROR";
  readonly message: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export type CommandError = TraceError | InfrastructureError;

export type CommandResult =
  | { readonly ok: true; readonly traceId: string; readonly outcome: CommandOutcome }
  | { readonly ok: false; readonly traceId: string; readonly error: CommandError };
