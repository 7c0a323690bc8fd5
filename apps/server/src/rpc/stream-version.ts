// The contract's versions are uint64; the store keeps a stream's versions as
// int4. A version past the largest a stream can reach means what that largest
// would (nothing comes after it), so requests never fail on the cast.

/** The largest version a stream can reach. */
export const MAX_STREAM_VERSION = 2_147_483_647n;

/** A uint64 version of a request as a stream version. */
export function streamVersionOf(value: bigint): number {
  return Number(value > MAX_STREAM_VERSION ? MAX_STREAM_VERSION : value);
}
