package dev.traceledger.examples.service;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.List;
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
 * fails is logged, and the span goes on unrecorded while still carrying the trace downstream.
 */
public final class SpanLifecycle {
  private static final Logger LOG = Logger.getLogger(SpanLifecycle.class.getName());
  private static final long DEADLINE_SECONDS = 5;

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
      LOG.warning("StartSpan failed, the span goes unrecorded: " + e.getStatus());
      return new Span(context, state, false);
    }
  }

  public void addEvent(Span span, String name, List<KeyValue> attributes) {
    if (!span.recorded()) return;
    call("AddSpanEvent", () -> stub().addSpanEvent(AddSpanEventRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setName(name)
        .addAllAttributes(attributes)
        .build()));
  }

  public void recordError(Span span, String type, String message) {
    if (!span.recorded()) return;
    call("RecordError", () -> stub().recordError(RecordErrorRequest.newBuilder()
        .setTraceparent(span.traceparent())
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
    return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private static void call(String method, Runnable rpc) {
    try {
      rpc.run();
    } catch (StatusRuntimeException e) {
      LOG.warning(method + " failed: " + e.getStatus());
    }
  }
}
