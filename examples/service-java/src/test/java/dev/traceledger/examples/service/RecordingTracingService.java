package dev.traceledger.examples.service;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import traceledger.v1.TracingServiceGrpc;
import traceledger.v1.TracingServiceOuterClass.AddSpanEventRequest;
import traceledger.v1.TracingServiceOuterClass.AddSpanEventResponse;
import traceledger.v1.TracingServiceOuterClass.EndSpanRequest;
import traceledger.v1.TracingServiceOuterClass.EndSpanResponse;
import traceledger.v1.TracingServiceOuterClass.RecordErrorRequest;
import traceledger.v1.TracingServiceOuterClass.RecordErrorResponse;
import traceledger.v1.TracingServiceOuterClass.StartSpanRequest;
import traceledger.v1.TracingServiceOuterClass.StartSpanResponse;

/**
 * A stand-in for traceledger that records the lifecycle calls it receives, in order. The real
 * server is exercised across languages by the polyglot end-to-end test; this one lets the
 * service's own test see exactly what it sent.
 */
final class RecordingTracingService extends TracingServiceGrpc.TracingServiceImplBase {
  /** One call: its method, the trace and span it names (hex) and the request as received. */
  record Call(String method, String traceId, String spanId, Message request) {}

  private final List<Call> calls = new ArrayList<>();
  /** When set, StartSpan records the call and then answers with this status instead. */
  volatile Status startFailure;

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  synchronized List<Call> callsOf(String spanId) {
    return calls.stream().filter(c -> c.spanId().equals(spanId)).toList();
  }

  /** The calls of a span once its EndSpan has arrived: the calls leave in the background, in order. */
  List<Call> endedCallsOf(String spanId) {
    return endedCallsOf(spanId, 5);
  }

  List<Call> endedCallsOf(String spanId, int withinSeconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(withinSeconds);
    while (true) {
      var calls = callsOf(spanId);
      if (calls.stream().anyMatch(c -> c.method().equals("EndSpan"))) return calls;
      if (System.nanoTime() > deadline) throw new AssertionError("no EndSpan of " + spanId + " after " + withinSeconds + " s: " + calls);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  synchronized List<StartSpanRequest> starts() {
    return calls.stream().filter(c -> c.method().equals("StartSpan")).map(c -> (StartSpanRequest) c.request()).toList();
  }

  @Override
  public void startSpan(StartSpanRequest request, StreamObserver<StartSpanResponse> answer) {
    record("StartSpan", hex(request.getTraceId()), hex(request.getSpanId()), request);
    if (startFailure != null) {
      answer.onError(startFailure.asRuntimeException());
      return;
    }
    answer.onNext(StartSpanResponse.newBuilder().setTraceId(request.getTraceId()).setSpanId(request.getSpanId()).build());
    answer.onCompleted();
  }

  @Override
  public void addSpanEvent(AddSpanEventRequest request, StreamObserver<AddSpanEventResponse> answer) {
    record("AddSpanEvent", request.getTraceparent(), request);
    answer.onNext(AddSpanEventResponse.getDefaultInstance());
    answer.onCompleted();
  }

  @Override
  public void recordError(RecordErrorRequest request, StreamObserver<RecordErrorResponse> answer) {
    record("RecordError", request.getTraceparent(), request);
    answer.onNext(RecordErrorResponse.getDefaultInstance());
    answer.onCompleted();
  }

  @Override
  public void endSpan(EndSpanRequest request, StreamObserver<EndSpanResponse> answer) {
    record("EndSpan", request.getTraceparent(), request);
    answer.onNext(EndSpanResponse.getDefaultInstance());
    answer.onCompleted();
  }

  private void record(String method, String traceparent, Message request) {
    var span = Traceparent.parse(traceparent);
    record(method, span.map(Traceparent::traceId).orElse(""), span.map(Traceparent::spanId).orElse(""), request);
  }

  private synchronized void record(String method, String traceId, String spanId, Message request) {
    calls.add(new Call(method, traceId, spanId, request));
  }

  static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }
}
