// Polls until a check passes (or throws its last error after `ms`): vitest's
// waitFor with the patience these specs need. For waiting on asynchronous
// effects, never for asserting how long something took.

import { vi } from "vitest";

export function eventually<T>(check: () => Promise<T> | T, ms = 10_000, everyMs = 25): Promise<T> {
  return vi.waitFor(check, { timeout: ms, interval: everyMs });
}
