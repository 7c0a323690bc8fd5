// The OTLP exporter as a handler of the leased subscription: spans leave when
// their trace completes (TraceCompleted), so tail sampling sees the whole trace.
// For each completion it takes the trace's events up to that completion (kept
// from the log, else read again), reads them into OTLP spans (straight from
// their bytes: OtlpSpanTranscoder), selects what this completion sends (a restated
// completion sends only the spans no earlier one sent), and sends them in
// requests of at most maxBatchSpans spans and maxRequestBytes bytes. handle()
// resolves once every request is settled, and only then does the subscription
// move the checkpoint.
//
// take() sizes each handle() from the completions' span counts, so what a crash
// can make us send twice is about one batch (or one trace, when a trace alone is
// larger than a batch).

import { fromBinary } from "@bufbuild/protobuf";
import { TraceCompletedSchema, type TraceCompleted } from "@traceledger/proto";
import type { EventStore, StoredEvent } from "../event-store/event-store.js";
import type { SubscriptionContext, SubscriptionHandler } from "../subscription/subscription-handler.js";
import type { ExportSender } from "./export-sender.js";
import type { OtlpExportObserver } from "./otlp-export-observer.js";
import { writeExportRequests } from "./otlp-request-writer.js";
import { OtlpSpanTranscoder, type TranscodedSpan } from "./otlp-span-transcoder.js";
import { tailSamplingDecision, type TailSamplingPolicy } from "./tail-sampling.js";
import { StreamTailCache } from "./stream-tail-cache.js";
import { selectForExport } from "./trace-export-selection.js";

const TRACE_COMPLETED = "TraceCompleted";

interface OtlpTraceExporterOptions {
  readonly store: EventStore;
  readonly sender: ExportSender;
  readonly policy: TailSamplingPolicy;
  /** Most spans in one request. */
  readonly maxBatchSpans: number;
  /** Most bytes in one request (a larger one is split). Default: no limit. */
  readonly maxRequestBytes?: number;
  /** Traces read from the store at once. Default 8. */
  readonly readConcurrency?: number;
  /**
   * Events of open traces kept from the log, so a completed trace is seldom read
   * again (StreamTailCache). Default 100,000 (a few tens of MB); 0 turns it off.
   */
  readonly cachedEvents?: number;
  readonly observer?: OtlpExportObserver;
}

export class OtlpTraceExporter implements SubscriptionHandler {
  private readonly tails: StreamTailCache;

  constructor(private readonly options: OtlpTraceExporterOptions) {
    this.tails = new StreamTailCache(options.cachedEvents ?? 100_000);
  }

  take(events: readonly StoredEvent[]): number {
    let spans = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.type !== TRACE_COMPLETED) continue;
      const completed = fromBinary(TraceCompletedSchema, event.payload);
      if (tailSamplingDecision(completed, this.options.policy) === "dropped") continue;
      // The whole trace's count: an upper bound for a restated completion.
      spans += completed.spanCount;
      if (spans >= this.options.maxBatchSpans) return i + 1;
    }
    return events.length;
  }

  async handle(events: readonly StoredEvent[], context: SubscriptionContext): Promise<void> {
    const { observer, policy } = this.options;
    const kept: Array<{ event: StoredEvent; redelivered: boolean }> = [];
    let sampledOut = 0;
    events.forEach((event, index) => {
      this.tails.add(event);
      if (event.type !== TRACE_COMPLETED) return;
      const completed: TraceCompleted = fromBinary(TraceCompletedSchema, event.payload);
      if (tailSamplingDecision(completed, policy) !== "dropped") kept.push({ event, redelivered: index < context.redelivered });
      else if (completed.lateSpanCount === 0) sampledOut++;
    });
    if (sampledOut > 0) observer?.tracesSampledOut?.(sampledOut);
    if (kept.length === 0) return this.forgetCompleted(events);

    const perTrace = await mapLimit(kept, this.options.readConcurrency ?? 8, ({ event }) => this.spansToSend(event));
    // A restated completion (late spans) is rare: it reads its stream again rather than hold every completed trace.
    this.forgetCompleted(events);
    const spans: TranscodedSpan[] = perTrace.flat();
    const resent = kept.reduce((sum, k, i) => sum + (k.redelivered ? perTrace[i]!.length : 0), 0);
    if (resent > 0) observer?.spansResent?.(resent, "redelivered");

    for (const request of writeExportRequests(spans, this.options.maxBatchSpans, this.options.maxRequestBytes)) {
      const count = request.spanCount;
      const result = await this.options.sender.send(request.bytes, context.signal);
      if (result.kind === "failed") {
        observer?.spansDropped?.(count, result.reason, result.reasonKind);
        continue;
      }
      if (result.possiblyDuplicated) observer?.spansResent?.(count, "ambiguous_retry");
      if (result.rejectedSpans > 0) observer?.spansDropped?.(result.rejectedSpans, `partial success: ${result.message || "no message"}`, "partial_success");
      else if (result.message !== "") observer?.collectorWarned?.(result.message);
      observer?.spansExported?.(Math.max(0, count - result.rejectedSpans));
    }
  }

  private forgetCompleted(events: readonly StoredEvent[]): void {
    for (const event of events) if (event.type === TRACE_COMPLETED) this.tails.drop(event.streamId);
  }

  /** The spans the completion `event` sends. */
  private async spansToSend(event: StoredEvent): Promise<TranscodedSpan[]> {
    const stream = this.tails.read(event.streamId, event.version) ?? (await this.options.store.readStream(event.streamId, { toVersion: event.version }));
    const trace = new OtlpSpanTranscoder();
    for (const e of stream) trace.apply(e.version, e.type, e.payload);
    return selectForExport(trace, event.version, this.options.policy).spans;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
