package dev.traceledger.examples.service;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One span recorded with the stock OpenTelemetry SDK in the same trace as the lifecycle span: the
 * OTLP/HTTP exporter posts finished spans to traceledger's {@code /v1/traces}, and the span's
 * parent is the lifecycle span, named by its W3C traceparent through OpenTelemetry's own
 * propagator.
 *
 * <p>Each span is exported as it ends and the request waits for that ({@link
 * AwaitedSpanProcessor}), so it reaches traceledger while the trace is still running; a batching
 * processor would send it later, as a late arrival. The wait is bounded as the lifecycle calls'
 * is, and skipped while exports fail.
 */
public final class OtelWork implements AutoCloseable {
  static final String SPAN_NAME = "prepare work";
  /** The most a request waits for its span's export, as for its lifecycle span's start. */
  private static final Duration EXPORT_WAIT = Duration.ofMillis(SpanLifecycle.DEADLINE_MILLIS);
  /** One quick retry: a kept-alive connection the receiver closed fails the first attempt. */
  private static final Duration RETRY_BACKOFF = Duration.ofMillis(100);
  private static final long FLUSH_SECONDS = 5;
  private static final TextMapGetter<Map<String, String>> MAP_GETTER = (carrier, key) -> carrier == null ? null : carrier.get(key);

  private final SdkTracerProvider provider;
  private final Tracer tracer;

  /** Exports to {@code endpoint}, the full URL of the OTLP/HTTP traces route. */
  public OtelWork(String serviceName, URI endpoint) {
    var exporter = OtlpHttpSpanExporter.builder()
        .setEndpoint(endpoint.toString())
        // The defaults, 10 s per attempt and five attempts over seconds of backoff, would keep an
        // export of an outage going long after the request stopped waiting for it.
        .setConnectTimeout(EXPORT_WAIT)
        .setTimeout(EXPORT_WAIT)
        .setRetryPolicy(RetryPolicy.builder().setMaxAttempts(2).setInitialBackoff(RETRY_BACKOFF).setMaxBackoff(RETRY_BACKOFF).build())
        .build();
    this.provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName))))
        .addSpanProcessor(new AwaitedSpanProcessor(exporter, EXPORT_WAIT))
        .build();
    this.tracer = provider.get("traceledger.examples.service-java");
  }

  /** Records the "prepare work" span as a child of the span that {@code traceparent} names. */
  public void prepare(String traceparent, String fail) {
    Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), Map.of("traceparent", traceparent), MAP_GETTER);
    Span span = tracer.spanBuilder(SPAN_NAME).setParent(parent).setAttribute("work.fail", fail).startSpan();
    span.end(); // waits for the export, see AwaitedSpanProcessor
  }

  @Override
  public void close() {
    provider.shutdown().join(FLUSH_SECONDS, TimeUnit.SECONDS);
  }
}
