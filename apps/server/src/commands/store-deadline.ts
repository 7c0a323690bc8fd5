// A deadline on the store work of a group commit: reading the traces it
// changes, appending their events, checking a refusal's trace. Each takes
// milliseconds. One left unanswered for long is almost always on a database
// connection the network lost without a reset (a failover, a NAT or firewall
// forgetting it): such a connection looks open, and what was sent on it waits
// until TCP gives up, about 15 minutes on Linux. Meanwhile the group commit
// holds one of the bus's two commit slots and its traces, so every caller in
// it waits, so does every later command for those traces, and with both slots
// caught every write waited. Neither statement_timeout (the statement never
// reaches PostgreSQL) nor TCP keepalive (it waits while data is unacknowledged)
// ends that. At the deadline the group commit's callers are answered UNAVAILABLE
// and the owner of the store is told (it drops the database's connections).
//
// Only this work has the deadline: reads for callers and projector slices may
// legitimately take long, and they hold no commit slot.

/**
 * The store did not answer a group commit's operation within the deadline. An
 * append may or may not have been stored: the caller retries, and the retry is
 * recognised by its ids and answered as the first would have been.
 */
export class StoreDeadlineExceeded extends Error {
  override readonly name = "StoreDeadlineExceeded";
  constructor(readonly deadlineMs: number) {
    super(`the event store did not answer within ${deadlineMs} ms; the command may have been stored: retry it`);
  }
}

/**
 * `operation`'s outcome, or StoreDeadlineExceeded once `deadlineMs` passed, when
 * `onExceeded` is called (once, after the rejection is on its way).
 */
export function withinStoreDeadline<T>(operation: Promise<T>, deadlineMs: number, onExceeded: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new StoreDeadlineExceeded(deadlineMs));
      onExceeded();
    }, deadlineMs);
    // Alone, it must not keep a stopping process alive.
    timer.unref();
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
