package dev.traceledger.examples.service;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Head sampling of new traces, as the gateway's SDK does it
 * (packages/sdk/src/sampling/trace-id-ratio-sampler.ts) and as OpenTelemetry's consistent
 * probability sampling does: a new trace is recorded when the last 7 bytes of its id (56 bits,
 * unsigned, big-endian) are at least the rejection threshold 2^56 - round(rate × 2^56). The
 * decision depends on the trace id alone, so every service with the same rate decides the same for
 * the same trace, and so does traceledger's export sampling. A span with a parent follows the
 * parent's sampled flag instead.
 */
public final class Sampler {
  /**
   * Plain decimal notation (0, 0.25, .5, 1): digits with at most one point and a digit after it; no
   * sign or exponent. It is the grammar of the gateway's SDK and of the server, which read the same
   * variable, so one setting starts every service of the chain or none; and the same text gives the
   * same double in every language (each rounds decimals correctly), so the same decisions.
   * Double.parseDouble alone would also take "5e-1", "+0.5", "0x1p-2", "0.5d" or "NaN".
   */
  private static final Pattern DECIMAL = Pattern.compile("[0-9]*\\.?[0-9]+");
  private static final long RANDOMNESS = 1L << 56;

  /** Rate 1: every trace. */
  private final boolean all;
  /** Otherwise how many of the 2^56 randomness values are kept; 0 samples none. */
  private final long kept;

  /** Samples new traces at rate, from 0 (none) to 1 (all); NaN samples none, as the SDK's. */
  public Sampler(double rate) {
    all = rate >= 1;
    // rate × 2^56 exactly (scalb scales by a power of two), rounded half up as the SDK's Math.round.
    kept = rate > 0 && rate < 1 ? Math.round(Math.scalb(rate, 56)) : 0;
  }

  /** Whether a new trace with this id (32 lowercase hex digits) is recorded. */
  public boolean sample(String traceId) {
    return all || (kept > 0 && HexFormat.fromHexDigitsToLong(traceId, 18, 32) >= RANDOMNESS - kept);
  }

  /**
   * Reads TRACING_SAMPLE_RATE: null or blank means 1 (every new trace); otherwise a number from 0
   * to 1 in decimal notation.
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
    throw new IllegalArgumentException("TRACING_SAMPLE_RATE=\"" + raw + "\" must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)");
  }
}
