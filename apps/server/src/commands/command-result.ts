import type { CommandOutcome } from "../domain/trace/trace-decide.js";
import type { TraceError } from "../domain/trace/trace-error.js";

/** Why a command failed outside the domain's rules. */
export interface InfrastructureError {
  /**
   * aborted: concurrent writers kept winning, retry the call (nothing was
   * written); unavailable: the store failed or did not answer in time, retry
   * later (the commit's answer may have been what failed: the retry is then
   * recognised by its event ids); internal: deciding the command failed (a
   * defect, nothing was written), a retry would fail the same way.
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
