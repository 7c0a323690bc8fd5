"""W3C Trace Context as the gateway's SDK handles it (packages/sdk/src/propagation):
what reaches the next service and what reaches traceledger, for the headers a
caller may send. Real HTTP on loopback, and a stand-in traceledger that is a real
grpcio server."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from loopback_server import QuietHandler, serve
from service import Service, handler_for
from standin_traceledger import StandinTraceledger
from trace_context import parse_traceparent
from traceledger_lifecycle import Lifecycle

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
INCOMING = f"00-{TRACE}-{PARENT}-01"
UNSAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"


class Next(QuietHandler):
    """The next service: keeps the trace headers of its last call."""

    seen: dict[str, list[str]] = {}

    def do_GET(self) -> None:
        Next.seen = {name: self.headers.get_all(name, []) for name in ("traceparent", "tracestate")}
        self.answer_empty_json()


@pytest.fixture
def traceledger() -> Iterator[StandinTraceledger]:
    standin = StandinTraceledger().start()
    yield standin
    standin.stop()


@pytest.fixture
def service_port(traceledger: StandinTraceledger) -> Iterator[int]:
    lifecycle = Lifecycle(traceledger.target, "service-python")
    for next_port in serve(ThreadingHTTPServer(("127.0.0.1", 0), Next)):
        service = Service("service-python", lifecycle, f"http://127.0.0.1:{next_port}", None)
        yield from serve(ThreadingHTTPServer(("127.0.0.1", 0), handler_for(service)))
    lifecycle.close(0)


def get(port: int, path: str, headers: list[tuple[str, str]]) -> int:
    """GET with the headers as given: a name may repeat, as separate header lines."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def start_of(traceledger: StandinTraceledger, traceparent: str) -> Any:
    """The StartSpan of the span that traceparent names, once it has arrived."""
    span = parse_traceparent(traceparent)
    assert span is not None
    calls = traceledger.wait_for(lambda calls: any(m == "StartSpan" and r.span_id == span.span_id for m, r in calls))
    return next(r for m, r in calls if m == "StartSpan" and r.span_id == span.span_id)


def trace_of(method: str, request: Any) -> str:
    if method == "StartSpan":
        return str(request.trace_id.hex())
    span = parse_traceparent(request.traceparent)
    return span.trace_id.hex() if span else ""


def test_an_unsampled_caller_gets_no_span_but_its_trace_goes_on_unsampled(traceledger: StandinTraceledger, service_port: int) -> None:
    status = get(service_port, "/work?fail=service-python", [("traceparent", UNSAMPLED), ("tracestate", "vendor=abc")])
    assert status == 500
    [sent] = Next.seen["traceparent"]
    assert sent.startswith(UNSAMPLED[:36]) and sent.endswith("-00") and sent != UNSAMPLED
    assert Next.seen["tracestate"] == ["vendor=abc"]

    # The calls leave in order: once a sampled request's span has ended in traceledger,
    # any call of the unsampled one would have arrived before it.
    get(service_port, "/work", [("traceparent", INCOMING)])
    calls = traceledger.wait_for(lambda calls: bool(calls) and calls[-1][0] == "EndSpan")
    assert [m for m, r in calls if trace_of(m, r) == UNSAMPLED[3:35]] == []


def test_an_unsampled_caller_with_a_random_trace_id_keeps_the_flag_and_gets_no_span(traceledger: StandinTraceledger, service_port: int) -> None:
    unsampled_random = UNSAMPLED[:-2] + "02"
    assert get(service_port, "/work", [("traceparent", unsampled_random)]) == 200
    [sent] = Next.seen["traceparent"]
    assert sent.startswith(UNSAMPLED[:36]) and sent.endswith("-02") and sent != unsampled_random

    get(service_port, "/work", [("traceparent", INCOMING)])
    calls = traceledger.wait_for(lambda calls: bool(calls) and calls[-1][0] == "EndSpan")
    assert [m for m, r in calls if trace_of(m, r) == UNSAMPLED[3:35]] == []


# A new trace's id is random (os.urandom): W3C Trace Context Level 2's random trace-id flag
# is set on it, "03" at the default sample rate. A caller's flags are passed on as they came,
# sampled and random trace-id, the reserved bits as zero.
@pytest.mark.parametrize(
    "headers, same_trace, flags, tracestate",
    [
        pytest.param([("traceparent", INCOMING), ("tracestate", "vendor=abc"), ("tracestate", "other=1")], True, "01", "vendor=abc,other=1", id="tracestate lines are combined"),
        pytest.param([("traceparent", INCOMING), ("tracestate", "Vendor=abc")], True, "01", "", id="an invalid tracestate is dropped"),
        pytest.param([("tracestate", "vendor=abc")], False, "03", "", id="a new trace has a random trace id"),
        pytest.param([("traceparent", f"00-{TRACE}-xyz-01"), ("tracestate", "vendor=abc")], False, "03", "", id="an invalid traceparent drops the tracestate"),
        pytest.param([("traceparent", INCOMING), ("traceparent", INCOMING), ("tracestate", "vendor=abc")], False, "03", "", id="a repeated traceparent is invalid"),
        pytest.param([("traceparent", "ff" + INCOMING[2:]), ("tracestate", "vendor=abc")], False, "03", "", id="version ff is invalid"),
        pytest.param([("traceparent", f"cc-{TRACE}-{PARENT}-01-what-comes-next"), ("tracestate", "vendor=abc")], True, "01", "vendor=abc", id="a later version is read by its first fields"),
        pytest.param([("traceparent", f"00-{TRACE}-{PARENT}-03")], True, "03", "", id="the random trace-id flag is kept"),
        pytest.param([("traceparent", f"00-{TRACE}-{PARENT}-ff")], True, "03", "", id="reserved flags are sent as zero"),
        pytest.param([("traceparent", f"00-{TRACE}-{PARENT}-05")], True, "01", "", id="a reserved flag is not taken for random trace-id"),
    ],
)
def test_trace_context_reaches_the_next_service_and_traceledger_as_the_gateway_sends_it(
    traceledger: StandinTraceledger, service_port: int, headers: list[tuple[str, str]], same_trace: bool, flags: str, tracestate: str
) -> None:
    assert get(service_port, "/work", headers) == 200
    [own] = Next.seen["traceparent"]
    assert own.startswith(f"00-{TRACE}-") == same_trace and own.endswith(f"-{flags}")
    assert Next.seen["tracestate"] == ([tracestate] if tracestate else [])
    start = start_of(traceledger, own)
    # The parent as traceledger gets it carries the flags the span passes on (it stores them);
    # a root span has no traceparent, and random_trace_id gives traceledger the flag instead.
    assert start.traceparent == (f"00-{TRACE}-{PARENT}-{flags}" if same_trace else "")
    assert start.random_trace_id == (flags == "03")
    assert start.tracestate == tracestate
