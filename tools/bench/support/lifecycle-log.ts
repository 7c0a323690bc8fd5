// A stored log in the ingest workload's lifecycle layout, written straight through
// the event store: each group commit starts 50 traces and ends the previous 50
// (support/pg-ceiling.ts's events of one trace, 12 per trace). For benchmarks of
// what reads or removes a log (projector rebuilds, retention).

import { randomBytes, randomUUID } from "node:crypto";
import { bytesToHex } from "../../../apps/server/src/domain/trace/w3c-ids.js";
import type { AppendRequest } from "../../../apps/server/src/event-store/event-store.js";
import type { PostgresEventStore } from "../../../apps/server/src/event-store/postgres/postgres-event-store.js";
import { TRACES_PER_BATCH } from "./ingest-workload.js";
import { serverEventsOfOneTrace } from "./pg-ceiling.js";

/** Stores `traces` traces with span times from `t0`; returns how many events went in. */
export async function seedLifecycleLog(store: PostgresEventStore, traces: number, t0: bigint): Promise<number> {
  const { starts, ends } = serverEventsOfOneTrace(t0);
  let previous: string[] = [];
  let stored = 0;
  for (let done = 0; done <= traces; done += TRACES_PER_BATCH) {
    const fresh = done < traces ? Array.from({ length: Math.min(TRACES_PER_BATCH, traces - done) }, () => bytesToHex(randomBytes(16))) : [];
    const requests: AppendRequest[] = [
      ...fresh.map((streamId) => ({ streamId, expectedVersion: 0, events: starts.map((e) => ({ eventId: randomUUID(), ...e })) })),
      ...previous.map((streamId) => ({ streamId, expectedVersion: starts.length, events: ends.map((e) => ({ eventId: randomUUID(), ...e })) })),
    ];
    for (const result of await store.appendMany(requests)) {
      if (result instanceof Error) throw result;
      stored += result.positions.length;
    }
    previous = fresh;
  }
  return stored;
}
