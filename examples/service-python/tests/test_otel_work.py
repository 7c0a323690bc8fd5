"""The OpenTelemetry span against a stand-in OTLP/HTTP receiver: stored before the
request answers while the receiver is up, and again once it is back; an endpoint
that is away or silent costs only the first request one export's wait."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from loopback_server import QuietHandler, serve
from otel_work import OtelWork
from service import Service
from test_service import INCOMING, RecordingLifecycle


class Receiver(QuietHandler):
    parents: list[str] = []  # the parent span id (hex) of every span received

    def do_POST(self) -> None:
        request = ExportTraceServiceRequest.FromString(self.rfile.read(int(self.headers["content-length"])))
        Receiver.parents += [s.parent_span_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
        self.answer_empty_json()


def free_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    yield listener.getsockname()[1]
    listener.close()


def work(service: Service) -> str:
    """One request through the service; the parent (hex) its OpenTelemetry span must have."""
    status, body = service.work("", [INCOMING], [])
    assert status == 200 and body is not None
    return str(body["traceparent"])[36:52]


@pytest.mark.parametrize("away", ["refused", "silent"])
def test_an_otlp_endpoint_that_is_away_or_silent_costs_only_the_first_request_one_exports_wait(away: str, silent: int) -> None:
    # Before, every request waited for the exporter's 10 s timeout (6 to 8 s), for the whole outage.
    port = free_port() if away == "refused" else silent
    otel = OtelWork("service-python", f"http://127.0.0.1:{port}/v1/traces")
    service = Service("service-python", RecordingLifecycle(), None, otel)
    took: list[float] = []
    try:
        for _ in range(3):
            began = time.monotonic()
            work(service)
            took.append(time.monotonic() - began)
    finally:
        threading.Thread(target=otel.shutdown, daemon=True).start()  # the export may still run
    print(f"requests took {[round(t, 3) for t in took]} s")
    assert took[0] < 1.0 and max(took[1:]) < 0.2


def test_the_span_is_stored_before_the_answer_and_again_once_the_endpoint_is_back() -> None:
    port = free_port()
    otel = OtelWork("service-python", f"http://127.0.0.1:{port}/v1/traces")
    service = Service("service-python", RecordingLifecycle(), None, otel)
    Receiver.parents = []
    try:
        work(service)  # away: the export fails, the next requests no longer wait
        for _ in serve(ThreadingHTTPServer(("127.0.0.1", port), Receiver)):
            # Back: the requests do not wait until an export (in the background) succeeds.
            deadline = time.monotonic() + 5
            while work(service) not in Receiver.parents:
                assert time.monotonic() < deadline, "no export succeeded within 5 s of the endpoint's return"
                time.sleep(0.05)
            # Then each request waits for its own span again.
            for _ in range(3):
                assert work(service) in Receiver.parents
    finally:
        otel.shutdown()
