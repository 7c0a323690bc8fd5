package dev.traceledger.examples.service;

import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts the service from the environment (PORT, TRACELEDGER_GRPC, NEXT_URL, SERVICE_NAME,
 * TRACING_SAMPLE_RATE...; a bad value exits with status 2 and a message on stderr) and
 * prints {@code {"listening":<port>}} on stdout once the port is bound: the one line a launcher
 * waits for. Everything else is logged to stderr.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // One line per record on stderr (java.util.logging's console handler), grpc-java's included.
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%6$s%n");
    Logger log = Logger.getLogger(Main.class.getName());
    ServiceConfig config;
    try {
      config = ServiceConfig.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    WorkService service;
    try {
      service = WorkService.start(config);
    } catch (Exception e) {
      log.log(Level.SEVERE, "could not start", e);
      System.exit(1);
      return;
    }
    // Requests in progress get a second; then their spans' calls still queued get up to 5 s.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> service.shutdown(Duration.ofSeconds(1), SpanLifecycle.DRAIN), "shutdown"));
    System.out.println("{\"listening\":" + service.port() + "}");
    System.out.flush();
    log.info(config.serviceName() + " listening on " + service.port() + ", traceledger at " + config.traceledgerTarget()
        + config.nextUrl().map(u -> ", next " + u).orElse(""));
  }
}
