"""A Python service in the polyglot example chain (see README.md for the contract).

GET /work continues the caller's trace with StartSpan, records an event, calls
NEXT_URL with its own span's traceparent, and ends its span OK, or ERROR when
asked to fail (?fail=<SERVICE_NAME>, HTTP 500) or when the downstream failed
(HTTP 502). A caller that hangs up while the downstream is called gets no answer:
the call is abandoned and the span ends cancelled. Configured by PORT,
TRACELEDGER_GRPC, NEXT_URL, SERVICE_NAME and TRACING_SAMPLE_RATE (a bad value
stops it at start-up, exit status 2);
with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, it also records one span with the
stock OpenTelemetry SDK.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from http.client import HTTPConnection, HTTPResponse
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar
from urllib.error import HTTPError
from urllib.parse import parse_qs, quote, urlsplit
from urllib.request import HTTPHandler, OpenerDirector, Request, build_opener

# The code generated from proto/ lives in examples/proto-python (not copied here).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "proto-python" / "src" / "gen"))

from draining_server import DrainingHTTPServer
from otel_work import OtelWork
from sampling import parse_sample_rate
from traceledger_lifecycle import CONNECT_WAIT_S, Lifecycle, Span

# Bounded: a stuck request must not keep a stopping service alive for ever.
DRAIN_TIMEOUT_S = 10.0
# How often the caller's connection is looked at while the downstream call runs.
WATCH_INTERVAL_S = 0.05
# The status work() gives when the caller hung up (nginx's "client closed request"):
# nobody is left to answer, so nothing is written.
CALLER_HUNG_UP = 499

T = TypeVar("T")


class Service:
    def __init__(self, name: str, lifecycle: Lifecycle, next_url: str | None, otel: OtelWork | None) -> None:
        self.name = name
        self.lifecycle = lifecycle
        self.next_url = next_url.rstrip("/") if next_url else None
        self.otel = otel

    def work(
        self, fail: str, traceparent: list[str], tracestate: list[str], caller: socket.socket | None = None
    ) -> tuple[int, dict[str, Any] | None]:
        """traceparent and tracestate are the request's header lines of each; caller, its
        connection, is watched while the downstream call runs (CALLER_HUNG_UP once it has gone)."""
        span = self.lifecycle.start_span("GET /work", traceparent, tracestate)
        try:
            return self._work(span, fail, caller)
        except Exception as error:  # e.g. http.client.IncompleteRead from a malformed downstream answer
            # Whatever went wrong, the span must not stay RUNNING and the client still gets an answer.
            self.lifecycle.record_error(span, type(error).__name__, str(error) or repr(error))
            self.lifecycle.end_span(span, error=f"{type(error).__name__}: {error}")
            return 502, None

    def _work(self, span: Span, fail: str, caller: socket.socket | None) -> tuple[int, dict[str, Any] | None]:
        self.lifecycle.add_event(span, "work.started", {"fail": fail})
        if self.otel is not None:
            with self.otel.child_of(span.traceparent, "prepare work") as otel_span:
                otel_span.set_attribute("work.fail", fail)

        answered = self.call_next(fail, span, caller) if self.next_url is not None else (200, None)
        # The caller hung up: the downstream call was cut short by that, not failed, so
        # the span ends cancelled rather than with a downstream error (as in the Go service).
        cancelled = answered is None
        downstream_status, downstream = answered or (200, None)

        if fail == self.name:
            self.lifecycle.record_error(span, "WorkFailed", f"{self.name} was asked to fail")
            self.lifecycle.end_span(span, error=f"{self.name} failed", cancelled=cancelled)
            return (CALLER_HUNG_UP if cancelled else 500), None
        if cancelled:
            self.lifecycle.end_span(span, cancelled=True)
            return CALLER_HUNG_UP, None
        if downstream_status >= 500:
            self.lifecycle.end_span(span, error=f"downstream failed: {downstream_status}")
            return 502, None
        self.lifecycle.end_span(span)
        return 200, {"service": self.name, "traceparent": span.traceparent, "downstream": downstream}

    def call_next(self, fail: str, span: Span, caller: socket.socket | None = None) -> tuple[int, Any] | None:
        """The next service's status and JSON; None when the caller hung up first, and
        the call was abandoned."""
        request = Request(f"{self.next_url}/work?fail={quote(fail)}", headers=span.headers())
        downstream = AbandonableHTTPHandler()
        call = in_background(lambda: fetch(build_opener(downstream), request))
        while not wait([call], WATCH_INTERVAL_S).done:
            if caller is not None and hung_up(caller):
                downstream.abandon()
                return None
        return call.result()


def fetch(opener: OpenerDirector, request: Request) -> tuple[int, Any]:
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.load(response)
    except HTTPError as error:
        return error.code, None
    except (OSError, ValueError):  # unreachable, timed out, or not JSON: a bad gateway
        return 502, None


def in_background(work: Callable[[], T]) -> Future[T]:
    """work() on a daemon thread: an abandoned call, say one still connecting, must not
    hold up the service's exit (the drain bounds only the requests themselves)."""
    result: Future[T] = Future()

    def run() -> None:
        try:
            result.set_result(work())
        except BaseException as error:  # anything, or the request would wait for ever
            result.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return result


def hung_up(caller: socket.socket) -> bool:
    """The caller has closed its end: its connection reads as ended. (Data instead, a
    pipelined request, means it is still there.)"""
    if not select.select([caller], [], [], 0)[0]:
        return False
    try:
        return caller.recv(1, socket.MSG_PEEK) == b""
    except OSError:  # reset: gone as well
        return True


class AbandonableHTTPHandler(HTTPHandler):
    """urllib's HTTP handler, keeping its call's socket at hand so that another thread
    can abandon the call: shutdown, unlike close, wakes the read blocked on the socket,
    and the next service sees the hang-up too."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._abandoned = False

    def http_open(self, req: Request) -> HTTPResponse:
        connected = self._connected

        class Connection(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                connected(self.sock)

        return self.do_open(Connection, req)

    def _connected(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            if self._abandoned:  # while it was connecting
                _shut_down(sock)

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            if self._socket is not None:
                _shut_down(self._socket)


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the call itself
        sock.shutdown(socket.SHUT_RDWR)


def handler_for(service: Service) -> type[BaseHTTPRequestHandler]:
    class WorkHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/work":
                self.answer(404, {"error": "not found"})
                return
            fail = parse_qs(url.query).get("fail", [""])[0]
            status, body = service.work(fail, self.headers.get_all("traceparent", []), self.headers.get_all("tracestate", []), self.connection)
            if status == CALLER_HUNG_UP:
                return
            self.answer(status, body if body is not None else {"service": service.name, "status": status})

        def answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # stdout carries only the {"listening": port} line

    return WorkHandler


def main() -> None:
    name = os.environ.get("SERVICE_NAME", "service-python")
    try:
        sample_rate = parse_sample_rate(os.environ.get("TRACING_SAMPLE_RATE"))
    except ValueError as problem:
        print(f"invalid configuration: {problem}", file=sys.stderr)
        sys.exit(2)
    lifecycle = Lifecycle(os.environ.get("TRACELEDGER_GRPC", "127.0.0.1:7317"), name, sample_rate=sample_rate)
    otlp = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    otel = OtelWork(name, otlp) if otlp else None
    service = Service(name, lifecycle, os.environ.get("NEXT_URL") or None, otel)
    server = DrainingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), handler_for(service))
    # SIGTERM stops accepting like Ctrl-C does. shutdown() waits for serve_forever to return, and
    # serve_forever runs on this (the signal handler's) thread, so it is called from another one.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    # Connected first: a first request over a connection still being set up could miss
    # its start's deadline, and lose its span.
    if not lifecycle.await_connection():
        print(f"traceledger: not connected at start-up (away, or slower than {CONNECT_WAIT_S:g} s)", file=sys.stderr)
    print(json.dumps({"listening": server.server_address[1]}, separators=(",", ":")), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        # Requests already running finish (and end their spans) before the channel closes.
        server.drain(DRAIN_TIMEOUT_S)
        server.server_close()
        if otel is not None:
            otel.shutdown()
        lifecycle.close()


if __name__ == "__main__":
    main()
