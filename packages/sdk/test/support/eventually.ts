// Polls until a check passes (or throws its last error after `ms`). For waiting
// on asynchronous effects, never for asserting how long something took.

export async function eventually<T>(check: () => Promise<T> | T, ms = 10_000, everyMs = 25): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
