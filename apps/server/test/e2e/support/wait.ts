// Bounded waits: every await on something the server does has a limit and a
// message that says what never happened, so a broken server fails the test
// instead of hanging the run.

export class WaitTimeout extends Error {
  override readonly name = "WaitTimeout";
}

/** Resolves as `promise` does, or rejects after `ms` naming `what` was awaited. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeout(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` until it returns a value other than undefined, at most `ms`.
 * For conditions no event announces (a row in another process's database).
 */
export async function until<T>(ms: number, what: string, check: () => Promise<T | undefined> | T | undefined, everyMs = 5): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new WaitTimeout(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Resolves once the wall clock (milliseconds, the store's recorded-time precision) has passed `ms`. */
export async function clockPast(ms: bigint | number): Promise<void> {
  await until(1000, `the clock to pass ${ms} ms`, () => (BigInt(Date.now()) > BigInt(ms) ? true : undefined), 1);
}
