// The server's group commits between two scrapes of its /metrics: how many, how
// many events each carried, and how long they took. A benchmark that is slow
// while these are few and short is waiting somewhere else (the calls' round
// trips), not on PostgreSQL.

import { scrapeMetricValues } from "./server-metric-values.js";

export interface GroupCommitTotals {
  /** traceledger_event_store_append_duration_seconds_count */
  readonly commits: number;
  /** traceledger_event_store_append_duration_seconds_sum */
  readonly seconds: number;
  /** traceledger_events_appended_total */
  readonly events: number;
  /** performance.now() at the scrape. */
  readonly at: number;
}

export interface GroupCommitFigures {
  readonly commits: number;
  readonly eventsPerCommit: number;
  readonly meanMs: number;
  /** Summed commit wall time over the wall time between the scrapes (2 may run at once, so up to 2). */
  readonly meanInFlight: number;
}

/** Scrapes `http://${httpAddress}/metrics` for the group-commit counters. */
export async function scrapeGroupCommits(httpAddress: string): Promise<GroupCommitTotals> {
  const value = await scrapeMetricValues(httpAddress);
  return {
    commits: value("traceledger_event_store_append_duration_seconds_count"),
    seconds: value("traceledger_event_store_append_duration_seconds_sum"),
    events: value("traceledger_events_appended_total"),
    at: performance.now(),
  };
}

export function groupCommitsBetween(before: GroupCommitTotals, after: GroupCommitTotals): GroupCommitFigures {
  const commits = after.commits - before.commits;
  const seconds = after.seconds - before.seconds;
  return {
    commits,
    eventsPerCommit: commits > 0 ? (after.events - before.events) / commits : 0,
    meanMs: commits > 0 ? (seconds / commits) * 1000 : 0,
    meanInFlight: seconds / ((after.at - before.at) / 1000),
  };
}
