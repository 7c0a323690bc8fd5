// How long a background worker (projector, saga runner, leased subscriber)
// rests after consecutive failures of the database or its handler: 0.5 s,
// 1 s, 2 s ... at most 10 s. No jitter: each worker is one per process and
// retries its own read, not a shared remote.

export function failurePauseMs(failures: number): number {
  return Math.min(10_000, 500 * 2 ** Math.min(failures, 5));
}
