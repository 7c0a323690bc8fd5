// A saga runner on a real PostgreSQL with a clock the spec moves: the event
// store, the command bus and the runner all read it, so "six seconds later"
// takes no time. Each runner gets its own lease holder, as a replica would.

import { randomUUID } from "node:crypto";
import { SpanKind, StatusCode } from "@traceledger/proto";
import { TraceCommandBus } from "../../commands/trace-command-bus.js";
import type { Sql } from "../../database/open-database.js";
import { monitoringConfig, type MonitoringConfigInput, type MonitoringEvent } from "../../domain/monitoring/index.js";
import { DEFAULT_SPAN_LIMITS } from "../../domain/trace/span-limits.js";
import type { EndSpan, RecordError, StartSpan } from "../../domain/trace/trace-commands.js";
import type { EventStore } from "../../event-store/event-store.js";
import { PostgresEventStore } from "../../event-store/postgres/postgres-event-store.js";
import { PostgresSubscriptionLease } from "../../subscription/postgres/postgres-subscription-lease.js";
import { decodeAlertEvent } from "../alert-codec.js";
import { MONITORING_STREAM_ID } from "../monitoring-stream.js";
import { SagaRunner, type SagaRunnerOptions } from "../saga-runner.js";

export const SECOND = 1_000_000_000n;

class ManualClock {
  constructor(public now: bigint = 1_800_000_000n * SECOND) {}
  readonly read = (): bigint => this.now;
  advance(ns: bigint): void {
    this.now += ns;
  }
}

export interface Harness {
  readonly clock: ManualClock;
  readonly store: PostgresEventStore;
  readonly bus: TraceCommandBus;
  /** A replica: its own holder (random unless given), a 60 s lease. */
  runner(options?: Partial<SagaRunnerOptions>): SagaRunner;
  /** The monitoring stream, decoded, in order. */
  alerts(): Promise<MonitoringEvent[]>;
  close(): Promise<void>;
}

export function sagaHarness(sql: Sql, config: MonitoringConfigInput = {}, store?: EventStore): Harness {
  const clock = new ManualClock();
  const pgStore = new PostgresEventStore(sql, { clock: clock.read });
  const bus = new TraceCommandBus({ store: store ?? pgStore, clock: clock.read, newId: randomUUID, limits: DEFAULT_SPAN_LIMITS });
  const saga = monitoringConfig(config);
  return {
    clock,
    store: pgStore,
    bus,
    runner: (options = {}) =>
      new SagaRunner({
        store: store ?? pgStore,
        lease: new PostgresSubscriptionLease(sql, clock.read),
        holder: randomUUID(),
        commands: bus,
        config: saga,
        clock: clock.read,
        tickIntervalMs: 1000,
        leaseMs: 60_000,
        ...options,
      }),
    alerts: async () => (await pgStore.readStream(MONITORING_STREAM_ID)).map((e) => decodeAlertEvent(e.type, e.payload)),
    close: () => bus.close(),
  };
}

export function startSpan(traceId: string, spanId: string, at: bigint, fields: Partial<StartSpan> = {}): StartSpan {
  return {
    type: "StartSpan",
    traceId,
    spanId,
    parentSpanId: "",
    parentIsRemote: false,
    name: "GET /orders",
    kind: SpanKind.SERVER,
    serviceName: "orders",
    startTime: at,
    attributes: [],
    links: [],
    resourceAttributes: [],
    tracestate: "",
    flags: 1,
    scopeName: "",
    ...fields,
  };
}

export function endSpan(traceId: string, spanId: string, at: bigint, statusCode: StatusCode = StatusCode.OK): EndSpan {
  return { type: "EndSpan", traceId, spanId, endTime: at, statusCode, statusMessage: "", endReason: 0, attributes: [], name: "" };
}

export function recordError(traceId: string, spanId: string, at: bigint, errorType: string): RecordError {
  return { type: "RecordError", traceId, spanId, errorId: `e-${spanId}`, time: at, errorType, message: "boom", stacktrace: "", escaped: false, attributes: [] };
}

let ids = 0;
/** Distinct, valid W3C ids (a fixed first digit: padding with a hex digit made 0xa2 and 0x2 the same id). */
export function traceIdOf(n = ++ids): string {
  return `a${(n + 1).toString(16).padStart(31, "0")}`;
}
export function spanIdOf(n = ++ids): string {
  return `b${(n + 1).toString(16).padStart(15, "0")}`;
}
