"""A caller that hangs up while the service waits on its downstream: the span must
end cancelled, not as a downstream failure (as the Go service, and the gateway's SDK
for an aborted request: end reason CANCELLED, the status left unset). Real HTTP on
loopback, and a stand-in traceledger that is a real grpcio server."""

from __future__ import annotations

import select
import socket
import threading
import time
from http.server import ThreadingHTTPServer

from loopback_server import QuietHandler, serve
from service import Service, handler_for
from standin_traceledger import StandinTraceledger
from traceledger.v1.span_types_pb2 import SpanEndReason
from traceledger_lifecycle import Lifecycle

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
# How long the next service waits for its caller to go before it answers after all:
# without the hang-up passed on, the test then fails on the span, not on a timeout.
NEXT_WAITS_S = 3.0


class WaitsForItsCallerToGo(QuietHandler):
    """The next service: answers only once its own caller (the service) has gone."""

    reached = threading.Event()
    saw_hang_up = threading.Event()

    def do_GET(self) -> None:
        WaitsForItsCallerToGo.reached.set()
        deadline = time.monotonic() + NEXT_WAITS_S
        while time.monotonic() < deadline:
            if select.select([self.connection], [], [], 0.05)[0] and self.connection.recv(1, socket.MSG_PEEK) == b"":
                WaitsForItsCallerToGo.saw_hang_up.set()
                return  # nobody is left to answer
        self.answer_empty_json()


def test_a_caller_that_hangs_up_ends_the_span_cancelled_not_failed() -> None:
    traceledger = StandinTraceledger().start()
    lifecycle = Lifecycle(traceledger.target, "service-python")
    try:
        for next_port in serve(ThreadingHTTPServer(("127.0.0.1", 0), WaitsForItsCallerToGo)):
            service = Service("service-python", lifecycle, f"http://127.0.0.1:{next_port}", None)
            for port in serve(ThreadingHTTPServer(("127.0.0.1", 0), handler_for(service))):
                with socket.create_connection(("127.0.0.1", port), timeout=10) as caller:
                    caller.sendall(f"GET /work HTTP/1.1\r\nHost: 127.0.0.1\r\ntraceparent: {INCOMING}\r\n\r\n".encode())
                    assert WaitsForItsCallerToGo.reached.wait(5)
                    # Hangs up. Closing only the sending half lets the test see what comes back.
                    caller.shutdown(socket.SHUT_WR)
                    answer = caller.recv(1024)

                calls = traceledger.wait_for(lambda calls: bool(calls) and calls[-1][0] == "EndSpan", within_s=10)
                end = calls[-1][1]
                assert (SpanEndReason.Name(end.end_reason), end.HasField("status")) == ("SPAN_END_REASON_CANCELLED", False), f"ended with {end}"
                assert [r for m, r in calls if m == "RecordError"] == []
                assert answer == b"", "the caller that hung up was answered"
                assert WaitsForItsCallerToGo.saw_hang_up.wait(5), "the next service did not see the hang-up"
    finally:
        lifecycle.close(0)
        traceledger.stop()
