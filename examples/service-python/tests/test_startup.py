"""Start-up against a traceledger slow to connect, and one that is away: the
service's own process says it is listening once its channel is connected, and
without waiting when there is no connection to be had."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from urllib.request import Request, urlopen

import pytest

from standin_traceledger import StandinTraceledger
from test_propagation import INCOMING
from test_sampling import launch


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copies source to sink until either ends, then ends both."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)


def held(client: socket.socket, upstream: int, hold_s: float, closed: threading.Event) -> None:
    """Passes client on to upstream after hold_s, unless the proxy was closed meanwhile."""
    with client, contextlib.suppress(OSError):
        if closed.wait(hold_s):
            return
        with socket.create_connection(("127.0.0.1", upstream)) as server:
            back = threading.Thread(target=pipe, args=(server, client), daemon=True)
            back.start()
            pipe(client, server)
            back.join()


def slow_proxy(upstream: int, hold_s: float) -> Iterator[int]:
    """Yields the port of a proxy to upstream that holds each connection hold_s before
    passing it on: a first connection slower than a call's deadline, as on a busy machine."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # so that the accepting thread sees the end of the test
    closed = threading.Event()

    def accept() -> None:
        while not closed.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            threading.Thread(target=held, args=(client, upstream, hold_s, closed), daemon=True).start()

    accepting = threading.Thread(target=accept, daemon=True)
    accepting.start()
    try:
        yield listener.getsockname()[1]
    finally:
        closed.set()
        accepting.join()
        listener.close()


@pytest.fixture
def traceledger() -> Iterator[StandinTraceledger]:
    standin = StandinTraceledger().start()
    try:
        yield standin
    finally:
        standin.stop()


def test_a_slow_first_connection_to_traceledger_does_not_lose_the_first_span(traceledger: StandinTraceledger) -> None:
    for proxy in slow_proxy(traceledger.port, hold_s=2.0):
        process = launch(PORT="0", TRACELEDGER_GRPC=f"127.0.0.1:{proxy}")
        try:
            assert process.stdout is not None
            port = json.loads(process.stdout.readline())["listening"]
            with urlopen(Request(f"http://127.0.0.1:{port}/work", headers={"traceparent": INCOMING}), timeout=10) as response:
                assert response.status == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0
        finally:
            process.kill()
            _, stderr = process.communicate()
        assert [method for method, _ in traceledger.calls()] == ["StartSpan", "AddSpanEvent", "EndSpan"], stderr


def test_with_traceledger_away_the_service_starts_without_waiting() -> None:
    refused = socket.create_server(("127.0.0.1", 0))
    target = f"127.0.0.1:{refused.getsockname()[1]}"
    refused.close()  # nothing listens there: connecting fails at once
    began = time.monotonic()
    process = launch(PORT="0", TRACELEDGER_GRPC=target)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        took = time.monotonic() - began
        assert json.loads(line)["listening"] > 0
    finally:
        process.kill()
        process.communicate()
    print(f"listening after {took:.3f} s")
    # A refused connection is a failure to connect, not one to wait out (CONNECT_WAIT_S is
    # 3 s); the interpreter's own start-up takes a few tenths of a second of this.
    assert took < 2.0
