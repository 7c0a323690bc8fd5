// Unix time in nanoseconds from the monotonic clock, anchored once to the wall
// clock: times within this process never go backwards, so an end is never
// before its start.

import { performance } from "node:perf_hooks";

const anchorUnixNano = BigInt(Math.round(performance.timeOrigin * 1000)) * 1000n;
const anchorHrtime = process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6));
/** Unix nanoseconds minus the monotonic clock's reading, fixed at start-up. */
const offset = anchorUnixNano - anchorHrtime;

export function nowUnixNano(): bigint {
  return process.hrtime.bigint() + offset;
}

/** A time given by a caller: a Date, milliseconds since the epoch, or nanoseconds as a bigint. */
export type TimeInput = Date | number | bigint;

/** The time in Unix nanoseconds; a time that is not valid (NaN, negative) reads as now. */
export function toUnixNano(time: TimeInput | undefined): bigint {
  if (time === undefined) return nowUnixNano();
  if (typeof time === "bigint") return time > 0n ? time : nowUnixNano();
  const ms = time instanceof Date ? time.getTime() : time;
  if (!Number.isFinite(ms) || ms <= 0) return nowUnixNano();
  return BigInt(Math.round(ms * 1000)) * 1000n;
}
