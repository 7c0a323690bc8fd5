package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TRACING_SAMPLE_RATE: the decisions against the gateway's SDK's for the same trace ids, and the value's reading. */
class SamplerTest {
  // The gateway's SDK's decisions for fixed trace ids (how they were made: the file's header);
  // Maven runs the tests in examples/service-java.
  static final Path SDK_DECISIONS = Path.of("..", "testdata", "sdk-sampling-decisions.txt");

  @Test
  void decidesAsTheGatewaysSdkForTheSameTraceIds() throws IOException {
    var lines = Files.readAllLines(SDK_DECISIONS).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toArray(String[]::new);
    assertEquals(85, lines.length);
    for (String line : lines) {
      String[] f = line.strip().split(" ");
      // A rate as a value (1e-19 and 5e-324 are there), not as a TRACING_SAMPLE_RATE setting.
      assertEquals(Boolean.parseBoolean(f[2]), new Sampler(Double.parseDouble(f[0])).sample(f[1]), line);
    }
  }

  @Test
  void readsARate() {
    // The gateway's SDK's grammar (packages/sdk/src/config/tracer-config.ts), and the server's.
    Map<String, Double> rates = Map.of("0", 0.0, "1", 1.0, " 0.25 ", 0.25, ".5", 0.5, "1.0", 1.0, "00.5", 0.5, "0.0000000000000000001", 1e-19, "", 1.0, "  ", 1.0);
    rates.forEach((raw, rate) -> assertEquals(rate, Sampler.parseRate(raw), raw));
    assertEquals(1.0, Sampler.parseRate(null));
  }

  @Test
  void refusesABadRate() {
    for (String raw : new String[] {"half", "1.5", "-0.1", "NaN", "Infinity", "0x1p-2", "0.5d", "1_0", "50%", "5e-1", "1e-19", "+0.5", "-0", "1.", ".", "0.5.1"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> Sampler.parseRate(raw), raw);
      assertEquals("TRACING_SAMPLE_RATE=\"" + raw + "\" must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)", e.getMessage());
    }
  }
}
