// Head sampling of new traces by their id, as OpenTelemetry's consistent
// probability sampling decides (W3C Trace Context Level 2 puts the randomness
// there): a trace is sampled when the last 7 bytes of its id (56 bits,
// unsigned, big-endian) are at least the rejection threshold
// 2^56 - round(rate * 2^56). The decision depends on the trace id alone, so
// every service with the same rate, in any language, decides the same for the
// same trace, and so does the server's export sampling (OTLP_EXPORT_SAMPLE_RATE).
// A higher rate keeps every trace a lower one keeps. (Spans with a parent
// follow the parent's sampled flag instead; see Tracer.)

export interface Sampler {
  /** Whether a new trace with this id is recorded. */
  shouldSample(traceId: string): boolean;
}

const RANDOMNESS_BITS = 56;
/** The low 32 bits of the 56, compared apart: 56-bit integers are past a double's exact range. */
const LOW_SPACE = 0x1_0000_0000;

export function traceIdRatioSampler(rate: number): Sampler {
  if (!(rate > 0)) return { shouldSample: () => false };
  if (rate >= 1) return { shouldSample: () => true };
  // rate * 2^56 is exact (a power-of-two scaling); Math.round rounds half up, and an integer
  // at or past 2^53 is already whole, so the BigInt below is exact.
  const threshold = (1n << BigInt(RANDOMNESS_BITS)) - BigInt(Math.round(rate * 2 ** RANDOMNESS_BITS));
  const high = Number(threshold / BigInt(LOW_SPACE));
  const low = Number(threshold % BigInt(LOW_SPACE));
  return {
    shouldSample(traceId: string): boolean {
      // Hex digits 18-31: the last 7 bytes, as 24 high bits and 32 low bits.
      const idHigh = parseInt(traceId.slice(18, 24), 16);
      const idLow = parseInt(traceId.slice(24, 32), 16);
      return idHigh > high || (idHigh === high && idLow >= low);
    },
  };
}
