package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import traceledger.v1.SpanTypes.StatusCode;
import traceledger.v1.TracingServiceOuterClass.AddSpanEventRequest;
import traceledger.v1.TracingServiceOuterClass.RecordErrorRequest;

/** The helper's calls against a stand-in traceledger: when it still ends a span, and how long it waits. */
class SpanLifecycleTest {
  private static final String CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final RecordingTracingService traceledger = new RecordingTracingService();
  private Server grpc;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(traceledger).build().start();
    channel = Grpc.newChannelBuilder("127.0.0.1:" + grpc.getPort(), InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aStartThatWentUnansweredStillEndsTheSpanAndIdentifiesItsEventsAndErrors() {
    // UNAVAILABLE says nothing about whether the server stored the start.
    traceledger.startFailure = Status.UNAVAILABLE;
    var lifecycle = new SpanLifecycle(channel, "java");
    var span = lifecycle.startServerSpan("GET /work", CALLER, "");
    lifecycle.addEvent(span, "work.started", List.of());
    lifecycle.recordError(span, "WorkFailed", "asked to fail");
    lifecycle.end(span, StatusCode.STATUS_CODE_ERROR, "failed", List.of());

    // StartSpan itself may miss its deadline in a cold JVM before it reaches the server: either way
    // the span's later calls must follow.
    var calls = traceledger.callsOf(span.context().spanId()).stream().filter(c -> !c.method().equals("StartSpan")).toList();
    assertEquals(List.of("AddSpanEvent", "RecordError", "EndSpan"), calls.stream().map(RecordingTracingService.Call::method).toList());
    assertFalse(((AddSpanEventRequest) calls.get(0).request()).getEventId().isEmpty(), "event_id");
    assertFalse(((RecordErrorRequest) calls.get(1).request()).getErrorId().isEmpty(), "error_id");
  }

  @Test
  void aRejectedStartLeavesTheSpanUnrecorded() {
    traceledger.startFailure = Status.INVALID_ARGUMENT;
    var lifecycle = new SpanLifecycle(channel, "java");
    var span = lifecycle.startServerSpan("GET /work", CALLER, "");
    lifecycle.end(span, StatusCode.STATUS_CODE_OK, "", List.of());

    assertFalse(span.recorded());
    assertEquals(List.of("StartSpan"), traceledger.callsOf(span.context().spanId()).stream().map(RecordingTracingService.Call::method).toList());
  }

  @Test
  void aTraceledgerThatNeverAnswersBarelySlowsTheSpansCalls() throws Exception {
    // Accepts the TCP connection (the backlog does) and never says a word.
    try (ServerSocket blackhole = new ServerSocket(0)) {
      ManagedChannel silent = Grpc.newChannelBuilder("127.0.0.1:" + blackhole.getLocalPort(), InsecureChannelCredentials.create()).build();
      try {
        var lifecycle = new SpanLifecycle(silent, "java");
        long began = System.nanoTime();
        var span = lifecycle.startServerSpan("GET /work", CALLER, "");
        lifecycle.addEvent(span, "work.started", List.of());
        lifecycle.end(span, StatusCode.STATUS_CODE_OK, "", List.of());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertTrue(millis < 2500, "the span's calls took " + millis + " ms");
      } finally {
        silent.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
