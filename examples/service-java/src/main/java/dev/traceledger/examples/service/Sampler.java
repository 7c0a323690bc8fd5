package dev.traceledger.examples.service;

import java.math.BigDecimal;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Head sampling of new traces, as the gateway's SDK does it
 * (packages/sdk/src/sampling/trace-id-ratio-sampler.ts): a new trace is recorded when the last 8
 * bytes of its id, read as an unsigned 64-bit big-endian integer, are below rate × 2^64. The
 * decision depends on the trace id alone, so every service with the same rate decides the same for
 * the same trace. A span with a parent follows the parent's sampled flag instead.
 */
public final class Sampler {
  /**
   * A plain decimal number: the same text then gives the same double in every language of the chain
   * (each rounds decimals correctly), so the same decisions. Double.parseDouble alone would also
   * take "0x1p-2", "0.5d" or "NaN".
   */
  private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  private static final BigDecimal TWO_POW_64 = new BigDecimal(java.math.BigInteger.ONE.shiftLeft(64));

  /** Rate 1: every trace, even the one whose last 8 bytes are 2^64 - 1. */
  private final boolean all;
  /** Otherwise floor(rate × 2^64), as an unsigned 64-bit value; 0 samples none. */
  private final long threshold;

  /** Samples new traces at rate, from 0 (none) to 1 (all); NaN samples none, as the SDK's. */
  public Sampler(double rate) {
    all = rate >= 1;
    // new BigDecimal(double) is the double's exact value, and so is its product with 2^64; the
    // SDK's Math.floor(rate * 2^32 * 2^32) is that truncated. Below 2^64 since rate < 1: its low 64
    // bits are then the whole of it, compared unsigned. (A (long) cast would stop at 2^63 - 1.)
    threshold = rate > 0 && rate < 1 ? new BigDecimal(rate).multiply(TWO_POW_64).toBigInteger().longValue() : 0;
  }

  /** Whether a new trace with this id (32 lowercase hex digits) is recorded. */
  public boolean sample(String traceId) {
    return all || Long.compareUnsigned(HexFormat.fromHexDigitsToLong(traceId, 16, 32), threshold) < 0;
  }

  /**
   * Reads TRACING_SAMPLE_RATE: null or blank means 1 (every new trace); otherwise a decimal number
   * from 0 to 1.
   *
   * @throws IllegalArgumentException naming the variable and what it got
   */
  public static double parseRate(String raw) {
    String value = raw == null ? "" : raw.strip();
    if (value.isEmpty()) return 1;
    if (DECIMAL.matcher(value).matches()) {
      double rate = Double.parseDouble(value);
      if (rate >= 0 && rate <= 1) return rate;
    }
    throw new IllegalArgumentException("TRACING_SAMPLE_RATE=\"" + raw + "\" must be a number between 0 and 1");
  }
}
