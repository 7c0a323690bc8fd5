package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** TRACING_SAMPLE_RATE: the decisions against the gateway's SDK's for the same trace ids, and the value's reading. */
class SamplerTest {
  // Decisions of the gateway's SDK for fixed trace ids, computed once with a throwaway
  // script that called traceIdRatioSampler from packages/sdk/src/sampling/trace-id-ratio-sampler.ts
  // (run with tsx): "rate trace-id sampled". Around each rate's threshold floor(rate × 2^64):
  // threshold - 1 (sampled), threshold and threshold + 1 (not); 0.3 × 2^64 in decimals is
  // 0x4ccccccccccccccc.cc, the float64 0.3 gives 0x4ccccccccccccc00, and the SDK uses the latter.
  static final String SDK_DECISIONS = """
      0 4bf92f3577b34da60000000000000000 false
      0 4bf92f3577b34da60000000000000001 false
      0 4bf92f3577b34da6ffffffffffffffff false
      0 4bf92f3577b34da68000000000000000 false
      0 4bf92f3577b34da67fffffffffffffff false
      1 4bf92f3577b34da60000000000000000 true
      1 4bf92f3577b34da60000000000000001 true
      1 4bf92f3577b34da6ffffffffffffffff true
      1 4bf92f3577b34da68000000000000000 true
      1 4bf92f3577b34da67fffffffffffffff true
      0.5 4bf92f3577b34da60000000000000000 true
      0.5 4bf92f3577b34da60000000000000001 true
      0.5 4bf92f3577b34da6ffffffffffffffff false
      0.5 4bf92f3577b34da68000000000000000 false
      0.5 4bf92f3577b34da67fffffffffffffff true
      0.5 4bf92f3577b34da68000000000000001 false
      0.25 4bf92f3577b34da60000000000000000 true
      0.25 4bf92f3577b34da60000000000000001 true
      0.25 4bf92f3577b34da6ffffffffffffffff false
      0.25 4bf92f3577b34da68000000000000000 false
      0.25 4bf92f3577b34da67fffffffffffffff false
      0.25 4bf92f3577b34da63fffffffffffffff true
      0.25 4bf92f3577b34da64000000000000000 false
      0.25 4bf92f3577b34da64000000000000001 false
      0.3 4bf92f3577b34da60000000000000000 true
      0.3 4bf92f3577b34da60000000000000001 true
      0.3 4bf92f3577b34da6ffffffffffffffff false
      0.3 4bf92f3577b34da68000000000000000 false
      0.3 4bf92f3577b34da67fffffffffffffff false
      0.3 4bf92f3577b34da64ccccccccccccbff true
      0.3 4bf92f3577b34da64ccccccccccccc00 false
      0.3 4bf92f3577b34da64ccccccccccccc01 false
      0.3 4bf92f3577b34da64ccccccccccccccc false
      0.1 4bf92f3577b34da60000000000000000 true
      0.1 4bf92f3577b34da60000000000000001 true
      0.1 4bf92f3577b34da6ffffffffffffffff false
      0.1 4bf92f3577b34da68000000000000000 false
      0.1 4bf92f3577b34da67fffffffffffffff false
      0.1 4bf92f3577b34da619999999999999ff true
      0.1 4bf92f3577b34da61999999999999a00 false
      0.1 4bf92f3577b34da61999999999999a01 false
      0.75 4bf92f3577b34da60000000000000000 true
      0.75 4bf92f3577b34da60000000000000001 true
      0.75 4bf92f3577b34da6ffffffffffffffff false
      0.75 4bf92f3577b34da68000000000000000 true
      0.75 4bf92f3577b34da67fffffffffffffff true
      0.75 4bf92f3577b34da6bfffffffffffffff true
      0.75 4bf92f3577b34da6c000000000000000 false
      0.75 4bf92f3577b34da6c000000000000001 false
      0.9999999999999999 4bf92f3577b34da60000000000000000 true
      0.9999999999999999 4bf92f3577b34da60000000000000001 true
      0.9999999999999999 4bf92f3577b34da6ffffffffffffffff false
      0.9999999999999999 4bf92f3577b34da68000000000000000 true
      0.9999999999999999 4bf92f3577b34da67fffffffffffffff true
      0.9999999999999999 4bf92f3577b34da6fffffffffffff7ff true
      0.9999999999999999 4bf92f3577b34da6fffffffffffff800 false
      0.9999999999999999 4bf92f3577b34da6fffffffffffff801 false
      1e-19 4bf92f3577b34da60000000000000000 true
      1e-19 4bf92f3577b34da60000000000000001 false
      1e-19 4bf92f3577b34da6ffffffffffffffff false
      1e-19 4bf92f3577b34da68000000000000000 false
      1e-19 4bf92f3577b34da67fffffffffffffff false
      1e-19 4bf92f3577b34da60000000000000002 false
      5e-324 4bf92f3577b34da60000000000000000 false
      5e-324 4bf92f3577b34da60000000000000001 false
      5e-324 4bf92f3577b34da6ffffffffffffffff false
      5e-324 4bf92f3577b34da68000000000000000 false
      5e-324 4bf92f3577b34da67fffffffffffffff false
      0.3 0af7651916cd43dd8448eb211c80319c false
      0.5 0af7651916cd43dd8448eb211c80319c false
      0.6 0af7651916cd43dd8448eb211c80319c true
      0.3 4bf92f3577b34da6a3ce929d0e0e4736 false
      0.5 4bf92f3577b34da6a3ce929d0e0e4736 false
      0.6 4bf92f3577b34da6a3ce929d0e0e4736 false
      0.3 00000000000000011c6d6e1a2b3c4d5e true
      0.5 00000000000000011c6d6e1a2b3c4d5e true
      0.6 00000000000000011c6d6e1a2b3c4d5e true
      0.3 ffffffffffffffff4ccccccccccccccc false
      0.5 ffffffffffffffff4ccccccccccccccc true
      0.6 ffffffffffffffff4ccccccccccccccc true
      0.3 123456789abcdef04ccccccccccccc00 false
      0.5 123456789abcdef04ccccccccccccc00 true
      0.6 123456789abcdef04ccccccccccccc00 true
      """;

  @Test
  void decidesAsTheGatewaysSdkForTheSameTraceIds() {
    var lines = SDK_DECISIONS.strip().split("\n");
    assertEquals(83, lines.length);
    for (String line : lines) {
      String[] f = line.strip().split(" ");
      assertEquals(Boolean.parseBoolean(f[2]), new Sampler(Sampler.parseRate(f[0])).sample(f[1]), line);
    }
  }

  @Test
  void readsARate() {
    Map<String, Double> rates = Map.of("0", 0.0, "1", 1.0, " 0.25 ", 0.25, "1e-19", 1e-19, ".5", 0.5, "1.", 1.0, "+0.3", 0.3, "", 1.0, "  ", 1.0);
    rates.forEach((raw, rate) -> assertEquals(rate, Sampler.parseRate(raw), raw));
    assertEquals(1.0, Sampler.parseRate(null));
  }

  @Test
  void refusesABadRate() {
    for (String raw : new String[] {"half", "1.5", "-0.1", "NaN", "Infinity", "1e400", "0x1p-2", "0.5d", "1_0", "50%"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> Sampler.parseRate(raw), raw);
      assertEquals("TRACING_SAMPLE_RATE=\"" + raw + "\" must be a number between 0 and 1", e.getMessage());
    }
  }
}
