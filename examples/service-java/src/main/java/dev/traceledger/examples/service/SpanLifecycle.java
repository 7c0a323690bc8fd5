package dev.traceledger.examples.service;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.Status.Code;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import traceledger.v1.Attributes.AnyValue;
import traceledger.v1.Attributes.KeyValue;
import traceledger.v1.SpanTypes.SpanKind;
import traceledger.v1.SpanTypes.Status;
import traceledger.v1.SpanTypes.StatusCode;
import traceledger.v1.TracingServiceGrpc;
import traceledger.v1.TracingServiceGrpc.TracingServiceBlockingStub;
import traceledger.v1.TracingServiceOuterClass.AddSpanEventRequest;
import traceledger.v1.TracingServiceOuterClass.EndSpanRequest;
import traceledger.v1.TracingServiceOuterClass.RecordErrorRequest;
import traceledger.v1.TracingServiceOuterClass.StartSpanRequest;

/**
 * The minimum a Java service writes to put its spans into traceledger with stock grpc-java and the
 * generated stubs: start a span from an incoming traceparent, add events and errors, end it.
 *
 * <p>Span ids are chosen here, so the outgoing traceparent is known before the call returns and a
 * retried start would be recognised by the server. Tracing never fails a request: a call that
 * fails is logged. Each call waits at most 500 ms, since it runs on the request path and a
 * traceledger that does not answer must not slow the host. A start the server rejected outright
 * leaves the span unrecorded (still carrying the trace downstream); a start that merely went
 * unanswered may have been stored, so the span's later calls are still made.
 */
public final class SpanLifecycle {
  private static final Logger LOG = Logger.getLogger(SpanLifecycle.class.getName());
  private static final long DEADLINE_MILLIS = 500;
  /**
   * Answers that say the server did not store the start. Anything else (DEADLINE_EXCEEDED,
   * UNAVAILABLE, CANCELLED...) leaves that open, and EndSpan with the same ids is harmless then.
   */
  private static final Set<Code> REJECTED = EnumSet.of(Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION,
      Code.ALREADY_EXISTS, Code.OUT_OF_RANGE, Code.PERMISSION_DENIED, Code.UNAUTHENTICATED, Code.UNIMPLEMENTED);

  /** A running span: its own context (sent downstream) and whether traceledger has it. */
  public record Span(Traceparent context, String tracestate, boolean recorded) {
    public String traceparent() {
      return context.format();
    }
  }

  private final TracingServiceBlockingStub stub;
  private final String serviceName;

  public SpanLifecycle(Channel channel, String serviceName) {
    this.stub = TracingServiceGrpc.newBlockingStub(channel);
    this.serviceName = serviceName;
  }

  /** Starts a SERVER span, the child of {@code traceparent} or a new root when it is absent or invalid. */
  public Span startServerSpan(String name, String traceparent, String tracestate) {
    var parent = Traceparent.parse(traceparent);
    Traceparent context = parent.map(Traceparent::newChild).orElseGet(Traceparent::newRoot);
    String state = tracestate == null ? "" : tracestate;
    var request = StartSpanRequest.newBuilder()
        .setTraceId(ByteString.copyFrom(context.traceIdBytes()))
        .setSpanId(ByteString.copyFrom(context.spanIdBytes()))
        .setName(name)
        .setKind(SpanKind.SPAN_KIND_SERVER)
        .setServiceName(serviceName)
        .setTracestate(state)
        .setScopeName("traceledger-example-java")
        .addResourceAttributes(text("service.name", serviceName))
        .addResourceAttributes(text("telemetry.sdk.language", "java"));
    parent.ifPresent(p -> request.setTraceparent(traceparent.trim()));
    try {
      stub().startSpan(request.build());
      return new Span(context, state, true);
    } catch (StatusRuntimeException e) {
      boolean rejected = REJECTED.contains(e.getStatus().getCode());
      LOG.warning("StartSpan failed" + (rejected ? ", the span goes unrecorded: " : ": ") + e.getStatus());
      return new Span(context, state, !rejected);
    }
  }

  public void addEvent(Span span, String name, List<KeyValue> attributes) {
    if (!span.recorded()) return;
    call("AddSpanEvent", () -> stub().addSpanEvent(AddSpanEventRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setEventId(randomId()) // lets the server recognise this event if the call is resent
        .setName(name)
        .addAllAttributes(attributes)
        .build()));
  }

  public void recordError(Span span, String type, String message) {
    if (!span.recorded()) return;
    call("RecordError", () -> stub().recordError(RecordErrorRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setErrorId(randomId()) // lets the server recognise this error if the call is resent
        .setErrorType(type)
        .setMessage(message)
        .build()));
  }

  /** Ends the span with OK, or with ERROR and a message. */
  public void end(Span span, StatusCode code, String message, List<KeyValue> attributes) {
    if (!span.recorded()) return;
    call("EndSpan", () -> stub().endSpan(EndSpanRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setStatus(Status.newBuilder().setCode(code).setMessage(message))
        .addAllAttributes(attributes)
        .build()));
  }

  public static KeyValue text(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  public static KeyValue integer(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  private TracingServiceBlockingStub stub() {
    return stub.withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static String randomId() {
    byte[] id = new byte[8];
    ThreadLocalRandom.current().nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  private static void call(String method, Runnable rpc) {
    try {
      rpc.run();
    } catch (StatusRuntimeException e) {
      LOG.warning(method + " failed: " + e.getStatus());
    }
  }
}
