// The saga's state and its fold. Like the trace aggregate's, evolve updates
// the state in place and returns it: it follows the whole ingest stream, so
// copying per event is out of the question. decide never mutates.
//
// evolve folds inputs (trace events, ticks) and the saga's own outputs (alerts,
// commands), in the order Emmett's workflows do: an input, then what decide
// answered to it. That the alert is open, or the close was asked for, is
// therefore state, and decide stays idempotent by reading it.

import { StatusCode, type SpanKind } from "@traceledger/proto";
import { bytesToHex } from "../trace/w3c-ids.js";
import { boundedText } from "./bounded-text.js";
import { releasedBy } from "./error-rate-release.js";
import { newErrorRateWindow, recordEnded, type ErrorRateWindow } from "./error-rate-window.js";
import { addLatencySample, anomalyThresholdNs, newLatencyBaseline, type LatencyBaseline } from "./latency-baseline.js";
import { slowSpanThresholdNs, type MonitoringConfig } from "./monitoring-config.js";
import type { AlertRaised, AlertResolved, OperationSubject, ServiceSubject } from "./monitoring-events.js";
import type { MonitoringInput, TraceEventRecorded } from "./monitoring-input.js";
import type { MonitoringOutput } from "./monitoring-output.js";
import { grainEndOf, idleEntries, leastRecent, touch, type Recency } from "./recency.js";
import type { SagaSpanId } from "./saga-trace-event.js";

export interface ActiveSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** The service and span names as the saga keeps them all (bounded-text.ts). */
  readonly service: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTime: bigint;
  /**
   * When the saga learned of it (the saga's time at its start event), whatever start time the
   * client gave: what the slow-span and orphan rules count from. A start dated back (a buffering
   * client) is not instantly slow or orphaned; one dated ahead (a fast client clock, a bogus 2100)
   * does not put off its alert or its close by as much, or for ever.
   */
  readonly openSince: bigint;
  readonly slowThresholdNs: bigint;
  readonly operationKey: string;
  slowAlertId: string | undefined;
  closeRequested: boolean;
  /** Critical-error alerts raised on this span, resolved when it finishes; created on first use. */
  criticalAlertIds: string[] | undefined;
}

export interface TraceTrack extends Recency {
  readonly traceId: string;
  startTime: bigint;
  /** The service and name of the first span (or the TraceStarted's service), bounded (bounded-text.ts). */
  service: string;
  operation: string;
  /** The span that named the trace: a rename at its end renames the trace's operation too. */
  operationSpanId: string;
  hasLocalRoot: boolean;
  readonly running: Map<string, ActiveSpan>;
  /** When the saga learned of it, whatever its start time: a trace reported after the fact is not slow for that, one dated ahead not spared. */
  readonly openSince: bigint;
  /** The stream version of the last event of it the saga read: what a CloseTrace expects. */
  version: number;
  slowAlertId: string | undefined;
  /** A CloseTrace was given at `version`; any later event of the trace makes it idle no more. */
  closeRequested: boolean;
}

export interface ErrorRateStats extends Recency {
  readonly service: string;
  readonly errors: ErrorRateWindow;
  /** The bucket of the last span counted: open error-rate alerts were checked up to it. */
  lastBucket: number;
  errorAlertId: string | undefined;
}

type ServiceStats = ErrorRateStats;

export interface OperationStats extends ErrorRateStats {
  readonly operation: string;
  readonly baseline: LatencyBaseline;
  anomalyAlertId: string | undefined;
  /**
   * Ended spans in a row within the latency band, counted whether an anomaly is open or not:
   * an episode opens on an anomalous span (which zeroes it), so counting only while one is
   * open would give the same figure live. Counted always, it depends on the spans alone, not
   * on when an alert was folded, so a replica that folds the stored alerts after replaying the
   * log holds the same count as the one that ran live.
   */
  normalStreak: number;
}

export interface MonitoringState {
  readonly config: MonitoringConfig;
  /** The saga's time: the latest time of any input, so it never goes back. */
  clock: bigint;
  /** The error-rate bucket of the last tick: every open error-rate alert was checked up to it. */
  tickedBucket: number;
  /** Open traces, in order of last activity (see recency.ts). */
  readonly traces: Map<string, TraceTrack>;
  /** Traces with a running span: what a tick walks. */
  readonly liveTraces: Set<TraceTrack>;
  /** In order of last activity. */
  readonly services: Map<string, ServiceStats>;
  /** By operationKey(service, span name), in order of last activity. */
  readonly operations: Map<string, OperationStats>;
  /**
   * Statistics (of services and operations) let go to keep each map within config.maxOperations
   * (makeRoom), since the state began, those idle past the retention aside: for /metrics.
   */
  statsEvicted: number;
  readonly openAlerts: Map<string, AlertRaised>;
  /** The open error-rate and anomaly alerts: the ones time alone can resolve, so ticks recheck them. */
  readonly statisticAlerts: Map<string, StatisticAlertRaised>;
  /**
   * Error-rate and anomaly events read back from the monitoring stream while a new leader
   * was rebuilt, which its replay had not decided yet: held until it decides them itself
   * (the log decides them, at their own place in it) or has read the log to its end
   * (stored-alerts.ts). By alert id; empty for a leader that was never rebuilt.
   */
  readonly heldAlerts: Map<string, StatisticAlertEvent>;
}

export type StatisticAlertRaised = Extract<AlertRaised, { kind: "error_rate" | "latency_anomaly" }>;
/** An error-rate or anomaly alert event. */
export type StatisticAlertEvent = StatisticAlertRaised | (AlertResolved & { readonly kind: "error_rate" | "latency_anomaly" });

/** Traces are reordered at most once a second of activity. */
export const TRACE_GRAIN_NS = 1_000_000_000n;

/**
 * Statistics too, or once a bucket when buckets are shorter: their order picks what goes past
 * config.maxOperations (makeRoom), so an operation with a span every second goes only when the
 * cap's worth of other names were active within one second. Reordered per bucket (10 s), the
 * busiest operation, first of its bucket, would go once the cap's worth of new names came after
 * it in the same bucket.
 */
function statsGrain(config: MonitoringConfig): bigint {
  return config.errorRate.bucketNs < TRACE_GRAIN_NS ? config.errorRate.bucketNs : TRACE_GRAIN_NS;
}

export function initialMonitoringState(config: MonitoringConfig): MonitoringState {
  return {
    config,
    clock: 0n,
    tickedBucket: -1,
    traces: new Map(),
    liveTraces: new Set(),
    services: new Map(),
    operations: new Map(),
    statsEvicted: 0,
    openAlerts: new Map(),
    statisticAlerts: new Map(),
    heldAlerts: new Map(),
  };
}

export function operationKey(service: string, spanName: string): string {
  return `${service}\u0000${spanName}`;
}

// decide (with a statistic alert open) and evolve both key a SpanStarted's operation; the
// second asks with the same strings, and is answered without building the key again.
let lastKeyService = "";
let lastKeyName = "";
let lastKey = operationKey("", "");

/** operationKey of a span start: decide and evolve ask in turn for the same one. */
export function startedOperationKey(service: string, spanName: string): string {
  if (service !== lastKeyService || spanName !== lastKeyName) {
    lastKey = operationKey(service, spanName);
    lastKeyService = service;
    lastKeyName = spanName;
  }
  return lastKey;
}

/**
 * The span as its end counts it: under the name the end gave, when it renamed
 * the span (an HTTP server span that learnt its route). Its operation's error
 * rate and latency baseline are the final name's; what was raised while it ran
 * (a slow span) keeps the name it had then, and a slow span raised at its end may
 * take the final name's threshold (slow-rules.ts).
 */
export function endedAs(span: ActiveSpan, name: string | undefined): ActiveSpan {
  if (name === undefined || name === "" || name === span.name) return span;
  const kept = boundedText(name);
  return kept === span.name ? span : { ...span, name: kept, operationKey: operationKey(span.service, kept) };
}

// decide and evolve both read a SpanEnded's span id; the second reading of the
// same (immutable) bytes is answered from here.
let lastSpanIdBytes: Uint8Array | undefined;
let lastSpanIdHex = "";

/** The span id of an event as hex, the domain's key. */
export function spanIdHex(bytes: SagaSpanId): string {
  if (typeof bytes === "string") return bytes;
  if (bytes !== lastSpanIdBytes) {
    lastSpanIdHex = bytesToHex(bytes);
    lastSpanIdBytes = bytes;
  }
  return lastSpanIdHex;
}

// decide and evolve both ask for the bucket of a SpanEnded's time; one bigint
// division (and its garbage) answers both.
let lastBucketAt = -1n;
let lastBucketNs = 0n;
let lastBucket = 0;

export function bucketOf(state: MonitoringState, at: bigint): number {
  const bucketNs = state.config.errorRate.bucketNs;
  if (at !== lastBucketAt || bucketNs !== lastBucketNs) {
    lastBucket = Number(at / bucketNs);
    lastBucketAt = at;
    lastBucketNs = bucketNs;
  }
  return lastBucket;
}

// Asked twice for every ended span; a config never changes, so its count is kept.
const bucketCounts = new WeakMap<MonitoringConfig, number>();

export function bucketCount(config: MonitoringConfig): number {
  let count = bucketCounts.get(config);
  if (count === undefined) {
    count = Number(config.errorRate.windowNs / config.errorRate.bucketNs);
    bucketCounts.set(config, count);
  }
  return count;
}

/**
 * True when the statistics have had no span for longer than the retention at saga time
 * `at`: a tick by then forgets them, once what was open on them is resolved. The rules
 * and the fold ask it when a span touches them again, so what a quiet spell does to them
 * does not depend on a tick falling inside it (a replay's ticks follow the log's times,
 * and a log that goes quiet gives none).
 */
export function isIdle(stats: Recency, at: bigint, config: MonitoringConfig): boolean {
  // Idle implies a new grain (the retention is at least a window, a grain at most a bucket):
  // the common case is one comparison and no bigint arithmetic.
  return at >= stats.grainEnd && stats.lastActivity + config.statsRetentionNs < at;
}

/** True when `durationNs` is outside the operation's band; a baseline with too few samples judges nothing. */
export function isAnomalous(op: OperationStats, durationNs: number, config: MonitoringConfig): boolean {
  const a = config.anomaly;
  return op.baseline.samples >= a.minSamples && durationNs > anomalyThresholdNs(op.baseline, a.k, Number(a.minStddevNs));
}

export function evolveMonitoring(state: MonitoringState, message: MonitoringInput | MonitoringOutput): MonitoringState {
  switch (message.type) {
    case "TraceEventRecorded":
      state.clock = message.recordedAt > state.clock ? message.recordedAt : state.clock;
      traceEvent(state, message);
      return state;
    case "Tick":
      state.clock = message.now > state.clock ? message.now : state.clock;
      state.tickedBucket = bucketOf(state, state.clock);
      forgetIdleStats(state);
      return state;
    case "AlertRaised":
      if (state.heldAlerts.size > 0) decidedAgain(state, message);
      alertRaised(state, message);
      return state;
    case "AlertResolved":
      if (state.heldAlerts.size > 0) decidedAgain(state, message);
      alertResolved(state, message);
      return state;
    case "CloseOrphanedSpan": {
      const span = state.traces.get(message.traceId)?.running.get(message.spanId);
      if (span) span.closeRequested = true;
      return state;
    }
    case "CloseTrace": {
      const trace = state.traces.get(message.traceId);
      if (trace) trace.closeRequested = true;
      return state;
    }
  }
}

function traceEvent(state: MonitoringState, input: TraceEventRecorded): void {
  const at = state.clock;
  const { traceId, event } = input;
  switch (event.case) {
    case "traceStarted": {
      const e = event.value;
      const trace = state.traces.get(traceId);
      if (trace) {
        if (e.startTimeUnixNano < trace.startTime) trace.startTime = e.startTimeUnixNano;
        traceRead(state, trace, input, at);
      } else {
        state.traces.set(traceId, newTrace(traceId, e.startTimeUnixNano, boundedText(e.serviceName), at, input.version));
      }
      return;
    }
    case "spanStarted": {
      const e = event.value;
      const service = boundedText(e.serviceName);
      const name = boundedText(e.name);
      let trace = state.traces.get(traceId);
      if (trace) {
        traceRead(state, trace, input, at);
      } else state.traces.set(traceId, (trace = newTrace(traceId, e.startTimeUnixNano, service, at, input.version)));
      const spanId = spanIdHex(e.spanId);
      if (trace.running.has(spanId)) return;
      if (e.startTimeUnixNano < trace.startTime) trace.startTime = e.startTimeUnixNano;
      if (trace.operation === "") {
        trace.service = service;
        trace.operation = name;
        trace.operationSpanId = spanId;
      }
      if (e.parentSpanId.length === 0) trace.hasLocalRoot = true;
      const key = startedOperationKey(service, name);
      operation(state, key, service, name, at);
      trace.running.set(spanId, {
        traceId,
        spanId,
        service,
        name,
        kind: e.kind,
        startTime: e.startTimeUnixNano,
        openSince: at,
        slowThresholdNs: slowSpanThresholdNs(state.config, e.serviceName, e.name),
        operationKey: key,
        slowAlertId: undefined,
        closeRequested: false,
        criticalAlertIds: undefined,
      });
      if (trace.running.size === 1) state.liveTraces.add(trace);
      return;
    }
    case "spanEnded": {
      const e = event.value;
      const trace = state.traces.get(traceId);
      if (!trace) return;
      traceRead(state, trace, input, at);
      const finished = finish(state, trace, spanIdHex(e.spanId));
      if (!finished) return;
      const span = endedAs(finished, e.name);
      if (e.name && span.spanId === trace.operationSpanId) trace.operation = span.name;
      const durationNs = Number(e.endTimeUnixNano > span.startTime ? e.endTimeUnixNano - span.startTime : 0n);
      const isError = e.status?.code === StatusCode.ERROR;
      const bucket = bucketOf(state, at);
      const service = serviceStats(state, span.service, at);
      recordEnded(service.errors, bucket, isError);
      service.lastBucket = bucket;
      const op = operation(state, span.operationKey, span.service, span.name, at);
      recordEnded(op.errors, bucket, isError);
      op.lastBucket = bucket;
      // The verdict decide gave, before this sample moves the baseline.
      op.normalStreak = isAnomalous(op, durationNs, state.config) ? 0 : op.normalStreak + 1;
      addLatencySample(op.baseline, durationNs, state.config.anomaly.alpha);
      return;
    }
    case "spanOrphaned": {
      const trace = state.traces.get(traceId);
      if (!trace) return;
      traceRead(state, trace, input, at);
      // An orphan has no outcome: it counts neither as a call nor as a latency.
      finish(state, trace, spanIdHex(event.value.spanId));
      return;
    }
    case "spanErrorOccurred":
    case "spanEventRecorded":
    case "spanAttributeUpdated": {
      const trace = state.traces.get(traceId);
      if (trace) {
        traceRead(state, trace, input, at);
      }
      return;
    }
    case "traceCompleted": {
      const trace = state.traces.get(traceId);
      if (!trace) return;
      state.traces.delete(traceId);
      state.liveTraces.delete(trace);
      return;
    }
  }
}

/**
 * Forgets traces whose events are gone from the log (retention deleted them: while a fold
 * from the start of the log was reading them, or while a span of theirs still ran): what
 * no fold of the log as it is now would hold. Their open alerts (a slow span or trace, a
 * critical error) can no longer end with a span or the trace, so each is resolved now,
 * reason "trace_deleted", into `out` for the leader to store, at the saga's time (the raise's
 * own, if later); the value is zero. An alert held whose trace the state no longer tracks
 * (its raise read back from the stream) is resolved too. Returns the traces' running spans.
 */
export function forgetTraces(state: MonitoringState, traceIds: Iterable<string>, out: MonitoringOutput[]): ActiveSpan[] {
  const gone = new Set(traceIds);
  if (gone.size === 0) return [];
  const spans: ActiveSpan[] = [];
  for (const traceId of gone) {
    const trace = state.traces.get(traceId);
    if (!trace) continue;
    state.traces.delete(traceId);
    state.liveTraces.delete(trace);
    for (const span of trace.running.values()) spans.push(span);
  }
  for (const alert of [...state.openAlerts.values()]) {
    const traceId = traceOf(alert);
    if (traceId === undefined || !gone.has(traceId)) continue;
    const at = state.clock > alert.at ? state.clock : alert.at;
    const resolved: AlertResolved = { type: "AlertResolved", alertId: alert.alertId, kind: alert.kind, subject: alert.subject, at, reason: "trace_deleted", value: 0, unit: alert.unit };
    alertResolved(state, resolved);
    out.push(resolved);
  }
  return spans;
}

/** The trace ids of the open alerts about one span or trace. */
export function tracesWithOpenAlerts(state: MonitoringState): Set<string> {
  const traceIds = new Set<string>();
  for (const alert of state.openAlerts.values()) {
    const traceId = traceOf(alert);
    if (traceId !== undefined) traceIds.add(traceId);
  }
  return traceIds;
}

/** The trace an alert about one span or trace is about; none for a service or an operation. */
function traceOf(alert: AlertRaised): string | undefined {
  return alert.subject.type === "span" || alert.subject.type === "trace" ? alert.subject.traceId : undefined;
}

/** An event of the trace was read: a close asked for before it was judged on an older version. */
/** A trace had an event: it is recent again, at this version, and no close asked for before it stands. */
function traceRead(state: MonitoringState, trace: TraceTrack, input: TraceEventRecorded, at: bigint): void {
  touch(state.traces, trace.traceId, trace, at, TRACE_GRAIN_NS);
  trace.version = input.version;
  trace.closeRequested = false;
}

function newTrace(traceId: string, startTime: bigint, service: string, at: bigint, version: number): TraceTrack {
  return {
    lastActivity: at,
    grainEnd: grainEndOf(at, TRACE_GRAIN_NS),
    traceId,
    startTime,
    service,
    operation: "",
    operationSpanId: "",
    hasLocalRoot: false,
    running: new Map(),
    openSince: at,
    version,
    slowAlertId: undefined,
    closeRequested: false,
  };
}

function finish(state: MonitoringState, trace: TraceTrack, spanId: string): ActiveSpan | undefined {
  const span = trace.running.get(spanId);
  if (!span) return undefined;
  trace.running.delete(spanId);
  if (trace.running.size === 0) state.liveTraces.delete(trace);
  return span;
}

function operation(state: MonitoringState, key: string, service: string, name: string, at: bigint): OperationStats {
  const grain = statsGrain(state.config);
  let op = state.operations.get(key);
  if (op) {
    if (!isIdle(op, at, state.config)) {
      touch(state.operations, key, op, at, grain);
      return op;
    }
    // Forgotten, as a tick in the quiet spell would have: decide resolved what was open on it at this input.
    state.operations.delete(key);
  }
  op = {
    lastActivity: at,
    grainEnd: grainEndOf(at, grain),
    service,
    operation: name,
    errors: newErrorRateWindow(bucketCount(state.config)),
    lastBucket: -1,
    errorAlertId: undefined,
    baseline: newLatencyBaseline(),
    anomalyAlertId: undefined,
    normalStreak: 0,
  };
  makeRoom(state, state.operations, key, at);
  state.operations.set(key, op);
  return op;
}

function serviceStats(state: MonitoringState, service: string, at: bigint): ServiceStats {
  const grain = statsGrain(state.config);
  let stats = state.services.get(service);
  if (stats) {
    if (!isIdle(stats, at, state.config)) {
      touch(state.services, service, stats, at, grain);
      return stats;
    }
    state.services.delete(service);
  }
  stats = { lastActivity: at, grainEnd: grainEndOf(at, grain), service, errors: newErrorRateWindow(bucketCount(state.config)), lastBucket: -1, errorAlertId: undefined };
  makeRoom(state, state.services, service, at);
  state.services.set(service, stats);
  return stats;
}

/**
 * Before a new entry under `key` (none there, or an idle one it replaces): past
 * config.maxOperations (names come from clients: an id in a span name makes an operation per
 * call), the least recently active statistics go, as if they had been idle for the retention
 * period: a span of theirs later starts them afresh. decide resolved first what a tick would
 * have resolved on them (stats-cap-rules.ts), and reads a statistic let go as one never seen,
 * as evolve then makes it. Those idle past the retention (a tick would forget them) are not
 * counted in statsEvicted.
 */
function makeRoom(state: MonitoringState, map: Map<string, ErrorRateStats>, key: string, at: bigint): void {
  if (map.size < state.config.maxOperations) return;
  for (const [gone, stats] of statsToLetGo(state, map, key, at)) {
    map.delete(gone);
    if (!isIdle(stats, at, state.config)) state.statsEvicted++;
  }
}

/**
 * What a new entry under `key` in `map` (the services or the operations) at saga time `at`
 * makes go, least recently active first: none while the map holds fewer than the cap. Those
 * idle past the retention all go, as a tick by then would have forgotten them (a leader's
 * ticks come on its own clock, a replay's follow the log): they count neither in the map's
 * size nor in what else goes, so both let the same busy statistics go.
 */
export function statsToLetGo<S extends ErrorRateStats>(state: MonitoringState, map: Map<string, S>, key: string, at: bigint): [string, S][] {
  const c = state.config;
  return leastRecent(map, c.maxOperations - 1, (stats) => canLetGo(state, stats, at), key, at, c.statsRetentionNs, statsGrain(c));
}

/**
 * Statistics may go when a tick at `at` would leave no alert open on them: none is open, or
 * each would resolve (an error rate whose window no longer holds it up, an anomaly of an
 * operation idle past the retention). Not "none open in the state": a tick that found the
 * resolution before `at` (live) or has not yet (a replay, whose ticks follow the log) must not
 * make another statistic go, or the two would judge later spans by different counts. When none
 * may go, the map grows past the cap until their alerts resolve; the next new entries bring it back.
 */
function canLetGo(state: MonitoringState, stats: ErrorRateStats & { readonly anomalyAlertId?: string | undefined }, at: bigint): boolean {
  // Asked only of statistics not idle (leastRecent lets those go first): an anomaly episode ends only with spans of its operation.
  if (stats.anomalyAlertId !== undefined) return false;
  if (stats.errorAlertId === undefined) return true;
  return releasedBy(stats.errors, stats.lastBucket, checkedBucket(stats, state) + 1, bucketOf(state, at), state.config.errorRate);
}

/** The bucket up to which an open error-rate alert on `stats` was checked: its spans were counted up to lastBucket, ticks checked up to tickedBucket. */
export function checkedBucket(stats: ErrorRateStats, state: MonitoringState): number {
  return stats.lastBucket > state.tickedBucket ? stats.lastBucket : state.tickedBucket;
}

/** Statistics without traffic for the retention period go, unless an alert on them is still open. */
function forgetIdleStats(state: MonitoringState): void {
  const retention = state.config.statsRetentionNs;
  const grain = statsGrain(state.config);
  for (const [key, op] of idleEntries(state.operations, state.clock, retention, grain)) {
    if (op.errorAlertId === undefined && op.anomalyAlertId === undefined) state.operations.delete(key);
  }
  for (const [key, service] of idleEntries(state.services, state.clock, retention, grain)) {
    if (service.errorAlertId === undefined) state.services.delete(key);
  }
}

function alertRaised(state: MonitoringState, alert: AlertRaised): void {
  // Folding a raise twice must change nothing: a replica taking over replays the log (its
  // decisions fold the raises they repeat) and then folds the stored alerts over that.
  state.openAlerts.set(alert.alertId, alert);
  switch (alert.kind) {
    case "slow_span": {
      const span = state.traces.get(alert.subject.traceId)?.running.get(alert.subject.spanId);
      if (span) span.slowAlertId = alert.alertId;
      return;
    }
    case "critical_error": {
      const span = state.traces.get(alert.subject.traceId)?.running.get(alert.subject.spanId);
      if (span && !span.criticalAlertIds?.includes(alert.alertId)) (span.criticalAlertIds ??= []).push(alert.alertId);
      return;
    }
    case "slow_trace": {
      const trace = state.traces.get(alert.subject.traceId);
      if (trace) trace.slowAlertId = alert.alertId;
      return;
    }
    case "error_rate": {
      state.statisticAlerts.set(alert.alertId, alert);
      const stats = errorRateStatsOf(state, alert.subject);
      if (stats) stats.errorAlertId = alert.alertId;
      return;
    }
    case "latency_anomaly": {
      state.statisticAlerts.set(alert.alertId, alert);
      const op = state.operations.get(operationKey(alert.subject.service, alert.subject.operation));
      if (op) op.anomalyAlertId = alert.alertId;
      return;
    }
  }
}

/**
 * Drops an open alert as if it had never been raised (stored-alerts.ts, forgetAlertsNotStored):
 * what a resolution clears, and what it leaves to the span's or trace's end, so the rules may
 * raise it again.
 */
export function unraiseAlert(state: MonitoringState, alert: AlertRaised): void {
  alertResolved(state, alert);
  const subject = alert.subject;
  if (subject.type === "trace") {
    const trace = state.traces.get(subject.traceId);
    if (trace?.slowAlertId === alert.alertId) trace.slowAlertId = undefined;
  } else if (subject.type === "span") {
    const span = state.traces.get(subject.traceId)?.running.get(subject.spanId);
    if (span?.slowAlertId === alert.alertId) span.slowAlertId = undefined;
    if (span?.criticalAlertIds?.includes(alert.alertId)) span.criticalAlertIds = span.criticalAlertIds.filter((id) => id !== alert.alertId);
  }
}

function alertResolved(state: MonitoringState, resolved: Pick<AlertResolved, "alertId" | "kind" | "subject">): void {
  state.openAlerts.delete(resolved.alertId);
  state.statisticAlerts.delete(resolved.alertId);
  const subject = resolved.subject;
  switch (resolved.kind) {
    // The span or trace is gone by now (its end was folded first), or will be.
    case "slow_span":
    case "slow_trace":
    case "critical_error":
      return;
    case "error_rate": {
      if (subject.type !== "service" && subject.type !== "operation") return;
      const stats = errorRateStatsOf(state, subject);
      if (stats?.errorAlertId === resolved.alertId) stats.errorAlertId = undefined;
      return;
    }
    case "latency_anomaly": {
      if (subject.type !== "operation") return;
      const op = state.operations.get(operationKey(subject.service, subject.operation));
      if (op?.anomalyAlertId === resolved.alertId) op.anomalyAlertId = undefined;
      return;
    }
  }
}

/** The saga decided an event it holds from the stream: it is at its place in the log now, and the stored one is its copy. */
function decidedAgain(state: MonitoringState, event: AlertRaised | AlertResolved): void {
  if (state.heldAlerts.get(event.alertId)?.type === event.type) state.heldAlerts.delete(event.alertId);
}

export function errorRateStatsOf(state: MonitoringState, subject: ServiceSubject | OperationSubject): ErrorRateStats | undefined {
  return subject.type === "service" ? state.services.get(subject.service) : state.operations.get(operationKey(subject.service, subject.operation));
}
