"""A stand-in traceledger for the tests: a real grpcio server on loopback that
records the span calls it receives, and can go away and come back on the same
port, as a restarting traceledger does. The real server is exercised across the
four languages by examples/polyglot-e2e; this one lets the service's own tests
see exactly what was sent."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import grpc

from traceledger.v1.tracing_service_pb2 import (
    AddSpanEventResponse,
    EndSpanResponse,
    RecordErrorResponse,
    StartSpanResponse,
)
from traceledger.v1.tracing_service_pb2_grpc import TracingServiceServicer, add_TracingServiceServicer_to_server

Calls = list[tuple[str, Any]]


class StandinTraceledger(TracingServiceServicer):
    def __init__(self) -> None:
        self.port = 0
        self._calls: Calls = []
        self._lock = threading.Lock()
        self._server: grpc.Server | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> StandinTraceledger:
        """Serves, on the same port as before after a stop."""
        server = grpc.server(ThreadPoolExecutor(max_workers=4))
        add_TracingServiceServicer_to_server(self, server)
        self.port = server.add_insecure_port(f"127.0.0.1:{self.port}")
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Closes the port and every connection: calls now find it UNAVAILABLE."""
        if self._server is not None:
            self._server.stop(None).wait()
            self._server = None

    def calls(self) -> Calls:
        with self._lock:
            return list(self._calls)

    def wait_for(self, ok: Callable[[Calls], bool], within_s: float = 5.0) -> Calls:
        deadline = time.monotonic() + within_s
        while not ok(calls := self.calls()):
            if time.monotonic() > deadline:
                raise AssertionError(f"after {within_s} s the stand-in traceledger has {[m for m, _ in calls]}")
            time.sleep(0.02)
        return calls

    def _record(self, method: str, request: Any) -> None:
        with self._lock:
            self._calls.append((method, request))

    def StartSpan(self, request: Any, context: Any) -> StartSpanResponse:
        self._record("StartSpan", request)
        return StartSpanResponse(trace_id=request.trace_id, span_id=request.span_id)

    def AddSpanEvent(self, request: Any, context: Any) -> AddSpanEventResponse:
        self._record("AddSpanEvent", request)
        return AddSpanEventResponse()

    def RecordError(self, request: Any, context: Any) -> RecordErrorResponse:
        self._record("RecordError", request)
        return RecordErrorResponse()

    def EndSpan(self, request: Any, context: Any) -> EndSpanResponse:
        self._record("EndSpan", request)
        return EndSpanResponse()
