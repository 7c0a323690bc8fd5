package dev.traceledger.examples.service;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>Span ids are chosen here, so the outgoing traceparent is known before any call returns and a
 * retried call is recognised by the server. The calls are made by a background {@link SpanSender},
 * in order, retried while traceledger is UNAVAILABLE: tracing never fails or holds up a request.
 * Only the start is waited for, at most one call's 500 ms deadline, so that the next service's
 * span finds its parent already stored; a traceledger known to be silent is not waited for at all.
 * A start the server rejected outright leaves the span unrecorded (still carrying the trace
 * downstream); a start that merely went unanswered may have been stored, so the span's later
 * calls are still made.
 */
public final class SpanLifecycle {
  static final long DEADLINE_MILLIS = 500;
  /** How long {@link #close} waits for the calls still queued by default. */
  static final Duration DRAIN = Duration.ofSeconds(5);
  /**
   * Answers that say the server did not store the start. Anything else (DEADLINE_EXCEEDED,
   * UNAVAILABLE, CANCELLED...) leaves that open, and EndSpan with the same ids is harmless then.
   */
  private static final Set<Code> REJECTED = EnumSet.of(Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION,
      Code.ALREADY_EXISTS, Code.OUT_OF_RANGE, Code.PERMISSION_DENIED, Code.UNAUTHENTICATED, Code.UNIMPLEMENTED);

  /**
   * A running span: its own context (sent downstream), the caller's tracestate (its header lines
   * combined; "" when it or the caller's traceparent was invalid), and whether it is recorded: not
   * in a trace the caller did not sample, and not once traceledger rejected its start.
   */
  public static final class Span {
    private final Traceparent context;
    private final String tracestate;
    private final CountDownLatch tried = new CountDownLatch(1);
    private volatile boolean rejected;

    Span(Traceparent context, String tracestate) {
      this.context = context;
      this.tracestate = tracestate;
    }

    public Traceparent context() {
      return context;
    }

    public String tracestate() {
      return tracestate;
    }

    public String traceparent() {
      return context.format();
    }

    public boolean recorded() {
      return context.sampled() && !rejected;
    }
  }

  private final TracingServiceBlockingStub stub;
  private final String serviceName;
  private final SpanSender sender;
  private final Sampler sampler;

  public SpanLifecycle(Channel channel, String serviceName) {
    this(channel, serviceName, 1);
  }

  /** With head sampling of the traces this service starts at sampleRate, 0..1 (see {@link Sampler}). */
  public SpanLifecycle(Channel channel, String serviceName, double sampleRate) {
    this(channel, serviceName, SpanSender.RetryPolicy.DEFAULT, sampleRate);
  }

  SpanLifecycle(Channel channel, String serviceName, SpanSender.RetryPolicy retry) {
    this(channel, serviceName, retry, 1);
  }

  SpanLifecycle(Channel channel, String serviceName, SpanSender.RetryPolicy retry, double sampleRate) {
    this.stub = TracingServiceGrpc.newBlockingStub(channel);
    this.serviceName = serviceName;
    this.sender = new SpanSender(channel, retry);
    this.sampler = new Sampler(sampleRate);
  }

  /**
   * Starts a SERVER span, the child of the caller's traceparent (its header lines: a new root when
   * it is absent, repeated or invalid). The caller's sampled flag is followed, as the gateway's SDK
   * does: in a trace it did not sample, the span gets its own id and is propagated (flags 00) but
   * not recorded. A new trace is sampled by its id at the sample rate, and likewise propagated
   * (flags 02) and not recorded when it is not. The random trace-id flag (Level 2's bit 1) is set
   * on every new trace, whose id is random, and a caller's is passed on unchanged.
   */
  public Span startServerSpan(String name, List<String> traceparent, List<String> tracestate) {
    var parent = Traceparent.parentOf(traceparent);
    Span span = parent.map(p -> new Span(p.newChild(), Tracestate.combine(tracestate))).orElseGet(() -> new Span(newRoot(), ""));
    if (!span.recorded()) return span;
    var request = StartSpanRequest.newBuilder()
        .setTraceId(ByteString.copyFrom(span.context.traceIdBytes()))
        .setSpanId(ByteString.copyFrom(span.context.spanIdBytes()))
        .setName(name)
        .setKind(SpanKind.SPAN_KIND_SERVER)
        .setServiceName(serviceName)
        .setTracestate(span.tracestate)
        .setScopeName("traceledger-example-java")
        .addResourceAttributes(text("service.name", serviceName))
        .addResourceAttributes(text("telemetry.sdk.language", "java"))
        // Whether the trace id is random: traceledger stores it with the span where no traceparent
        // and no parent in the trace give the flags (here, a root span).
        .setRandomTraceId(span.context.randomTraceId());
    // Sets the parent (as version 00, whatever version it came in); a parent this trace does not
    // know yet is recorded as remote. With the flags this span passes on: traceledger stores the
    // span with them.
    parent.ifPresent(p -> request.setTraceparent(new Traceparent(p.traceId(), p.spanId(), span.context.flags()).format()));
    sender.enqueue("StartSpan", () -> {
      try {
        stub().startSpan(request.build());
      } catch (StatusRuntimeException e) {
        span.rejected = REJECTED.contains(e.getStatus().getCode());
        throw e;
      }
    }, span.tried);
    if (sender.responsive()) {
      try {
        // No answer within the budget is the sign of a silent traceledger: the next requests must not wait.
        if (!span.tried.await(DEADLINE_MILLIS, TimeUnit.MILLISECONDS)) sender.unanswered();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return span;
  }

  public void addEvent(Span span, String name, List<KeyValue> attributes) {
    var request = AddSpanEventRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setEventId(randomId()) // lets the server recognise this event if the call is resent
        .setName(name)
        .addAllAttributes(attributes)
        .build();
    enqueue(span, "AddSpanEvent", () -> stub().addSpanEvent(request));
  }

  public void recordError(Span span, String type, String message) {
    var request = RecordErrorRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setErrorId(randomId()) // lets the server recognise this error if the call is resent
        .setErrorType(type)
        .setMessage(message)
        .build();
    enqueue(span, "RecordError", () -> stub().recordError(request));
  }

  /** Ends the span with OK, or with ERROR and a message. */
  public void end(Span span, StatusCode code, String message, List<KeyValue> attributes) {
    var request = EndSpanRequest.newBuilder()
        .setTraceparent(span.traceparent())
        .setStatus(Status.newBuilder().setCode(code).setMessage(message))
        .addAllAttributes(attributes)
        .build();
    enqueue(span, "EndSpan", () -> stub().endSpan(request));
  }

  /** Sends what is still queued, waiting at most {@code grace}; the channel is the caller's to close. */
  public boolean close(Duration grace) {
    return sender.close(grace);
  }

  public static KeyValue text(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  public static KeyValue integer(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  /** Checked when the call's turn comes: by then the span's start, queued before it, has its outcome. */
  private void enqueue(Span span, String method, Runnable rpc) {
    if (!span.recorded()) return;
    sender.enqueue(method, () -> {
      if (span.recorded()) rpc.run();
    }, null);
  }

  private TracingServiceBlockingStub stub() {
    return stub.withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** A new trace, sampled or not by its id; its id is random either way (flags 03 or 02). */
  private Traceparent newRoot() {
    Traceparent root = Traceparent.newRoot();
    return sampler.sample(root.traceId()) ? root : new Traceparent(root.traceId(), root.spanId(), Traceparent.RANDOM_TRACE_ID);
  }

  private static String randomId() {
    byte[] id = new byte[8];
    ThreadLocalRandom.current().nextBytes(id);
    return HexFormat.of().formatHex(id);
  }
}
