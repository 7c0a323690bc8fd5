package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import traceledger.v1.SpanTypes.StatusCode;
import traceledger.v1.TracingServiceOuterClass.AddSpanEventRequest;
import traceledger.v1.TracingServiceOuterClass.RecordErrorRequest;
import traceledger.v1.TracingServiceOuterClass.StartSpanRequest;

/** The helper's calls against a stand-in traceledger (a real gRPC server): what it sends, when it retries, how long a request waits. */
class SpanLifecycleTest {
  private static final List<String> CALLER = List.of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

  private final RecordingTracingService traceledger = new RecordingTracingService();
  private Server grpc;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException, InterruptedException {
    grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(traceledger).build().start();
    channel = Grpc.newChannelBuilder("127.0.0.1:" + grpc.getPort(), InsecureChannelCredentials.create()).build();
    awaitReady(channel);
  }

  /**
   * Connects before a test's calls: on a busy machine a cold channel's first connection took
   * longer than a call's 500 ms deadline (CI saw AddSpanEvent miss it), and the tests without
   * retries would then lose a call for a reason that is not theirs.
   */
  private static void awaitReady(ManagedChannel channel) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (channel.getState(true) != ConnectivityState.READY) {
      assertTrue(System.nanoTime() < until, "the channel did not connect within 30 s");
      Thread.sleep(5);
    }
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
    var lifecycle = new SpanLifecycle(channel, "java", SpanSender.RetryPolicy.NONE);
    var span = lifecycle.startServerSpan("GET /work", CALLER, List.of());
    lifecycle.addEvent(span, "work.started", List.of());
    lifecycle.recordError(span, "WorkFailed", "asked to fail");
    lifecycle.end(span, StatusCode.STATUS_CODE_ERROR, "failed", List.of());

    // StartSpan itself may miss its deadline in a cold JVM before it reaches the server: either way
    // the span's later calls must follow.
    var calls = traceledger.endedCallsOf(span.context().spanId()).stream().filter(c -> !c.method().equals("StartSpan")).toList();
    assertEquals(List.of("AddSpanEvent", "RecordError", "EndSpan"), calls.stream().map(RecordingTracingService.Call::method).toList());
    assertFalse(((AddSpanEventRequest) calls.get(0).request()).getEventId().isEmpty(), "event_id");
    assertFalse(((RecordErrorRequest) calls.get(1).request()).getErrorId().isEmpty(), "error_id");
  }

  @Test
  void aNewRootHasARandomTraceIdSampledOrNot() {
    var sampled = new SpanLifecycle(channel, "java", 1);
    var root = sampled.startServerSpan("GET /work", List.of(), List.of());
    sampled.end(root, StatusCode.STATUS_CODE_OK, "", List.of());
    assertTrue(sampled.close(Duration.ofSeconds(5)), "the queue drained");
    assertEquals(0x03, root.context().flags());
    var start = (StartSpanRequest) traceledger.callsOf(root.context().spanId()).get(0).request();
    assertEquals("", start.getTraceparent(), "a root span has no parent");
    assertTrue(start.getRandomTraceId(), "traceledger is told the root's trace id is random");

    var unsampled = new SpanLifecycle(channel, "java", 0);
    var quiet = unsampled.startServerSpan("GET /work", List.of(), List.of());
    assertTrue(unsampled.close(Duration.ofSeconds(5)), "the queue drained");
    assertEquals(0x02, quiet.context().flags(), "not sampled, but its trace id is random");
    assertFalse(quiet.recorded());
    assertTrue(traceledger.callsOf(quiet.context().spanId()).isEmpty());
  }

  @Test
  void aChildTellsTraceledgerTheFlagsItPassesOn() {
    var lifecycle = new SpanLifecycle(channel, "java");
    var child = lifecycle.startServerSpan("GET /work", List.of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"), List.of());
    assertTrue(lifecycle.close(Duration.ofSeconds(5)), "the queue drained");
    assertEquals(0x03, child.context().flags(), "sampled and random trace-id kept, reserved bits zero");
    var start = (StartSpanRequest) traceledger.callsOf(child.context().spanId()).get(0).request();
    assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", start.getTraceparent());
    assertTrue(start.getRandomTraceId());
  }

  @Test
  void aRejectedStartLeavesTheSpanUnrecorded() {
    traceledger.startFailure = Status.INVALID_ARGUMENT;
    var lifecycle = new SpanLifecycle(channel, "java");
    var span = lifecycle.startServerSpan("GET /work", CALLER, List.of());
    lifecycle.end(span, StatusCode.STATUS_CODE_OK, "", List.of());
    assertTrue(lifecycle.close(Duration.ofSeconds(5)), "the queue drained");

    assertFalse(span.recorded());
    assertEquals(List.of("StartSpan"), traceledger.callsOf(span.context().spanId()).stream().map(RecordingTracingService.Call::method).toList());
  }

  @Test
  void aSpanStartedAndEndedDuringAShortOutageReachesTraceledgerOnceItIsBack() throws Exception {
    int port = grpc.getPort();
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS); // away: every call finds it UNAVAILABLE
    var lifecycle = new SpanLifecycle(channel, "java");

    long began = System.nanoTime();
    var span = lifecycle.startServerSpan("GET /work", CALLER, List.of());
    lifecycle.end(span, StatusCode.STATUS_CODE_OK, "", List.of());
    // The retries happen off the request path: it waited for the start's first try at most.
    long held = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    assertTrue(held < 1000, "the request was held " + held + " ms");

    Thread.sleep(1000);
    grpc = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create()).addService(traceledger).build().start();
    var calls = traceledger.endedCallsOf(span.context().spanId(), 10);
    assertEquals(List.of("StartSpan", "EndSpan"), calls.stream().map(RecordingTracingService.Call::method).toList());
    assertEquals(span.context().spanId(), RecordingTracingService.hex(((StartSpanRequest) calls.get(0).request()).getSpanId()));
  }

  /**
   * Before the sender, every call waited out its 500 ms deadline on the request path: 2 s for a
   * span that starts, records an event and an error, and ends. Now only a start is waited for, and
   * only while traceledger answers: the first span finds out that it does not, the next ones do not
   * wait at all.
   */
  @Test
  void aTraceledgerThatNeverAnswersCostsOnlyTheFirstSpanOneStartsWait() throws Exception {
    // Accepts the TCP connection (the backlog does) and never says a word.
    try (ServerSocket blackhole = new ServerSocket(0)) {
      ManagedChannel silent = Grpc.newChannelBuilder("127.0.0.1:" + blackhole.getLocalPort(), InsecureChannelCredentials.create()).build();
      var lifecycle = new SpanLifecycle(silent, "java", SpanSender.RetryPolicy.NONE);
      try {
        List<Long> took = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          long began = System.nanoTime();
          var span = lifecycle.startServerSpan("GET /work", CALLER, List.of());
          lifecycle.addEvent(span, "work.started", List.of());
          lifecycle.recordError(span, "WorkFailed", "asked to fail");
          lifecycle.end(span, StatusCode.STATUS_CODE_ERROR, "failed", List.of());
          took.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        }
        System.out.println("spans' calls took " + took + " ms");
        assertTrue(took.stream().mapToLong(Long::longValue).sum() < 1500, "the spans' calls took " + took + " ms");
      } finally {
        lifecycle.close(Duration.ZERO);
        silent.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
