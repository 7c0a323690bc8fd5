// GetTrace's read path as the server runs it: views from PostgreSQL, an
// in-process cache of recent ones, and snapshots written in the background.

import type { Sql } from "../database/open-database.js";
import { PostgresViewStore } from "./postgres/postgres-view-store.js";
import { SnapshotWriter } from "./snapshot-writer.js";
import { TraceReader, type TraceMoment } from "./trace-reader.js";
import { TraceViewCache } from "./trace-view-cache.js";

interface TraceReadsOptions {
  readonly clock: () => bigint;
  /** Bytes for the cache of recently read views; 0 for none. */
  readonly cacheBytes: number;
  /** A snapshot every this many versions of a trace that is read; 0 writes none. */
  readonly snapshotEvery: number;
  readonly onError: (error: unknown) => void;
}

interface TraceReads {
  read(traceId: string, moment: TraceMoment): Promise<Uint8Array | undefined>;
  /** Waits for the snapshot being written; drops the ones waiting. */
  close(): Promise<void>;
}

export function createTraceReader(sql: Sql, options: TraceReadsOptions): TraceReads {
  const store = new PostgresViewStore(sql);
  const snapshots = options.snapshotEvery > 0 ? new SnapshotWriter(store, { onError: options.onError }) : undefined;
  const reader = new TraceReader({
    store,
    clock: options.clock,
    cache: options.cacheBytes > 0 ? new TraceViewCache(options.cacheBytes) : undefined,
    snapshots,
    snapshotEvery: options.snapshotEvery > 0 ? options.snapshotEvery : undefined,
  });
  return {
    read: (traceId, moment) => reader.read(traceId, moment),
    close: async () => {
      await snapshots?.close();
    },
  };
}
