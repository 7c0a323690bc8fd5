"""The whole of what a Python service needs to report its spans to traceledger.

Not an SDK: the stock grpcio channel, the stubs generated from proto/ (in
examples/proto-python/src/gen) and W3C traceparent parsing and formatting.
StartSpan continues the caller's traceparent, AddSpanEvent and RecordError act
on the running span, EndSpan gives the outcome. Span ids are chosen here, not
by the server, so a retried call is recognised and the outgoing traceparent is
known even when traceledger cannot be reached: tracing problems are logged and
never fail the request. Each call waits at most DEFAULT_TIMEOUT_S, so a
traceledger that does not answer adds at most that much per call to a request.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import grpc

from traceledger.v1.attributes_pb2 import AnyValue, KeyValue
from traceledger.v1.span_types_pb2 import SpanKind, Status, StatusCode
from traceledger.v1.tracing_service_pb2 import (
    AddSpanEventRequest,
    EndSpanRequest,
    RecordErrorRequest,
    StartSpanRequest,
)
from traceledger.v1.tracing_service_pb2_grpc import TracingServiceStub

# Version 00: exactly 55 characters, lowercase hex (https://www.w3.org/TR/trace-context/).
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
SAMPLED = 0x01
# Short: every call runs on the request path, and a slow traceledger must not slow the host.
DEFAULT_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class SpanRef:
    """A span by its W3C ids: what the calls after StartSpan and the next service need."""

    trace_id: bytes
    span_id: bytes
    flags: int = SAMPLED

    @property
    def traceparent(self) -> str:
        """The header to send downstream: this span becomes the callee's parent."""
        return format_traceparent(self.trace_id, self.span_id, self.flags)


def format_traceparent(trace_id: bytes, span_id: bytes, flags: int = SAMPLED) -> str:
    return f"00-{trace_id.hex()}-{span_id.hex()}-{flags:02x}"


def parse_traceparent(header: str | None) -> SpanRef | None:
    """The caller's span, or None when the header is missing or invalid (start a new trace then)."""
    match = _TRACEPARENT.match((header or "").strip(" \t"))
    if match is None:
        return None
    trace_id, span_id = bytes.fromhex(match[1]), bytes.fromhex(match[2])
    if not any(trace_id) or not any(span_id):
        return None
    return SpanRef(trace_id, span_id, int(match[3], 16))


def _attributes(values: Mapping[str, str]) -> list[KeyValue]:
    return [KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in values.items()]


class Lifecycle:
    """StartSpan / AddSpanEvent / RecordError / EndSpan over one gRPC channel (plaintext h2c)."""

    def __init__(self, target: str, service_name: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._channel = grpc.insecure_channel(target)
        self._stub = TracingServiceStub(self._channel)
        self._service_name = service_name
        self._timeout_s = timeout_s

    def start_span(self, name: str, traceparent: str | None, tracestate: str = "") -> SpanRef:
        parent = parse_traceparent(traceparent)
        span = SpanRef(parent.trace_id if parent else os.urandom(16), os.urandom(8), parent.flags if parent else SAMPLED)
        self._call(
            self._stub.StartSpan,
            StartSpanRequest(
                trace_id=span.trace_id,
                span_id=span.span_id,
                # Sets the parent; a parent this trace does not know yet is recorded as remote.
                traceparent=parent.traceparent if parent else "",
                tracestate=tracestate if parent else "",
                name=name,
                kind=SpanKind.SPAN_KIND_SERVER,
                service_name=self._service_name,
            ),
        )
        return span

    def add_event(self, span: SpanRef, name: str, attributes: Mapping[str, str] = {}) -> None:
        self._call(
            self._stub.AddSpanEvent,
            AddSpanEventRequest(traceparent=span.traceparent, event_id=os.urandom(8).hex(), name=name, attributes=_attributes(attributes)),
        )

    def record_error(self, span: SpanRef, error_type: str, message: str) -> None:
        self._call(
            self._stub.RecordError,
            RecordErrorRequest(traceparent=span.traceparent, error_id=os.urandom(8).hex(), error_type=error_type, message=message),
        )

    def end_span(self, span: SpanRef, error: str | None = None) -> None:
        status = Status(code=StatusCode.STATUS_CODE_ERROR, message=error) if error else Status(code=StatusCode.STATUS_CODE_OK)
        self._call(self._stub.EndSpan, EndSpanRequest(traceparent=span.traceparent, status=status))

    def close(self) -> None:
        self._channel.close()

    def _call(self, method: Callable[..., Any], request: Any) -> None:
        try:
            method(request, timeout=self._timeout_s)
        except grpc.RpcError as error:
            print(f"traceledger: {type(request).__name__} failed: {error}", file=sys.stderr, flush=True)
