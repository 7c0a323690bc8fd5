package dev.traceledger.examples.service;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service's settings, read once from the environment. A bad value stops the service with a
 * message naming the variable, what it got and what it accepts.
 *
 * @param host the address the HTTP port listens on
 * @param port the HTTP port; 0 picks a free one
 * @param traceledgerTarget host:port of traceledger's gRPC door (plaintext h2c)
 * @param nextUrl the base URL of the next service, if any
 * @param serviceName the name this service gives its spans
 * @param otlpEndpoint the OTLP/HTTP traces URL for the stock OpenTelemetry SDK's span, if any
 * @param sampleRate head sampling of the traces this service starts, 0..1 (see {@link Sampler})
 */
public record ServiceConfig(
    String host, int port, String traceledgerTarget, Optional<URI> nextUrl, String serviceName, Optional<URI> otlpEndpoint,
    double sampleRate) {

  /** Without OpenTelemetry: the lifecycle span only. */
  public ServiceConfig(String host, int port, String traceledgerTarget, Optional<URI> nextUrl, String serviceName) {
    this(host, port, traceledgerTarget, nextUrl, serviceName, Optional.empty());
  }

  /** Every new trace sampled. */
  public ServiceConfig(String host, int port, String traceledgerTarget, Optional<URI> nextUrl, String serviceName, Optional<URI> otlpEndpoint) {
    this(host, port, traceledgerTarget, nextUrl, serviceName, otlpEndpoint, 1);
  }

  public static ServiceConfig fromEnvironment(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    int port = 0;
    String rawPort = value(env, "PORT", "0");
    try {
      port = Integer.parseInt(rawPort);
      if (port < 0 || port > 65535) problems.add("PORT=" + rawPort + " is not between 0 and 65535");
    } catch (NumberFormatException e) {
      problems.add("PORT=" + rawPort + " is not a whole number between 0 and 65535");
    }
    String target = value(env, "TRACELEDGER_GRPC", "127.0.0.1:7317");
    if (!target.matches("[^\\s:/]+:\\d{1,5}")) {
      problems.add("TRACELEDGER_GRPC=" + target + " must be host:port of traceledger's gRPC port, e.g. 127.0.0.1:7317");
    }
    // A base URL: "/work" is appended to it.
    Optional<URI> next = httpUrl(env, "NEXT_URL", "an http:// or https:// base URL", problems)
        .map(uri -> URI.create(uri.toString().replaceAll("/+$", "")));
    Optional<URI> otlp = httpUrl(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "the http:// or https:// URL of an OTLP/HTTP traces route", problems);
    String serviceName = value(env, "SERVICE_NAME", "service-java");
    double sampleRate = 1;
    try {
      sampleRate = Sampler.parseRate(env.get("TRACING_SAMPLE_RATE"));
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid configuration:\n  - " + String.join("\n  - ", problems));
    }
    return new ServiceConfig(value(env, "HOST", "127.0.0.1"), port, target, next, serviceName, otlp, sampleRate);
  }

  private static Optional<URI> httpUrl(Map<String, String> env, String name, String expected, List<String> problems) {
    String raw = value(env, name, "");
    if (raw.isEmpty()) return Optional.empty();
    try {
      URI uri = new URI(raw);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) return Optional.of(uri);
    } catch (URISyntaxException e) {
      // reported below
    }
    problems.add(name + "=" + raw + " must be " + expected);
    return Optional.empty();
  }

  private static String value(Map<String, String> env, String name, String fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}
