package dev.traceledger.examples.service;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A W3C traceparent (version-traceid-parentid-flags). Version 00 is parsed strictly; a later
 * version by its first four fields, as the specification asks, so a newer sender still joins the
 * trace; version ff is never valid. The same rules as the gateway's SDK.
 */
public record Traceparent(String traceId, String spanId, int flags) {
  private static final Pattern VERSION_00 =
      Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
  private static final Pattern LATER_VERSION =
      Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?");
  private static final String ZERO_TRACE_ID = "0".repeat(32);
  private static final String ZERO_SPAN_ID = "0".repeat(16);
  /** Trace-flags bit 0: the caller may have recorded the span. */
  static final int SAMPLED = 0x01;
  /**
   * Trace-flags bit 1 (W3C Trace Context Level 2): at least the right-most 7 bytes of the trace id
   * were picked at random. Set on a trace this service starts, and passed on unchanged.
   */
  static final int RANDOM_TRACE_ID = 0x02;
  private static final SecureRandom RANDOM = new SecureRandom();

  public Traceparent {
    if (!traceId.matches("[0-9a-f]{32}") || traceId.equals(ZERO_TRACE_ID)) {
      throw new IllegalArgumentException("not a W3C trace id: " + traceId);
    }
    if (!spanId.matches("[0-9a-f]{16}") || spanId.equals(ZERO_SPAN_ID)) {
      throw new IllegalArgumentException("not a W3C span id: " + spanId);
    }
    if (flags < 0 || flags > 0xff) throw new IllegalArgumentException("flags are one byte: " + flags);
  }

  /** The caller's span from the header's lines, or empty when it is absent, repeated or invalid. */
  public static Optional<Traceparent> parentOf(List<String> lines) {
    return lines != null && lines.size() == 1 ? parse(lines.get(0)) : Optional.empty();
  }

  /** The header's value, or empty when it is absent or not a valid traceparent. */
  public static Optional<Traceparent> parse(String header) {
    if (header == null) return Optional.empty();
    String value = trimOws(header);
    Matcher m = VERSION_00.matcher(value);
    int first = 1;
    if (!m.matches()) {
      m = LATER_VERSION.matcher(value);
      if (!m.matches() || m.group(1).equals("00") || m.group(1).equals("ff")) return Optional.empty();
      first = 2;
    }
    String traceId = m.group(first);
    String spanId = m.group(first + 1);
    if (traceId.equals(ZERO_TRACE_ID) || spanId.equals(ZERO_SPAN_ID)) return Optional.empty();
    return Optional.of(new Traceparent(traceId, spanId, Integer.parseInt(m.group(first + 2), 16)));
  }

  /**
   * A new root context: random trace and span ids, sampled, and flagged as having a random trace
   * id (flags 03).
   */
  public static Traceparent newRoot() {
    return new Traceparent(randomHex(16, ZERO_TRACE_ID), randomHex(8, ZERO_SPAN_ID), SAMPLED | RANDOM_TRACE_ID);
  }

  public boolean sampled() {
    return (flags & SAMPLED) != 0;
  }

  /** Whether the trace-flags say the trace id was picked at random (Level 2's bit 1). */
  public boolean randomTraceId() {
    return (flags & RANDOM_TRACE_ID) != 0;
  }

  /**
   * A child of this span: same trace, a new random span id, and only the flags understood here,
   * sampled and random trace-id, both kept as they came (the random flag is the trace's, so it is
   * passed on unchanged); W3C has the other, reserved, flags sent as zero.
   */
  public Traceparent newChild() {
    return new Traceparent(traceId, randomHex(8, ZERO_SPAN_ID), flags & (SAMPLED | RANDOM_TRACE_ID));
  }

  /** The header value to send downstream, always version 00. */
  public String format() {
    return "00-" + traceId + "-" + spanId + "-" + String.format("%02x", flags);
  }

  public byte[] traceIdBytes() {
    return HexFormat.of().parseHex(traceId);
  }

  public byte[] spanIdBytes() {
    return HexFormat.of().parseHex(spanId);
  }

  /** Removes the optional whitespace of a header field, spaces and tabs, and nothing else. */
  static String trimOws(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) start++;
    while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) end--;
    return value.substring(start, end);
  }

  private static String randomHex(int bytes, String zero) {
    byte[] id = new byte[bytes];
    String hex;
    do {
      RANDOM.nextBytes(id);
      hex = HexFormat.of().formatHex(id);
    } while (hex.equals(zero));
    return hex;
  }
}
