package dev.traceledger.examples.service;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The running service: its HTTP server, its channel to traceledger, its downstream client and,
 * when configured, its OpenTelemetry exporter.
 */
public final class WorkService implements AutoCloseable {
  private static final int HTTP_THREADS = 16;

  private final HttpServer server;
  private final ExecutorService executor;
  private final SpanLifecycle tracing;
  private final ManagedChannel channel;
  private final Optional<OtelWork> otel;

  private WorkService(HttpServer server, ExecutorService executor, SpanLifecycle tracing, ManagedChannel channel, Optional<OtelWork> otel) {
    this.server = server;
    this.executor = executor;
    this.tracing = tracing;
    this.channel = channel;
    this.otel = otel;
  }

  /**
   * Binds the HTTP port and starts serving, then waits (up to {@link #CONNECT_WAIT}) for the channel
   * to connect: the span calls have a short deadline, which a cold connection set up by the first
   * request could miss.
   */
  public static WorkService start(ServiceConfig config) throws IOException {
    ManagedChannel channel = Grpc.newChannelBuilder(config.traceledgerTarget(), InsecureChannelCredentials.create()).build();
    channel.getState(true);
    HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    Optional<OtelWork> otel = config.otlpEndpoint().map(endpoint -> new OtelWork(config.serviceName(), endpoint));
    var tracing = new SpanLifecycle(channel, config.serviceName(), config.sampleRate());
    var handler = new WorkHandler(tracing, config.serviceName(), config.nextUrl(), http, otel);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
    } catch (IOException e) {
      tracing.close(Duration.ZERO);
      channel.shutdownNow();
      otel.ifPresent(OtelWork::close);
      throw e;
    }
    ExecutorService executor = Executors.newFixedThreadPool(HTTP_THREADS);
    server.setExecutor(executor);
    server.createContext("/", handler);
    server.start();
    awaitConnection(channel, CONNECT_WAIT);
    return new WorkService(server, executor, tracing, channel, otel);
  }

  /**
   * How long start-up waits for traceledger's connection before it says it is listening. On a busy
   * machine a cold connection took longer than a call's 500 ms deadline, and the first request's
   * start, which is not retried after a deadline, was lost.
   */
  static final Duration CONNECT_WAIT = Duration.ofSeconds(3);

  /** Waits until the channel is connected, or failed to connect (traceledger is away), or {@code wait} has passed. */
  private static void awaitConnection(ManagedChannel channel, Duration wait) {
    long until = System.nanoTime() + wait.toNanos();
    ConnectivityState state = channel.getState(true);
    while (state != ConnectivityState.READY && state != ConnectivityState.TRANSIENT_FAILURE && state != ConnectivityState.SHUTDOWN) {
      long left = until - System.nanoTime();
      if (left <= 0) return;
      CountDownLatch changed = new CountDownLatch(1);
      channel.notifyWhenStateChanged(state, changed::countDown);
      try {
        if (!changed.await(left, TimeUnit.NANOSECONDS)) return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      state = channel.getState(false);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops at once: for tests and for a failed start. */
  @Override
  public void close() {
    shutdown(Duration.ZERO, Duration.ZERO);
  }

  /**
   * Stops accepting, lets requests in progress finish for up to {@code grace} (the JDK's server
   * waits out the whole grace before Java 21), sends the span calls still queued for up to {@code
   * drain}, then closes the channel to traceledger.
   */
  public void shutdown(Duration grace, Duration drain) {
    server.stop((int) grace.toSeconds());
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
      tracing.close(drain);
      channel.shutdown();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channel.shutdownNow();
    otel.ifPresent(OtelWork::close);
  }
}
