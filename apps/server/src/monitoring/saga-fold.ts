// The saga's state and the stream of inputs that builds it, the same for the
// live runner and for a replay: stored events of the log in order, and ticks.
// While the runner reads history (a replay, or catching up under load) time
// passes with the log: a tick is given each time the events' recorded time has
// moved a tick interval, at the newest recorded time seen, so a replay
// decides what the live saga decided without waiting for a clock.

import { SpanEndReason } from "@traceledger/proto";
import {
  activeSpanView,
  adoptStoredAlerts,
  forgetAlertsNotStored,
  foldStoredAlert,
  forgetTraces,
  handleMonitoringInput,
  initialMonitoringState,
  spanIdHex,
  type ActiveSpan,
  type ActiveSpanView,
  type MonitoringConfig,
  type MonitoringEvent,
  type MonitoringOutput,
  type MonitoringState,
  type TraceEventRecorded,
} from "../domain/monitoring/index.js";
import type { StoredEvent } from "../event-store/event-store.js";
import { isTraceStream } from "../events/reserved-streams.js";
import type { ActiveSpanFeed, StopReason } from "./active-span-feed.js";
import { isTraceEventType } from "../events/trace-event-codec.js";
import type { SagaTraceEvent } from "../domain/monitoring/saga-trace-event.js";
import { decodeForSaga } from "./saga-event-decoder.js";
import type { SagaFoldImage } from "./saga-snapshot.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const NO_EVENT: TraceEventRecorded["event"] = { case: "spanEventRecorded", value: {} };

export class SagaFold {
  readonly state: MonitoringState;
  /** The saga time of the last tick given. */
  private lastTick = 0n;
  /** lastTick + tickNs, kept rather than added up for every event. */
  private nextTick: bigint;
  private newestRecorded = 0n;
  private readonly input: Mutable<TraceEventRecorded> = { type: "TraceEventRecorded", traceId: "", event: NO_EVENT, recordedAt: 0n, version: 0 };
  /** Events of the log given to this fold, counted from the log's start (a restored fold's snapshot included). */
  eventsRead: number;
  /** eventsRead of the snapshot this fold was restored from; 0 for a fold from the start. */
  readonly restoredEvents: number;
  /**
   * The longest prefix of the monitoring stream (its version) whose alert events this state
   * holds: set by a rebuild, moved on by the leader's own appends while nobody else's come
   * between. What a snapshot records, and a rebuild from it folds the stream after.
   */
  alertsKnown = 0;

  constructor(
    config: MonitoringConfig,
    private readonly tickNs: bigint,
    /** Told about every change of the running spans, when someone watches. */
    private feed?: ActiveSpanFeed,
    /** Go on from a snapshot's image (taken by image() under the same config and tickNs) instead of the start. */
    restored?: { readonly image: SagaFoldImage; readonly events: number; readonly alertsVersion: number },
  ) {
    if (restored) {
      const { image } = restored;
      this.state = { config, ...image.state };
      this.lastTick = image.lastTick;
      this.nextTick = image.nextTick;
      this.newestRecorded = image.newestRecorded;
      this.eventsRead = this.restoredEvents = restored.events;
      this.alertsKnown = restored.alertsVersion;
    } else {
      this.state = initialMonitoringState(config);
      this.nextTick = tickNs;
      this.eventsRead = this.restoredEvents = 0;
    }
  }

  /** The fold as it is now, without its configuration: what a snapshot keeps (saga-snapshot.ts). */
  image(): SagaFoldImage {
    const { config: _config, ...state } = this.state;
    return { lastTick: this.lastTick, nextTick: this.nextTick, newestRecorded: this.newestRecorded, state };
  }

  /** From now on, watchers are told about changes (a replay tells nobody). */
  attach(feed: ActiveSpanFeed | undefined): void {
    this.feed = feed;
    this.stops = undefined;
  }

  /**
   * Why spans stopped while this fold told nobody (`traceId/spanId` -> reason), kept from
   * rememberStops() until attach(): a new leader's catch-up, after which watchers are told
   * of the spans that stopped meanwhile with their own reasons (cancelled, orphaned).
   */
  private stops: Map<string, StopReason> | undefined;

  rememberStops(): void {
    this.stops ??= new Map();
  }

  /** The reason a span stopped for while remembered (rememberStops), if it did. */
  stopReason(traceId: string, spanId: string): StopReason | undefined {
    return this.stops?.get(`${traceId}/${spanId}`);
  }

  /** When the last tick was: the runner ticks again one interval later. */
  get lastTickAt(): bigint {
    return this.lastTick;
  }

  /** Feeds one stored event (events of reserved streams are skipped); outputs go to `out`. */
  event(stored: StoredEvent, out: MonitoringOutput[]): void {
    this.eventsRead++;
    // A type this server does not know (a newer replica's) is skipped, as by every reader of the log.
    if (!isTraceStream(stored.streamId) || !isTraceEventType(stored.type)) return;
    // A trace held here whose stream starts again: retention deleted it and its id was used again.
    if (stored.version === 1 && this.state.traces.has(stored.streamId)) this.forget([stored.streamId], out);
    if (stored.recordedAt >= this.nextTick && this.newestRecorded > this.lastTick) this.tick(this.newestRecorded, out);
    if (stored.recordedAt > this.newestRecorded) this.newestRecorded = stored.recordedAt;
    const event = decodeForSaga(stored.type, stored.payload);
    // One input object for every event: the saga reads it and keeps nothing of it.
    const input = this.input;
    input.traceId = stored.streamId;
    input.event = event;
    input.recordedAt = stored.recordedAt;
    input.version = stored.version;
    const feed = this.feed?.watched ? this.feed : undefined;
    if (!feed) {
      if (this.stops) this.rememberStop(stored.streamId, event);
      collect(handleMonitoringInput(this.state, input), out);
      return;
    }
    // What runs before, to tell watchers what changed.
    const trace = this.state.traces.get(stored.streamId);
    const before = event.case === "traceCompleted" && trace ? [...trace.running.values()] : undefined;
    const spanId = event.case === "spanStarted" || event.case === "spanEnded" || event.case === "spanOrphaned" ? spanIdHex(event.value.spanId) : "";
    const spanBefore = spanId === "" ? undefined : trace?.running.get(spanId);
    const outputs = handleMonitoringInput(this.state, input);
    collect(outputs, out);
    const running = this.state.traces.get(stored.streamId)?.running;
    switch (event.case) {
      case "spanStarted": {
        const span = running?.get(spanId);
        if (!spanBefore && span) feed.publish({ type: "upserted", span: viewOf(span) });
        break;
      }
      case "spanEnded":
        if (spanBefore) feed.publish(stopped(spanBefore, event.value.endReason === SpanEndReason.CANCELLED ? "cancelled" : "ended"));
        break;
      case "spanOrphaned":
        if (spanBefore) feed.publish(stopped(spanBefore, "orphaned"));
        break;
      case "traceCompleted":
        for (const span of before ?? []) feed.publish(stopped(span, "orphaned"));
        break;
      default:
        break;
    }
    this.publishOutputs(outputs, feed);
  }

  /** Before the event is folded: the reason of each running span it stops. */
  private rememberStop(traceId: string, event: SagaTraceEvent): void {
    const stops = this.stops!;
    switch (event.case) {
      case "spanEnded":
        stops.set(`${traceId}/${spanIdHex(event.value.spanId)}`, event.value.endReason === SpanEndReason.CANCELLED ? "cancelled" : "ended");
        break;
      case "spanOrphaned":
        stops.set(`${traceId}/${spanIdHex(event.value.spanId)}`, "orphaned");
        break;
      case "traceCompleted":
        for (const spanId of this.state.traces.get(traceId)?.running.keys() ?? []) stops.set(`${traceId}/${spanId}`, "orphaned");
        break;
      default:
        break;
    }
  }

  /** Time passed up to `now`, Unix nanoseconds: every event recorded by then has been given. */
  tick(now: bigint, out: MonitoringOutput[]): void {
    if (now > this.lastTick) {
      this.lastTick = now;
      this.nextTick = now + this.tickNs;
    }
    const outputs = handleMonitoringInput(this.state, { type: "Tick", now });
    collect(outputs, out);
    if (this.feed?.watched) this.publishOutputs(outputs, this.feed);
  }

  /**
   * Folds an alert event the saga decided before (read back from the monitoring stream
   * over a replay), or holds it until the log decides it again (stored-alerts.ts).
   */
  fold(event: MonitoringEvent): void {
    foldStoredAlert(this.state, event);
  }

  /** Alerts this fold holds open whose raise the stream does not have: let go (forgetAlertsNotStored). */
  forgetAlertsNotStored(alertIds: Iterable<string>): void {
    forgetAlertsNotStored(this.state, alertIds);
  }

  /** A rebuilt fold has read the log to its end: stored alerts still held are folded. */
  caughtUp(): void {
    adoptStoredAlerts(this.state);
  }

  /**
   * Forgets traces whose events are gone from the log (forgetTraces): their open alerts'
   * resolutions go to `out`; watchers see their running spans stop.
   */
  forget(traceIds: Iterable<string>, out: MonitoringOutput[]): void {
    const spans = forgetTraces(this.state, traceIds, out);
    if (this.feed?.watched) for (const span of spans) this.feed.publish(stopped(span, "ended"));
  }

  runningCount(): number {
    let count = 0;
    for (const trace of this.state.liveTraces) count += trace.running.size;
    return count;
  }

  private publishOutputs(outputs: readonly MonitoringOutput[], feed: ActiveSpanFeed): void {
    for (const output of outputs) {
      const span =
        output.type === "AlertRaised" && output.kind === "slow_span"
          ? this.state.traces.get(output.subject.traceId)?.running.get(output.subject.spanId)
          : output.type === "CloseOrphanedSpan"
            ? this.state.traces.get(output.traceId)?.running.get(output.spanId)
            : undefined;
      if (span) feed.publish({ type: "upserted", span: viewOf(span) });
    }
  }
}

/** A running span as ListActiveSpans shows it; runningNs is left for the caller to measure. */
export function viewOf(span: ActiveSpan): ActiveSpanView {
  return activeSpanView(span, 0n);
}

function stopped(span: ActiveSpan, reason: StopReason) {
  return { type: "stopped" as const, traceId: span.traceId, spanId: span.spanId, service: span.service, reason };
}

function collect(outputs: readonly MonitoringOutput[], out: MonitoringOutput[]): void {
  // Indexed: for-of over the saga's shared empty answer allocated an iterator per event.
  for (let i = 0; i < outputs.length; i++) out.push(outputs[i]!);
}
