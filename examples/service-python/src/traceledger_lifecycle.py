"""The whole of what a Python service needs to report its spans to traceledger.

Not an SDK: the stock grpcio channel, the stubs generated from proto/ (in
examples/proto-python/src/gen) and W3C Trace Context (trace_context.py).
StartSpan continues the caller's traceparent, AddSpanEvent and RecordError act
on the running span, EndSpan gives the outcome. Span ids are chosen here, not
by the server, so a retried call is recognised and the outgoing traceparent is
known even when traceledger cannot be reached. The calls are made by a
background sender (span_sender.py), in order, retried while traceledger is
UNAVAILABLE: tracing problems are logged and never fail or hold up a request.
Only StartSpan is waited for, at most DEFAULT_TIMEOUT_S, so that the next
service's span finds its parent already stored; a traceledger known to be
silent is not waited for at all.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc

from sampling import Sampler
from span_sender import DEFAULT_RETRY, RetryPolicy, SpanSender
from trace_context import RANDOM_TRACE_ID, SAMPLED, SpanRef, combine_tracestate, format_traceparent, parent_of
from traceledger.v1.attributes_pb2 import AnyValue, KeyValue
from traceledger.v1.span_types_pb2 import SpanEndReason, SpanKind, Status, StatusCode
from traceledger.v1.tracing_service_pb2 import (
    AddSpanEventRequest,
    EndSpanRequest,
    RecordErrorRequest,
    StartSpanRequest,
)
from traceledger.v1.tracing_service_pb2_grpc import TracingServiceStub

# Each call's deadline, and the most a request waits for its span's start: short,
# because a slow traceledger must not slow the host.
DEFAULT_TIMEOUT_S = 0.5
# How long close() waits for the calls still queued: a stopping service ends its
# spans, but a traceledger that is away must not keep it alive.
DRAIN_TIMEOUT_S = 5.0
# The most a starting service waits in await_connection: a first call made over a
# connection still being set up could miss its DEFAULT_TIMEOUT_S, and a start lost
# to a deadline is not retried (span_sender.py).
CONNECT_WAIT_S = 3.0
# The states that end that wait: connected, or failed to (traceledger is away: the
# sender's retries cover that, so it is not waited for).
_SETTLED = (grpc.ChannelConnectivity.READY, grpc.ChannelConnectivity.TRANSIENT_FAILURE, grpc.ChannelConnectivity.SHUTDOWN)
# grpcio waits up to 2 minutes between reconnections by default, far past the
# retries: after an outage, reconnect within a second of traceledger's return.
# The "min" is gRPC's minimum connect timeout (doc/connection-backoff.md), the time
# a handshake is given, not a backoff: kept long, as in the Go service.
_RECONNECT_PROMPTLY = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.min_reconnect_backoff_ms", 5000),
]


@dataclass(frozen=True)
class Span:
    """A running span: its ids (sent downstream) and the caller's tracestate."""

    ref: SpanRef
    # The caller's, its header lines combined; "" when it was invalid, or when the
    # caller's traceparent was (it is then meaningless).
    tracestate: str = ""
    # False in a trace the caller did not sample: no calls at all.
    recorded: bool = True

    @property
    def traceparent(self) -> str:
        return self.ref.traceparent

    def headers(self) -> dict[str, str]:
        """The headers that make this span the parent of the next service's."""
        return {"traceparent": self.traceparent, **({"tracestate": self.tracestate} if self.tracestate else {})}


def _attributes(values: Mapping[str, str]) -> list[KeyValue]:
    return [KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in values.items()]


class Lifecycle:
    """StartSpan / AddSpanEvent / RecordError / EndSpan over one gRPC channel (plaintext h2c)."""

    def __init__(
        self, target: str, service_name: str, timeout_s: float = DEFAULT_TIMEOUT_S, retry: RetryPolicy = DEFAULT_RETRY, sample_rate: float = 1.0
    ) -> None:
        """sample_rate: head sampling of the traces this service starts, 0..1 (sampling.py)."""
        self._sampler = Sampler(sample_rate)
        self._channel = grpc.insecure_channel(target, options=_RECONNECT_PROMPTLY)
        self._stub = TracingServiceStub(self._channel)
        self._service_name = service_name
        self._timeout_s = timeout_s
        self._sender = SpanSender(timeout_s, retry)

    def await_connection(self, wait_s: float = CONNECT_WAIT_S) -> bool:
        """Connects now and waits until the channel is ready, or has failed to connect,
        or wait_s has passed; whether it is ready. A service calls it before it says it
        is listening: on a busy machine a cold connection took longer than a call's
        deadline, and the first span was lost."""
        settled = threading.Event()
        last: list[grpc.ChannelConnectivity] = []

        def changed(state: grpc.ChannelConnectivity) -> None:
            last.append(state)
            if state in _SETTLED:
                settled.set()

        # Called at once with the current state, then on each change, from grpcio's thread.
        self._channel.subscribe(changed, try_to_connect=True)
        try:
            settled.wait(wait_s)
        finally:
            self._channel.unsubscribe(changed)
        return bool(last) and last[-1] == grpc.ChannelConnectivity.READY

    def start_span(self, name: str, traceparent: Sequence[str], tracestate: Sequence[str] = ()) -> Span:
        """A SERVER span, the child of the caller's traceparent (its header lines: a
        root span when it is missing, repeated or invalid). The caller's sampled flag
        is followed, as the gateway's SDK does: in a trace it did not sample, the span
        gets its own id and is propagated (flags 00, or 02 with the random trace-id
        flag) but not recorded. The caller's flags are passed on as W3C Trace Context
        Level 2 has it: sampled and random trace-id unchanged, the reserved bits zero.
        A new trace has a random id (flag 02), and is sampled by it at the sample
        rate: propagated with flags 03, or 02 and not recorded when it is not sampled."""
        parent = parent_of(traceparent)
        if parent is None:
            trace_id = os.urandom(16)
            sampled = self._sampler.sample(trace_id)
            flags = RANDOM_TRACE_ID | (SAMPLED if sampled else 0)
            span = Span(SpanRef(trace_id, os.urandom(8), flags), recorded=sampled)
        else:
            # Only the flags understood here are passed on; W3C has the reserved ones sent as zero.
            ref = SpanRef(parent.trace_id, os.urandom(8), parent.flags & (SAMPLED | RANDOM_TRACE_ID))
            span = Span(ref, combine_tracestate(tracestate), recorded=(parent.flags & SAMPLED) != 0)
        if not span.recorded:
            return span
        tried = threading.Event()
        self._sender.enqueue(
            self._stub.StartSpan,
            StartSpanRequest(
                trace_id=span.ref.trace_id,
                span_id=span.ref.span_id,
                # Sets the parent; a parent this trace does not know yet is recorded as remote.
                # With the flags this span passes on: traceledger stores the span with them.
                traceparent=format_traceparent(parent.trace_id, parent.span_id, span.ref.flags) if parent else "",
                tracestate=span.tracestate,
                # Counts only where neither a traceparent nor a parent in the trace gives the
                # flags (a root span here): traceledger then stores the span with the flag.
                random_trace_id=(span.ref.flags & RANDOM_TRACE_ID) != 0,
                name=name,
                kind=SpanKind.SPAN_KIND_SERVER,
                service_name=self._service_name,
            ),
            tried,
        )
        if self._sender.responsive and not tried.wait(self._timeout_s):
            # No answer within the budget is the sign of a silent traceledger: the next requests must not wait.
            self._sender.responsive = False
        return span

    def add_event(self, span: Span, name: str, attributes: Mapping[str, str] = {}) -> None:
        if span.recorded:
            request = AddSpanEventRequest(traceparent=span.traceparent, event_id=os.urandom(8).hex(), name=name, attributes=_attributes(attributes))
            self._sender.enqueue(self._stub.AddSpanEvent, request)

    def record_error(self, span: Span, error_type: str, message: str) -> None:
        if span.recorded:
            request = RecordErrorRequest(traceparent=span.traceparent, error_id=os.urandom(8).hex(), error_type=error_type, message=message)
            self._sender.enqueue(self._stub.RecordError, request)

    def end_span(self, span: Span, error: str | None = None, cancelled: bool = False) -> None:
        """Status ERROR with error; else OK, or left unset when cancelled: a span whose
        caller hung up did not fail, it was cut short (as the gateway's SDK has it)."""
        if span.recorded:
            if error:
                status: Status | None = Status(code=StatusCode.STATUS_CODE_ERROR, message=error)
            else:
                status = None if cancelled else Status(code=StatusCode.STATUS_CODE_OK)
            reason = SpanEndReason.SPAN_END_REASON_CANCELLED if cancelled else SpanEndReason.SPAN_END_REASON_UNSPECIFIED
            self._sender.enqueue(self._stub.EndSpan, EndSpanRequest(traceparent=span.traceparent, status=status, end_reason=reason))

    def close(self, grace_s: float = DRAIN_TIMEOUT_S) -> None:
        """Sends what is still queued, waiting at most grace_s, and closes the channel."""
        self._sender.close(grace_s)
        self._channel.close()
