package dev.traceledger.examples.service;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Exports each span as it ends and lets the request that ended it wait for the export, at most
 * {@code wait}, so that the span is stored before the service answers.
 *
 * <p>As the lifecycle's {@link SpanSender} does: after an export failed or was not waited out, no
 * request waits until an export succeeds again, so an OTLP endpoint that is away or silent costs
 * the requests of an outage nothing (the exports still run, and the first one to succeed ends it).
 */
final class AwaitedSpanProcessor implements SpanProcessor {
  private final SpanExporter exporter;
  private final Duration wait;
  private final Set<CompletableResultCode> pending = ConcurrentHashMap.newKeySet();
  /** False from a failed or unawaited export until one succeeds: no request waits meanwhile. */
  private volatile boolean responsive = true;

  AwaitedSpanProcessor(SpanExporter exporter, Duration wait) {
    this.exporter = exporter;
    this.wait = wait;
  }

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public void onEnd(ReadableSpan span) {
    if (!span.getSpanContext().isSampled()) return;
    CompletableResultCode exported = exporter.export(List.of(span.toSpanData()));
    pending.add(exported);
    // Registered before the join below, so it runs first: the next request already knows whether to wait.
    exported.whenComplete(() -> {
      pending.remove(exported);
      responsive = exported.isSuccess();
    });
    // Not exported within the budget: the next requests must not wait.
    if (responsive && !exported.join(wait.toMillis(), TimeUnit.MILLISECONDS).isDone()) responsive = false;
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofAll(List.copyOf(pending));
  }

  /** Completes once the exports under way are over; then shuts the exporter down. */
  @Override
  public CompletableResultCode shutdown() {
    CompletableResultCode down = new CompletableResultCode();
    forceFlush().whenComplete(() -> exporter.shutdown().whenComplete(down::succeed));
    return down;
  }
}
