"""The service's HTTP side with real loopback servers: a downstream that answers
badly, a traceledger that accepts connections and never answers, and a SIGTERM
that arrives while a request is running."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from loopback_server import QuietHandler
from service import Service, handler_for
from span_sender import RetryPolicy
from trace_context import SpanRef
from traceledger_lifecycle import Lifecycle, Span

SERVICE = Path(__file__).resolve().parents[1] / "src" / "service.py"
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class RecordingLifecycle(Lifecycle):
    """The real helper without a channel: records what the service asks of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def start_span(self, name: str, traceparent: Any, tracestate: Any = ()) -> Span:
        self.calls.append(("start", name))
        return Span(SpanRef(bytes(range(1, 17)), bytes(range(1, 9))))

    def add_event(self, span: Span, name: str, attributes: Any = {}) -> None:
        self.calls.append(("event", name))

    def record_error(self, span: Span, error_type: str, message: str) -> None:
        self.calls.append(("error", error_type))

    def end_span(self, span: Span, error: str | None = None, cancelled: bool = False) -> None:
        self.calls.append(("end", error))

    def close(self, grace_s: float = 0) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class CutShort(BaseHTTPRequestHandler):
    """Promises 100 bytes of JSON, sends 7 and hangs up: http.client raises IncompleteRead."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "100")
        self.end_headers()
        self.wfile.write(b'{"servi')
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(1.5)
        data = b'{"service":"slow"}'
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Answering(QuietHandler):
    def do_GET(self) -> None:
        self.answer_empty_json()


@pytest.fixture
def answering() -> Iterator[str]:
    yield from serve(Answering)


@pytest.fixture
def cut_short() -> Iterator[str]:
    yield from serve(CutShort)


@pytest.fixture
def slow() -> Iterator[str]:
    yield from serve(Slow)


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A traceledger address that accepts TCP connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def get(url: str, timeout: float = 30) -> tuple[int, Any]:
    try:
        with urlopen(Request(url, headers={"traceparent": INCOMING}), timeout=timeout) as response:
            return response.status, json.load(response)
    except HTTPError as error:
        return error.code, json.load(error)


def test_a_malformed_downstream_answer_ends_the_span_with_error_and_answers_502(cut_short: str) -> None:
    lifecycle = RecordingLifecycle()
    service = Service("service-python", lifecycle, cut_short, None)
    for handler_url in serve(handler_for(service)):
        status, body = get(f"{handler_url}/work")
        assert (status, body) == (502, {"service": "service-python", "status": 502})
    assert lifecycle.calls[-2] == ("error", "IncompleteRead")
    kind, message = lifecycle.calls[-1]
    assert kind == "end" and message is not None and message.startswith("IncompleteRead")


def test_a_traceledger_that_never_answers_costs_only_the_first_request_one_starts_wait(blackhole: str, answering: str) -> None:
    # Before the sender, every call waited out its 500 ms deadline on the request path:
    # 2 s for a request that starts, records an event and an error, and ends. Now only a
    # start is waited for, and only while traceledger answers: the first request finds
    # out that it does not, the next ones do not wait at all.
    lifecycle = Lifecycle(blackhole, "service-python", retry=RetryPolicy(max_attempts=1))
    service = Service("service-python", lifecycle, answering, None)
    took: list[float] = []
    try:
        for _ in range(3):
            began = time.monotonic()
            status, _ = service.work("service-python", [INCOMING], [])
            took.append(time.monotonic() - began)
            assert status == 500
    finally:
        lifecycle.close(0)
    print(f"requests took {[round(t, 3) for t in took]} s")
    assert sum(took) < 1.5


def test_sigterm_lets_the_running_request_finish(slow: str) -> None:
    refused = socket.create_server(("127.0.0.1", 0))
    traceledger = f"127.0.0.1:{refused.getsockname()[1]}"
    refused.close()  # nothing listens there: every traceledger call fails at once
    env = {**os.environ, "PORT": "0", "TRACELEDGER_GRPC": traceledger, "NEXT_URL": slow}
    env.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
    process = subprocess.Popen([sys.executable, str(SERVICE)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["listening"]
        answer: list[tuple[int, Any]] = []
        request = threading.Thread(target=lambda: answer.append(get(f"http://127.0.0.1:{port}/work")))
        request.start()
        time.sleep(0.5)  # the request now waits on the slow downstream
        process.send_signal(signal.SIGTERM)
        request.join(10)
        assert answer and answer[0][0] == 200
        assert process.wait(15) == 0  # the drain gives a refused traceledger up to 5 s of retries
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
