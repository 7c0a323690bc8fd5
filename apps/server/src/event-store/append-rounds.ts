// The order a group commit writes in, the same for every store.
//
// A batch may name a stream more than once: it goes in rounds, each naming a
// stream at most once, the second request for a stream in the round after the
// first, as if appended one after the other. Within a round, requests go in stream
// id order: on PostgreSQL, racing batches then wait for each other's rows in one
// order instead of deadlocking (each deadlock costs a second of deadlock_timeout
// before PostgreSQL breaks it). Positions follow this order, not the batch's.

import type { AppendRequest } from "./event-store.js";

/** A request of a batch, and its index there (where its answer goes). */
export interface PendingAppend {
  readonly slot: number;
  readonly request: AppendRequest;
}

/** The batch's requests in rounds; within a round, sorted by stream id. */
export function appendRounds(requests: readonly AppendRequest[]): PendingAppend[][] {
  const rounds: PendingAppend[][] = [];
  const roundsOf = new Map<string, number>();
  requests.forEach((request, slot) => {
    const round = roundsOf.get(request.streamId) ?? 0;
    roundsOf.set(request.streamId, round + 1);
    (rounds[round] ??= []).push({ slot, request });
  });
  // Stream ids are lowercase hex: their string order is the trace ids' byte order.
  for (const round of rounds) round.sort((a, b) => (a.request.streamId < b.request.streamId ? -1 : 1));
  return rounds;
}
