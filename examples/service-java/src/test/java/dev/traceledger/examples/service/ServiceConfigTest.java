package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceConfigTest {
  @Test
  void defaultsMatchALocalTraceledger() {
    ServiceConfig config = ServiceConfig.fromEnvironment(Map.of());
    assertEquals(new ServiceConfig("127.0.0.1", 0, "127.0.0.1:7317", Optional.empty(), "service-java"), config);
  }

  @Test
  void readsEveryVariable() {
    ServiceConfig config = ServiceConfig.fromEnvironment(Map.of(
        "PORT", "8080", "TRACELEDGER_GRPC", "localhost:17317", "NEXT_URL", "http://127.0.0.1:9000/", "SERVICE_NAME", "java", "HOST", "0.0.0.0",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:7318/v1/traces", "TRACING_SAMPLE_RATE", "0.25"));
    assertEquals(new ServiceConfig("0.0.0.0", 8080, "localhost:17317", Optional.of(URI.create("http://127.0.0.1:9000")), "java",
        Optional.of(URI.create("http://127.0.0.1:7318/v1/traces")), 0.25), config);
  }

  @Test
  void namesEveryBadVariable() {
    var e = assertThrows(IllegalArgumentException.class, () -> ServiceConfig.fromEnvironment(Map.of(
        "PORT", "70000", "TRACELEDGER_GRPC", "http://x:1", "NEXT_URL", "ftp://host", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "127.0.0.1:7318",
        "TRACING_SAMPLE_RATE", "5e-1")));
    assertTrue(e.getMessage().contains("TRACING_SAMPLE_RATE=\"5e-1\" must be a number between 0 and 1 in decimal notation"), e.getMessage());
    assertTrue(e.getMessage().contains("PORT=70000"), e.getMessage());
    assertTrue(e.getMessage().contains("TRACELEDGER_GRPC=http://x:1"), e.getMessage());
    assertTrue(e.getMessage().contains("NEXT_URL=ftp://host"), e.getMessage());
    assertTrue(e.getMessage().contains("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=127.0.0.1:7318"), e.getMessage());
  }
}
