// TracingService: one implementation, served by both doors (grpc-js and
// connect-node). Commands go through the command bus and are answered after
// commit; reads come from the event store (GetTrace, GetTraceEvents,
// WatchTrace) and the trace listing projection (ListTraces).

import { create } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { GetTraceRequest, TracingService } from "@traceledger/proto";
import {
  GetTraceEventsResponseSchema,
  GetTraceResponseSchema,
  IngestBatchResponseSchema,
  WatchTraceResponseSchema,
} from "@traceledger/proto";
import type { CommandResult } from "../commands/command-result.js";
import type { TraceCommandBus } from "../commands/trace-command-bus.js";
import { hexReadAsBase64Hint } from "../domain/trace/hex-read-as-base64.js";
import type { TraceCommand } from "../domain/trace/trace-commands.js";
import type { CommandOutcome } from "../domain/trace/trace-decide.js";
import type { TraceError } from "../domain/trace/trace-error.js";
import { isTraceError, traceError } from "../domain/trace/trace-error.js";
import { bytesToHex, isValidTraceId } from "../domain/trace/w3c-ids.js";
import type { EventStore, StoredEvent } from "../event-store/event-store.js";
import type { TraceChangeFeed } from "../live/trace-change-feed.js";
import type { TraceListing } from "../projections/trace-listing.js";
import type { TraceMoment, TraceReader } from "../trace-reads/trace-reader.js";
import { ENVELOPE_BYTES, toEnvelope } from "./event-envelope.js";
import { encodeEventsPage, readEventsPage } from "./events-page.js";
import { listTraces } from "./list-traces.js";
import { eventsToken, filterHash, readEventsToken } from "./page-tokens.js";
import { streamVersionOf } from "./stream-version.js";
import { invalidArgument, toConnectError, withErrorInfo } from "./rpc-error.js";
import { readIngestBatch } from "./ingest/read-ingest-batch.js";
import { writeIngestBatchResponse } from "./ingest/write-ingest-batch-response.js";
import { preEncodedMessage } from "./transport/pre-encoded-message.js";
import { answerItemBytes, DEFAULT_MAX_MESSAGE_BYTES } from "./transport/message-limits.js";
import {
  addSpanEventCommand,
  endSpanCommand,
  recordErrorCommand,
  setSpanAttributesCommand,
  startSpanCommand,
  startTraceCommand,
} from "./to-command.js";
import {
  addSpanEventResponse,
  endSpanResponse,
  recordErrorResponse,
  setSpanAttributesResponse,
  startSpanResponse,
  startTraceResponse,
} from "./to-response.js";

interface TracingServiceDeps {
  readonly bus: TraceCommandBus;
  readonly store: EventStore;
  readonly changes: TraceChangeFeed;
  readonly listing: TraceListing;
  /** GetTrace's views: snapshots, cache and fold (../trace-reads). */
  readonly traces: Pick<TraceReader, "read">;
  /** Unix nanoseconds, for the durations of running spans. */
  readonly clock: () => bigint;
  /** Aborted at shutdown: ends every WatchTrace stream. */
  readonly shutdown: AbortSignal;
  /** The most commands one IngestBatch call may carry. Default 10,000. */
  readonly maxBatchCommands?: number;
  /** The largest answer the transports send (TRACELEDGER_MAX_MESSAGE_BYTES). Default 4 MiB. */
  readonly maxAnswerBytes?: number;
}

const MAX_EVENTS_PAGE = 5000;
const DEFAULT_EVENTS_PAGE = 500;

export function createTracingService(deps: TracingServiceDeps): ServiceImpl<typeof TracingService> {
  const maxAnswerBytes = deps.maxAnswerBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  /** Most event bytes in one GetTraceEvents page or WatchTrace read. */
  const pageBytes = answerItemBytes(maxAnswerBytes);
  const maxBatch = deps.maxBatchCommands ?? 10_000;

  async function run(command: TraceCommand | TraceError): Promise<{ traceId: string; outcome: CommandOutcome }> {
    if (isTraceError(command)) throw toConnectError(command);
    const result: CommandResult = await deps.bus.submit(command);
    if (!result.ok) throw toConnectError(result.error);
    return result;
  }

  return {
    async startTrace(request) {
      const { traceId, outcome } = await run(startTraceCommand(request));
      return startTraceResponse(traceId, outcome as Extract<CommandOutcome, { type: "SpanStarted" }>);
    },
    async startSpan(request) {
      const { traceId, outcome } = await run(startSpanCommand(request));
      return startSpanResponse(traceId, outcome as Extract<CommandOutcome, { type: "SpanStarted" }>);
    },
    async endSpan(request) {
      const { outcome } = await run(endSpanCommand(request));
      return endSpanResponse(outcome as Extract<CommandOutcome, { type: "SpanEnded" }>);
    },
    async recordError(request) {
      const { outcome } = await run(recordErrorCommand(request));
      return recordErrorResponse(outcome as Extract<CommandOutcome, { type: "ErrorRecorded" }>);
    },
    async addSpanEvent(request) {
      const { outcome } = await run(addSpanEventCommand(request));
      return addSpanEventResponse(outcome as Extract<CommandOutcome, { type: "EventRecorded" }>);
    },
    async setSpanAttributes(request) {
      const { outcome } = await run(setSpanAttributesCommand(request));
      return setSpanAttributesResponse(outcome as Extract<CommandOutcome, { type: "AttributesSet" }>);
    },

    async ingestBatch(request) {
      // On the gRPC door the commands were read from the wire (./ingest/read-ingest-batch.ts).
      const { commands, startTrace } = readIngestBatch(request);
      if (commands.length > maxBatch) {
        throw invalidArgument("BATCH_TOO_LARGE", `a batch may carry at most ${maxBatch} commands, got ${commands.length}`, {
          max_commands: String(maxBatch),
          commands: String(commands.length),
        });
      }
      // One submission for the whole batch; requests that are not commands are answered in place.
      const valid: TraceCommand[] = [];
      for (const command of commands) if (!isTraceError(command)) valid.push(command);
      const answered = await deps.bus.submitAll(valid);
      let next = 0;
      const results = valid.length === commands.length ? answered : commands.map((command): CommandResult => (isTraceError(command) ? { ok: false, traceId: "", error: command } : answered[next++]!));
      // Written by hand (./ingest/write-ingest-batch-response.ts) and sent as it is.
      return preEncodedMessage(IngestBatchResponseSchema, writeIngestBatchResponse(results, (i) => startTrace[i]!));
    },

    async getTrace(request) {
      const traceId = traceIdOf(request.traceId);
      const moment = momentOf(request.asOf, deps.clock());
      const response = await deps.traces.read(traceId, moment);
      if (!response) {
        const when = request.asOf.case === undefined ? "" : " as of the requested moment";
        throw toConnectError(traceError("not_found", "TRACE_NOT_FOUND", `trace ${traceId} does not exist${when}`, { trace_id: traceId }));
      }
      // The transport would refuse to send it with a bare RESOURCE_EXHAUSTED: say why, and what to do.
      if (response.length > maxAnswerBytes) {
        throw withErrorInfo(
          Code.ResourceExhausted,
          "TRACE_TOO_LARGE",
          `trace ${traceId} is ${response.length} bytes as a view, more than an answer may carry (${maxAnswerBytes}, TRACELEDGER_MAX_MESSAGE_BYTES); read it with GetTraceEvents, which pages`,
          { trace_id: traceId, view_bytes: String(response.length), max_bytes: String(maxAnswerBytes) },
        );
      }
      // Already encoded (most of it copied from a snapshot or the cache): sent as it is.
      return preEncodedMessage(GetTraceResponseSchema, response);
    },

    listTraces(request) {
      return listTraces(deps.listing, request);
    },

    async getTraceEvents(request) {
      const traceId = traceIdOf(request.traceId);
      if (request.pageSize < 0) {
        throw invalidArgument("INVALID_PAGE_SIZE", `page_size must not be negative (got ${request.pageSize}); 0 means ${DEFAULT_EVENTS_PAGE}`, { page_size: String(request.pageSize) });
      }
      if (request.toVersion > 0n && request.toVersion < request.afterVersion) {
        throw invalidArgument("INVALID_VERSION_RANGE", `to_version (${request.toVersion}) is before after_version (${request.afterVersion}); 0 means the latest`, {
          after_version: String(request.afterVersion),
          to_version: String(request.toVersion),
        });
      }
      const pageSize = request.pageSize === 0 ? DEFAULT_EVENTS_PAGE : Math.min(request.pageSize, MAX_EVENTS_PAGE);
      // A token continues this very request: the same trace and range.
      const hash = filterHash(traceId, request.afterVersion, request.toVersion);
      const after = request.pageToken ? readEventsToken(request.pageToken, hash) : streamVersionOf(request.afterVersion);
      // The byte budget stops the read too. The store stops at the event that reaches its
      // budget; one byte more than the page's makes it read the event past a page that fills
      // the budget exactly, which tells that more follow.
      const options = { afterVersion: after, limit: pageSize + 1, maxBytes: pageBytes + 1 };
      // A long page in several statements, so that taking in its rows does not hold the event loop.
      const events = await readEventsPage(deps.store, traceId, request.toVersion > 0n ? { ...options, toVersion: streamVersionOf(request.toVersion) } : options);
      const page = pageWithin(events, pageSize, pageBytes);
      const last = page[page.length - 1];
      // The read stops at the event that reaches its byte budget: when that is the page's own
      // last event (one event larger than a page), whether more follow is asked apart.
      const more =
        events.length > page.length ||
        (last !== undefined && events.length < options.limit && payloadBytes(events) >= options.maxBytes && (await hasEventsAfter(deps.store, traceId, last.version, request.toVersion)));
      const nextPageToken = more ? eventsToken(last!.version, hash) : "";
      // A page longer than the default is encoded in parts, letting other calls run between them; sent as it is.
      if (page.length > DEFAULT_EVENTS_PAGE) return preEncodedMessage(GetTraceEventsResponseSchema, await encodeEventsPage(page, nextPageToken));
      return create(GetTraceEventsResponseSchema, { events: page.map(toEnvelope), nextPageToken });
    },

    async *watchTrace(request, context) {
      const traceId = traceIdOf(request.traceId);
      const signal = AbortSignal.any([context.signal, deps.shutdown]);
      let after = streamVersionOf(request.afterVersion);
      // The trace's version when last looked at, for a watcher at or past its end: the feed's
      // poll must wake it on any later write (by another replica too), not only past `after`.
      let head = Infinity;
      while (!signal.aborted) {
        // Listen before reading, so a local write between the read and the wait still wakes
        // us; writes by other replicas are found by the feed's shared poll, which compares
        // the trace's version with what this watcher has seen by then.
        const following = deps.changes.follow(traceId, () => Math.min(after, head), signal);
        try {
          // Bounded in bytes too: a watcher that does not read holds its page in memory.
          const events = await deps.store.readStream(traceId, { afterVersion: after, limit: DEFAULT_EVENTS_PAGE, maxBytes: pageBytes });
          for (const stored of events) {
            yield create(WatchTraceResponseSchema, { event: toEnvelope(stored) });
            after = stored.version;
            if (stored.type === "TraceCompleted") return;
          }
          if (events.length === 0 && after > 0) {
            // At or past the end of the trace (resumed there, or caught up): once it has
            // completed, nothing more will come.
            const end = await pastTheEnd(deps.store, traceId, after);
            if (end.completed) return;
            head = end.head;
          }
          if (events.length < DEFAULT_EVENTS_PAGE && payloadBytes(events) < pageBytes) await following.changed;
        } finally {
          following.cancel();
        }
      }
    },
  };
}

/**
 * The moment GetTrace views. A time of zero means now (the contract's rule for times), and so
 * does a time past now: the store has nothing recorded after now, and a running span's duration
 * measured up to a future time would be invented.
 */
function momentOf(asOf: GetTraceRequest["asOf"], now: bigint): TraceMoment {
  if (asOf.case === "asOfVersion") return { kind: "version", version: streamVersionOf(asOf.value) };
  if (asOf.case === "asOfTimeUnixNano" && asOf.value !== 0n && asOf.value < now) return { kind: "time", at: asOf.value };
  return { kind: "now" };
}

function traceIdOf(bytes: Uint8Array): string {
  const traceId = bytesToHex(bytes);
  if (!isValidTraceId(traceId)) {
    throw invalidArgument("INVALID_TRACE_ID", `trace_id must be 16 bytes, not all zero (got ${bytes.length} bytes${hexReadAsBase64Hint(traceId, 16)})`, {
      trace_id: traceId,
    });
  }
  return traceId;
}

function payloadBytes(events: readonly StoredEvent[]): number {
  let bytes = 0;
  for (const event of events) bytes += event.payload.length;
  return bytes;
}

/**
 * The first `pageSize` events, or fewer (at least one) so that the page stays
 * within `maxBytes` as encoded, each event with its envelope: stock gRPC clients
 * refuse answers over 4 MiB (AIP-158 lets a page be short). An event larger than
 * `maxBytes` is a page of its own, which the answer limit still carries: no event is
 * stored that would not fit in it with its envelope (EVENT_TOO_LARGE, events/event-size-limit.ts).
 */
function pageWithin(events: readonly StoredEvent[], pageSize: number, maxBytes: number): StoredEvent[] {
  let bytes = 0;
  let count = 0;
  for (const event of events) {
    const size = event.payload.length + ENVELOPE_BYTES;
    if (count === pageSize || (count > 0 && bytes + size > maxBytes)) break;
    bytes += size;
    count++;
  }
  return events.slice(0, count);
}

/** Whether the trace has an event after `version`, up to `toVersion` (0: the latest). */
async function hasEventsAfter(store: EventStore, traceId: string, version: number, toVersion: bigint): Promise<boolean> {
  const head = await store.streamVersion(traceId);
  return (toVersion > 0n ? Math.min(head, Number(toVersion)) : head) > version;
}

/**
 * The trace's version, and whether `after` is at or past its end with its last event
 * TraceCompleted (nothing can follow it). Infinity as the head when `after` is before it.
 */
async function pastTheEnd(store: EventStore, traceId: string, after: number): Promise<{ completed: boolean; head: number }> {
  const head = await store.streamVersion(traceId);
  if (after < head) return { completed: false, head: Infinity };
  if (head === 0) return { completed: false, head };
  const [last] = await store.readStream(traceId, { afterVersion: head - 1, toVersion: head });
  return { completed: last?.type === "TraceCompleted", head };
}
