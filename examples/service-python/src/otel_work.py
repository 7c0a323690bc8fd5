"""One span from the stock OpenTelemetry SDK, in the same trace as the lifecycle span.

The OTLP/HTTP exporter sends finished spans to traceledger's HTTP port
(POST /v1/traces, protobuf). The span's parent is the lifecycle span, named by
its W3C traceparent through OpenTelemetry's own propagator: W3C ids are all the
two need to share. Each span is exported as it ends and the request waits for
that (AwaitedSpanProcessor), so the span reaches traceledger before the service
answers (a batch exporter could send it after the trace has completed, which
traceledger refuses). The wait is bounded as the lifecycle calls' is, and
skipped while exports fail.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from awaited_span_processor import AwaitedSpanProcessor
from traceledger_lifecycle import DEFAULT_TIMEOUT_S, DRAIN_TIMEOUT_S


class OtelWork:
    def __init__(self, service_name: str, endpoint: str) -> None:
        self._provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        # The exporter's default is 10 s per export, its retries included.
        exporter = OTLPSpanExporter(endpoint=endpoint, timeout=DEFAULT_TIMEOUT_S)
        self._provider.add_span_processor(AwaitedSpanProcessor(exporter, DEFAULT_TIMEOUT_S, DRAIN_TIMEOUT_S))
        self._tracer = self._provider.get_tracer("traceledger.examples.service-python")

    @contextmanager
    def child_of(self, traceparent: str, name: str) -> Iterator[Span]:
        parent = TraceContextTextMapPropagator().extract({"traceparent": traceparent})
        with self._tracer.start_as_current_span(name, context=parent) as span:
            yield span

    def shutdown(self) -> None:
        self._provider.shutdown()
