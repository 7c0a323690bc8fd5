// Head sampling of new traces by their id: a trace is sampled when the last 8
// bytes of its id, read as an unsigned 64-bit big-endian integer, are below
// rate * 2^64. The decision depends on the trace id alone, so every service with
// the same rate, in any language, decides the same for the same trace. (Spans
// with a parent follow the parent's sampled flag instead; see Tracer.)

export interface Sampler {
  /** Whether a new trace with this id is recorded. */
  shouldSample(traceId: string): boolean;
}

const TWO_POW_32 = 0x1_0000_0000;

export function traceIdRatioSampler(rate: number): Sampler {
  if (!(rate > 0)) return { shouldSample: () => false };
  if (rate >= 1) return { shouldSample: () => true };
  // The threshold as two exact 32-bit halves, so the comparison needs no bigint.
  const threshold = BigInt(Math.floor(rate * TWO_POW_32 * TWO_POW_32));
  const high = Number(threshold >> 32n);
  const low = Number(threshold & 0xffff_ffffn);
  return {
    shouldSample(traceId: string): boolean {
      const idHigh = parseInt(traceId.slice(16, 24), 16);
      const idLow = parseInt(traceId.slice(24, 32), 16);
      return idHigh < high || (idHigh === high && idLow < low);
    },
  };
}
