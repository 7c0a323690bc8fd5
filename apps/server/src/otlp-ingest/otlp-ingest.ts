// OTLP ingest, behind both doors: an ExportTraceServiceRequest's bytes in, a
// partial success out, answered after commit. One RecordFinishedSpans command
// per trace in the request (one decide per trace, through the command bus's
// group commit), so every rule of the aggregate applies and a re-export is
// stored once. The request's commands are one submission with one promise (as
// IngestBatch's are), not one per trace: a request carries dozens of traces.
//
// A failure of the store (or shutdown) fails the whole export as retryable even
// when other traces of it were stored: the client retries the same request, and
// what was stored is recognised by its ids. Spans the domain rejects are not
// retryable; they are counted and explained in partial_success.

import type { CommandError, CommandResult, InfrastructureError } from "../commands/command-result.js";
import type { TraceCommand } from "../domain/trace/trace-commands.js";
import { expandedBytesBudget, ExpansionTooLarge } from "./expansion-budget.js";
import { OtlpFailure } from "./otlp-failure.js";
import { partialSuccess, type PartialSuccess, type Rejection } from "./partial-success.js";
import { MalformedOtlp } from "./protobuf-cursor.js";
import { readExportRequest } from "./read-export-request.js";

interface OtlpIngestOptions {
  /** Queues the commands in order and answers them all at once (TraceCommandBus.submitAll). */
  readonly submitAll: (commands: readonly TraceCommand[]) => Promise<CommandResult[]>;
  /**
   * Spans accepted for storage but not yet answered, across all exports; an
   * export that would pass it is refused as retryable (OTLP's throttling).
   */
  readonly maxPendingSpans: number;
  /** TRACELEDGER_MAX_MESSAGE_BYTES (default 4 MiB): sets the budget of resource and scope bytes copied into spans (expansion-budget.ts). */
  readonly maxMessageBytes?: number;
}

export class OtlpIngest {
  private pending = 0;
  private readonly expansionBudget: number;

  constructor(private readonly options: OtlpIngestOptions) {
    this.expansionBudget = expandedBytesBudget(options.maxMessageBytes);
  }

  /**
   * Stores an ExportTraceServiceRequest; throws OtlpFailure when the export
   * fails as a whole. `refusedBefore` are spans of the same request refused
   * before it was encoded (OTLP/JSON's ids that are not hex), reported with
   * the rest.
   */
  async export(request: Uint8Array, refusedBefore: readonly Rejection[] = []): Promise<PartialSuccess> {
    let read: ReturnType<typeof readExportRequest> | undefined;
    try {
      read = readExportRequest(request, this.expansionBudget);
    } catch (error) {
      if (error instanceof MalformedOtlp) throw new OtlpFailure("bad_data", "MALFORMED_OTLP", `the request is not an OTLP ExportTraceServiceRequest: ${error.message}`);
      // Not retryable, as OTLP has a request too large: the same request would be refused again.
      if (error instanceof ExpansionTooLarge) {
        throw new OtlpFailure("too_large", "REQUEST_TOO_LARGE", error.message, {
          max_expanded_bytes: String(error.budget),
          shared_bytes_per_span: String(error.sharedBytes),
          spans: String(error.spans),
        });
      }
      throw error;
    }
    const stored = read.spanCount;
    const total = stored + refusedBefore.length;
    if (stored === 0) return partialSuccess(total, refusedBefore);
    if (this.pending > 0 && this.pending + stored > this.options.maxPendingSpans) {
      throw new OtlpFailure("unavailable", "INGEST_OVERLOADED", `${this.pending} spans are waiting to be stored; retry later`, {
        pending_spans: String(this.pending),
        max_pending_spans: String(this.options.maxPendingSpans),
      });
    }
    this.pending += stored;
    // Only the span counts are kept across the wait: what is read and decided
    // lives until the commit, and the less of it there is, the less the
    // young-generation GC copies.
    const counts: number[] = [];
    let results: CommandResult[];
    try {
      const commands: TraceCommand[] = [];
      for (const [traceId, spans] of read.traces) {
        counts.push(spans.length);
        commands.push({ type: "RecordFinishedSpans", traceId, spans });
      }
      read = undefined;
      results = await this.options.submitAll(commands);
    } finally {
      this.pending -= stored;
    }

    const rejected: Rejection[] = [...refusedBefore];
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.ok) {
        if (result.outcome.type === "FinishedSpansRecorded") for (const r of result.outcome.rejected) rejected.push(r);
        continue;
      }
      const error = result.error;
      if (isRetryable(error)) {
        throw new OtlpFailure("unavailable", error.reason, `the spans could not be stored: ${error.message}`, error.metadata);
      }
      // The command as a whole was refused (a bad trace id, or a defect in deciding it): each of its spans is rejected for it.
      for (let n = 0; n < counts[i]!; n++) rejected.push({ spanId: "", error });
    }
    return partialSuccess(total, rejected);
  }
}

/** A failure of the moment: the whole request is answered as retryable. */
function isRetryable(error: CommandError): error is InfrastructureError {
  return error.kind === "unavailable" || error.kind === "aborted";
}
