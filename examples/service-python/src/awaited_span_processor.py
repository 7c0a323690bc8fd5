"""Exports each finished span in the background and lets the request that ended
it wait for the export, at most wait_s, so that the span is stored before the
service answers.

As the lifecycle's span sender does: after an export failed or was not waited
out, no request waits until an export succeeds again, so an OTLP endpoint that
is away or silent costs the requests of an outage nothing (the exports still
run, one at a time, and the first one to succeed ends it).
"""

from __future__ import annotations

import queue
import sys
import threading
import time

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

# What waits to be exported while the endpoint is slow or away; more is dropped (and logged).
QUEUE_SIZE = 10_000

_STOP = object()


class AwaitedSpanProcessor(SpanProcessor):
    def __init__(self, exporter: SpanExporter, wait_s: float, drain_s: float) -> None:
        self._exporter = exporter
        self._wait_s = wait_s
        self._drain_s = drain_s
        self._queue: queue.Queue[tuple[ReadableSpan, threading.Event] | object] = queue.Queue(QUEUE_SIZE)
        # False from a failed or unawaited export until one succeeds: no request waits meanwhile.
        self.responsive = True
        # A daemon: an endpoint that is away must not keep a stopping process alive.
        self._thread = threading.Thread(target=self._run, name="otel-export", daemon=True)
        self._thread.start()

    def on_end(self, span: ReadableSpan) -> None:
        if not (span.context and span.context.trace_flags.sampled):
            return
        exported = threading.Event()
        try:
            self._queue.put_nowait((span, exported))
        except queue.Full:
            _log("OpenTelemetry span dropped: the export queue is full")
            return
        if self.responsive and not exported.wait(self._wait_s):
            # Not exported within the budget: the next requests must not wait.
            self.responsive = False

    def shutdown(self) -> None:
        """Exports what is queued, waiting at most drain_s, and shuts the exporter down."""
        deadline = time.monotonic() + self._drain_s
        try:
            self._queue.put(_STOP, timeout=self._drain_s)
        except queue.Full:
            pass
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # nothing is kept back: each span is queued for export as it ends

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            assert isinstance(item, tuple)
            span, exported = item
            # The exporter's own HTTP calls are not to be traced.
            token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
            try:
                succeeded = self._exporter.export((span,)) is SpanExportResult.SUCCESS
            except Exception as error:  # a broken exporter must not stop the thread
                _log(f"OpenTelemetry export failed: {error!r}")
                succeeded = False
            finally:
                detach(token)
            # Before the waiting request is let go: the next one must already know whether to wait.
            self.responsive = succeeded
            exported.set()


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
