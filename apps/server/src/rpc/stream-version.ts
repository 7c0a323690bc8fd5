// The contract's versions are uint64; the store keeps a stream's versions as
// int4 (MAX_VERSION). A version past the largest a stream can reach means what
// that largest would (nothing comes after it), so requests never fail on the cast.

import { MAX_VERSION } from "../event-store/rules.js";

/** The largest version a stream can reach, as the contract's uint64. */
export const MAX_STREAM_VERSION = BigInt(MAX_VERSION);

/** A uint64 version of a request as a stream version. */
export function streamVersionOf(value: bigint): number {
  return value > MAX_STREAM_VERSION ? MAX_VERSION : Number(value);
}
