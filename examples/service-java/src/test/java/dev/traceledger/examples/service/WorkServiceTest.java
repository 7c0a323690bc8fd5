package dev.traceledger.examples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import traceledger.v1.SpanTypes.SpanKind;
import traceledger.v1.SpanTypes.StatusCode;
import traceledger.v1.TracingServiceOuterClass.AddSpanEventRequest;
import traceledger.v1.TracingServiceOuterClass.EndSpanRequest;
import traceledger.v1.TracingServiceOuterClass.RecordErrorRequest;
import traceledger.v1.TracingServiceOuterClass.StartSpanRequest;

/**
 * Two instances of the service in a chain (front → back) on ephemeral ports, over real HTTP and a
 * real gRPC server on an ephemeral port that records the lifecycle calls.
 */
class WorkServiceTest {
  private static final String INCOMING = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private final HttpClient http = HttpClient.newHttpClient();
  private final RecordingTracingService traceledger = new RecordingTracingService();
  private Server grpc;
  private WorkService back;
  private WorkService front;

  @BeforeEach
  void start() throws IOException {
    grpc = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(traceledger).build().start();
    String target = "127.0.0.1:" + grpc.getPort();
    back = WorkService.start(new ServiceConfig("127.0.0.1", 0, target, Optional.empty(), "back"));
    front = WorkService.start(new ServiceConfig("127.0.0.1", 0, target, Optional.of(URI.create("http://127.0.0.1:" + back.port())), "front"));
  }

  @AfterEach
  void stop() throws InterruptedException {
    front.close();
    back.close();
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void continuesTheTraceAndCallsTheNextServiceWithItsOwnSpan() throws Exception {
    HttpResponse<String> response = get(front, "/work", Map.of("traceparent", INCOMING, "tracestate", "vendor=x"));

    assertEquals(200, response.statusCode());
    JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
    assertEquals("front", body.get("service").getAsString());
    Traceparent frontSpan = Traceparent.parse(body.get("traceparent").getAsString()).orElseThrow();
    JsonObject downstream = body.getAsJsonObject("downstream");
    assertEquals("back", downstream.get("service").getAsString());
    assertTrue(downstream.get("downstream").isJsonNull());
    Traceparent backSpan = Traceparent.parse(downstream.get("traceparent").getAsString()).orElseThrow();

    StartSpanRequest frontStart = startOf("front");
    assertEquals(INCOMING, frontStart.getTraceparent());
    assertEquals("0af7651916cd43dd8448eb211c80319c", RecordingTracingService.hex(frontStart.getTraceId()));
    assertEquals(frontSpan.spanId(), RecordingTracingService.hex(frontStart.getSpanId()));
    assertEquals(SpanKind.SPAN_KIND_SERVER, frontStart.getKind());
    assertEquals("GET /work", frontStart.getName());
    assertEquals("vendor=x", frontStart.getTracestate());

    StartSpanRequest backStart = startOf("back");
    assertEquals(frontSpan.format(), backStart.getTraceparent(), "the next service's parent is this service's span");
    assertEquals("vendor=x", backStart.getTracestate(), "tracestate travels on");
    assertEquals(frontSpan.traceId(), backSpan.traceId());

    for (Traceparent span : List.of(frontSpan, backSpan)) {
      var calls = traceledger.endedCallsOf(span.spanId());
      assertEquals(List.of("StartSpan", "AddSpanEvent", "EndSpan"), calls.stream().map(RecordingTracingService.Call::method).toList());
      assertEquals("work.started", ((AddSpanEventRequest) calls.get(1).request()).getName());
      assertEquals(StatusCode.STATUS_CODE_OK, ((EndSpanRequest) calls.get(2).request()).getStatus().getCode());
    }
  }

  @Test
  void theFailingServiceRecordsAnErrorAndItsCallerReportsTheDownstreamFailure() throws Exception {
    HttpResponse<String> response = get(front, "/work?fail=back", Map.of("traceparent", INCOMING));

    assertEquals(502, response.statusCode());
    String backSpan = RecordingTracingService.hex(startOf("back").getSpanId());
    var backCalls = traceledger.endedCallsOf(backSpan);
    assertEquals(List.of("StartSpan", "AddSpanEvent", "RecordError", "EndSpan"), backCalls.stream().map(RecordingTracingService.Call::method).toList());
    RecordErrorRequest error = (RecordErrorRequest) backCalls.get(2).request();
    assertEquals("WorkFailed", error.getErrorType());
    assertEquals("back was asked to fail", error.getMessage());
    EndSpanRequest backEnd = (EndSpanRequest) backCalls.get(3).request();
    assertEquals(StatusCode.STATUS_CODE_ERROR, backEnd.getStatus().getCode());

    String frontSpan = RecordingTracingService.hex(startOf("front").getSpanId());
    var frontCalls = traceledger.endedCallsOf(frontSpan);
    assertEquals(List.of("StartSpan", "AddSpanEvent", "EndSpan"), frontCalls.stream().map(RecordingTracingService.Call::method).toList());
    EndSpanRequest frontEnd = (EndSpanRequest) frontCalls.get(2).request();
    assertEquals(StatusCode.STATUS_CODE_ERROR, frontEnd.getStatus().getCode());
    assertEquals("downstream failed: 500", frontEnd.getStatus().getMessage());
  }

  @Test
  void aServiceAskedToFailStillCallsItsDownstreamFirst() throws Exception {
    HttpResponse<String> response = get(front, "/work?fail=front", Map.of("traceparent", INCOMING));

    assertEquals(500, response.statusCode());
    assertEquals("front", JsonParser.parseString(response.body()).getAsJsonObject().get("service").getAsString());
    EndSpanRequest backEnd = endOf("back");
    assertEquals(StatusCode.STATUS_CODE_OK, backEnd.getStatus().getCode());
    EndSpanRequest frontEnd = endOf("front");
    assertEquals(StatusCode.STATUS_CODE_ERROR, frontEnd.getStatus().getCode());
    assertEquals("front failed", frontEnd.getStatus().getMessage());
  }

  @Test
  void withoutAValidTraceparentTheServiceStartsANewTrace() throws Exception {
    HttpResponse<String> response = get(back, "/work", Map.of("traceparent", "00-not-a-traceparent-01"));

    assertEquals(200, response.statusCode());
    Traceparent span = Traceparent.parse(JsonParser.parseString(response.body()).getAsJsonObject().get("traceparent").getAsString()).orElseThrow();
    StartSpanRequest start = startOf("back");
    assertEquals("", start.getTraceparent(), "a root span has no parent");
    assertEquals(0x03, span.flags(), "a new root is sampled and its trace id random");
    assertTrue(start.getRandomTraceId(), "traceledger is told the root's trace id is random");
    assertEquals(span.traceId(), RecordingTracingService.hex(start.getTraceId()));
    assertEquals(span.spanId(), RecordingTracingService.hex(start.getSpanId()));
  }

  @Test
  void anUnreachableDownstreamIsAnErrorOnTheSpan() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (WorkService lonely = WorkService.start(new ServiceConfig("127.0.0.1", 0, "127.0.0.1:" + grpc.getPort(),
        Optional.of(URI.create("http://127.0.0.1:" + closedPort)), "lonely"))) {
      HttpResponse<String> response = get(lonely, "/work", Map.of("traceparent", INCOMING));

      assertEquals(502, response.statusCode());
      String spanId = RecordingTracingService.hex(startOf("lonely").getSpanId());
      var calls = traceledger.endedCallsOf(spanId);
      assertEquals(List.of("StartSpan", "AddSpanEvent", "RecordError", "EndSpan"), calls.stream().map(RecordingTracingService.Call::method).toList());
      assertEquals("java.net.ConnectException", ((RecordErrorRequest) calls.get(2).request()).getErrorType());
      assertEquals(StatusCode.STATUS_CODE_ERROR, ((EndSpanRequest) calls.get(3).request()).getStatus().getCode());
    }
  }

  @Test
  void anUnreachableTraceledgerDoesNotFailTheRequest() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (WorkService untraced = WorkService.start(new ServiceConfig("127.0.0.1", 0, "127.0.0.1:" + closedPort, Optional.empty(), "untraced"))) {
      HttpResponse<String> response = get(untraced, "/work", Map.of("traceparent", INCOMING));

      assertEquals(200, response.statusCode());
      Traceparent span = Traceparent.parse(JsonParser.parseString(response.body()).getAsJsonObject().get("traceparent").getAsString()).orElseThrow();
      assertEquals("0af7651916cd43dd8448eb211c80319c", span.traceId(), "the trace still travels downstream");
    }
  }

  @Test
  void withAnOtlpEndpointItAddsOneOpenTelemetrySpanUnderItsLifecycleSpan() throws Exception {
    try (RecordingOtlpReceiver otlp = new RecordingOtlpReceiver();
        WorkService traced = WorkService.start(new ServiceConfig("127.0.0.1", 0, "127.0.0.1:" + grpc.getPort(), Optional.empty(), "otel", Optional.of(otlp.endpoint())))) {
      HttpResponse<String> response = get(traced, "/work", Map.of("traceparent", INCOMING));

      assertEquals(200, response.statusCode());
      Traceparent lifecycle = Traceparent.parse(JsonParser.parseString(response.body()).getAsJsonObject().get("traceparent").getAsString()).orElseThrow();
      var spans = otlp.spans(); // flushed before the answer
      assertEquals(1, spans.size(), spans.toString());
      var span = spans.get(0);
      assertEquals("prepare work", span.name());
      assertEquals("otel", span.serviceName());
      assertEquals(lifecycle.traceId(), span.traceId());
      assertEquals(lifecycle.spanId(), span.parentSpanId());
    }
  }

  /** Before, every request waited 5 s for the flush of its span, for the whole outage. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("awayOrSilent")
  void anOtlpEndpointThatIsAwayOrSilentCostsOnlyTheFirstRequestOneExportsWait(String how, boolean silent) throws Exception {
    // A silent endpoint accepts connections (its backlog does) and never answers; a refused one is a free port.
    ServerSocket silentSocket = silent ? new ServerSocket(0, 64, InetAddress.getLoopbackAddress()) : null;
    try {
      int port = silent ? silentSocket.getLocalPort() : freePort();
      var config = new ServiceConfig("127.0.0.1", 0, "127.0.0.1:" + grpc.getPort(), Optional.empty(), "otel", Optional.of(URI.create("http://127.0.0.1:" + port + "/v1/traces")));
      try (WorkService traced = WorkService.start(config)) {
        for (int i = 1; i <= 3; i++) {
          long began = System.nanoTime();
          var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + traced.port() + "/work")).timeout(Duration.ofSeconds(3)).GET().build();
          assertEquals(200, http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
          long tookMillis = (System.nanoTime() - began) / 1_000_000;
          assertTrue(tookMillis < (i == 1 ? 1000 : 200), "request " + i + " took " + tookMillis + " ms");
        }
      }
    } finally {
      if (silentSocket != null) silentSocket.close();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static Stream<Arguments> awayOrSilent() {
    return Stream.of(Arguments.of("refused", false), Arguments.of("silent", true));
  }

  @Test
  void theOpenTelemetrySpanIsStoredBeforeTheAnswerAgainOnceTheEndpointIsBack() throws Exception {
    int port = freePort();
    var config = new ServiceConfig("127.0.0.1", 0, "127.0.0.1:" + grpc.getPort(), Optional.empty(), "otel", Optional.of(URI.create("http://127.0.0.1:" + port + "/v1/traces")));
    try (WorkService traced = WorkService.start(config)) {
      otelParent(traced); // away: the export fails, the next requests no longer wait
      try (RecordingOtlpReceiver otlp = new RecordingOtlpReceiver(port)) {
        // Back: the requests do not wait until an export (in the background) succeeds.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (String parent = otelParent(traced); !exported(otlp, parent); parent = otelParent(traced)) {
          assertTrue(System.nanoTime() < deadline, "no export succeeded within 5 s of the endpoint's return");
          Thread.sleep(50);
        }
        // Then each request waits for its own span again.
        for (int i = 1; i <= 3; i++) assertTrue(exported(otlp, otelParent(traced)), "request " + i + " answered before its span was exported");
      }
    }
  }

  /** One request; the parent (hex) its OpenTelemetry span must have. */
  private String otelParent(WorkService service) throws Exception {
    HttpResponse<String> response = get(service, "/work", Map.of("traceparent", INCOMING));
    assertEquals(200, response.statusCode());
    return Traceparent.parse(JsonParser.parseString(response.body()).getAsJsonObject().get("traceparent").getAsString()).orElseThrow().spanId();
  }

  private static boolean exported(RecordingOtlpReceiver otlp, String parent) {
    return otlp.spans().stream().anyMatch(s -> s.parentSpanId().equals(parent));
  }

  @Test
  void anUnsampledCallerGetsNoSpanButItsTraceGoesOnUnsampled() throws Exception {
    String unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    HttpResponse<String> response = get(front, "/work", Map.of("traceparent", unsampled, "tracestate", "vendor=x"));

    assertEquals(200, response.statusCode());
    JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
    for (String own : List.of(body.get("traceparent").getAsString(), body.getAsJsonObject("downstream").get("traceparent").getAsString())) {
      assertTrue(own.startsWith(unsampled.substring(0, 36)) && own.endsWith("-00") && !own.equals(unsampled), own);
    }
    // The calls leave in order: once a sampled request's spans have ended in traceledger, any
    // call of the unsampled one would have arrived before them.
    get(front, "/work", Map.of("traceparent", INCOMING));
    traceledger.endedCallsOf(RecordingTracingService.hex(startOf("front").getSpanId()));
    traceledger.endedCallsOf(RecordingTracingService.hex(startOf("back").getSpanId()));
    assertTrue(traceledger.calls().stream().noneMatch(c -> c.traceId().equals(unsampled.substring(3, 35))),
        "the unsampled trace reached traceledger: " + traceledger.calls());
  }

  @Test
  void anUnsampledCallersRandomTraceIdFlagGoesOnUnchanged() throws Exception {
    String unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02";
    HttpResponse<String> response = get(front, "/work", Map.of("traceparent", unsampled));

    assertEquals(200, response.statusCode());
    JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
    for (String own : List.of(body.get("traceparent").getAsString(), body.getAsJsonObject("downstream").get("traceparent").getAsString())) {
      assertTrue(own.startsWith(unsampled.substring(0, 36)) && own.endsWith("-02") && !own.equals(unsampled), own);
    }
  }

  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String PARENT = "b7ad6b7169203331";

  static Stream<Arguments> callerHeaders() {
    return Stream.of(
        Arguments.of("tracestate lines are combined", List.of("traceparent", INCOMING, "tracestate", "vendor=x", "tracestate", "other=1"), true, "01", "vendor=x,other=1"),
        Arguments.of("an invalid tracestate is dropped", List.of("traceparent", INCOMING, "tracestate", "Vendor=x"), true, "01", ""),
        // A new root's trace id is random: sampled and random trace-id (03).
        Arguments.of("an invalid traceparent drops the tracestate", List.of("traceparent", "00-" + TRACE + "-xyz-01", "tracestate", "vendor=x"), false, "03", ""),
        Arguments.of("a repeated traceparent is invalid", List.of("traceparent", INCOMING, "traceparent", INCOMING, "tracestate", "vendor=x"), false, "03", ""),
        Arguments.of("version ff is invalid", List.of("traceparent", "ff" + INCOMING.substring(2), "tracestate", "vendor=x"), false, "03", ""),
        Arguments.of("a later version is read by its first fields", List.of("traceparent", "cc-" + TRACE + "-" + PARENT + "-01-what-comes-next", "tracestate", "vendor=x"), true, "01", "vendor=x"),
        Arguments.of("the random trace-id flag is passed on", List.of("traceparent", "00-" + TRACE + "-" + PARENT + "-03"), true, "03", ""),
        Arguments.of("reserved flags are sent as zero", List.of("traceparent", "00-" + TRACE + "-" + PARENT + "-ff"), true, "03", ""));
  }

  /** What reaches the next service and traceledger, for the headers a caller may send: as the gateway's SDK does it. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("callerHeaders")
  void traceContextReachesTheNextServiceAndTraceledgerAsTheGatewaySendsIt(String name, List<String> headers, boolean sameTrace, String flags, String tracestate)
      throws Exception {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port() + "/work"));
    for (int i = 0; i < headers.size(); i += 2) request.header(headers.get(i), headers.get(i + 1)); // a name may repeat: one line each
    HttpResponse<String> response = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());

    String own = JsonParser.parseString(response.body()).getAsJsonObject().get("traceparent").getAsString();
    assertEquals(sameTrace, own.startsWith("00-" + TRACE + "-"), own);
    assertTrue(own.endsWith("-" + flags), own);
    StartSpanRequest frontStart = startOf("front");
    if (sameTrace) {
      // The parent as traceledger gets it carries the flags the span passes on (it stores them).
      assertEquals("00-" + TRACE + "-" + PARENT + "-" + flags, frontStart.getTraceparent());
    } else {
      assertEquals("", frontStart.getTraceparent(), "a new root");
    }
    assertEquals(tracestate, frontStart.getTracestate());
    boolean random = (Integer.parseInt(flags, 16) & 0x02) != 0;
    assertEquals(random, frontStart.getRandomTraceId(), "random_trace_id follows the flags the span passes on");
    StartSpanRequest backStart = startOf("back"); // what the next service was sent
    assertEquals(own, backStart.getTraceparent());
    assertEquals(tracestate, backStart.getTracestate());
    assertEquals(random, backStart.getRandomTraceId());
  }

  @Test
  void answersOnlyGetWork() throws Exception {
    assertEquals(404, get(back, "/other", Map.of()).statusCode());
    var post = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + back.port() + "/work")).POST(HttpRequest.BodyPublishers.noBody()).build();
    assertEquals(405, http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode());
    assertTrue(traceledger.calls().isEmpty());
  }

  private HttpResponse<String> get(WorkService service, String pathAndQuery, Map<String, String> headers) throws Exception {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + pathAndQuery));
    headers.forEach(request::header);
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private StartSpanRequest startOf(String service) {
    var starts = traceledger.starts().stream().filter(s -> s.getServiceName().equals(service)).toList();
    assertEquals(1, starts.size(), "one span of " + service);
    return starts.get(0);
  }

  private EndSpanRequest endOf(String service) {
    var calls = traceledger.endedCallsOf(RecordingTracingService.hex(startOf(service).getSpanId()));
    var ends = calls.stream().filter(c -> c.method().equals("EndSpan")).toList();
    assertEquals(1, ends.size(), "one end of " + service);
    assertEquals("EndSpan", calls.get(calls.size() - 1).method(), "nothing after the end");
    return (EndSpanRequest) ends.get(0).request();
  }
}
