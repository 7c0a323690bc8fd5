// What the ListTraces projection answers: one page of an already-checked query.
// The RPC layer (rpc/list-traces.ts) validates the request, decodes and writes
// the page token; the projection sees neither.

import type { ListTracesRequest, TraceSummary } from "@traceledger/proto";

/** A trace's place in the listing (newest first): its listing key, then its id. */
export interface TraceListKey {
  /** The start time the trace was first listed with (projection-schema.ts). */
  readonly listedAt: bigint;
  /** 32 lowercase hex digits. */
  readonly traceId: string;
}

export interface TraceListQuery {
  /** The request's filters; its page fields are not read. */
  readonly filters: Omit<ListTracesRequest, "pageSize" | "pageToken">;
  /** The most traces on the page, at least 1. */
  readonly pageSize: number;
  /** Where the previous page stopped: only traces after it in the listing's order. */
  readonly after?: TraceListKey;
}

export interface TraceListPage {
  readonly traces: TraceSummary[];
  /** The page's last trace when more follow it; undefined on the last page. */
  readonly next: TraceListKey | undefined;
}

export interface TraceListing {
  listTraces(query: TraceListQuery): Promise<TraceListPage>;
}
