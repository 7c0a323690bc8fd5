"""Makes the span calls off the request path, one at a time and in the order
they were made (so a span's start always precedes its end), retrying those that
found traceledger UNAVAILABLE, so that no request waits for them.

Only UNAVAILABLE is retried: it says the call was not processed, and StartSpan
and EndSpan name their span by client-chosen ids, so a retry of one that did
arrive is recognised anyway. A deadline is not retried: a traceledger that does
not answer would hold the sender for every retry.
"""

from __future__ import annotations

import queue
import random
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import grpc


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # tries in all, the first included
    initial_backoff_s: float = 0.1  # before the first retry
    max_backoff_s: float = 2.0  # the cap of the doubling

    def backoff_s(self, retry: int) -> float:
        """The wait before retry number `retry` (1 for the first): between half and
        all of the capped exponential delay, so that services recovering from the
        same outage do not retry in lock-step."""
        full: float = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** (retry - 1))
        return full / 2 + random.random() * full / 2


# Rides out an outage of a few seconds: the waits add up to between 3.5 s and 7.1 s.
DEFAULT_RETRY = RetryPolicy()
# What waits to be sent while traceledger is slow or away; more is dropped (and logged).
QUEUE_SIZE = 10_000

_STOP = object()


@dataclass
class _Call:
    method: Callable[..., Any]
    request: Any
    tried: threading.Event | None  # set once the first attempt is over, or the call dropped


class SpanSender:
    def __init__(self, timeout_s: float, retry: RetryPolicy = DEFAULT_RETRY) -> None:
        self._timeout_s = timeout_s
        self._retry = retry
        self._queue: queue.Queue[_Call | object] = queue.Queue(QUEUE_SIZE)
        self._closed = False
        # Orders each call with close(): one enqueued before it closes goes before the stop
        # mark, so it is sent; one after finds the sender closed and is dropped (and logged).
        self._closing = threading.Lock()
        # False after a call got no answer (DEADLINE_EXCEEDED) or found traceledger
        # UNAVAILABLE, until a call gets an answer again. While it is False no request
        # waits for a start: a silent traceledger costs requests nothing.
        self.responsive = True
        # A daemon: a traceledger that is away must not keep a stopping process alive.
        self._thread = threading.Thread(target=self._run, name="span-sender", daemon=True)
        self._thread.start()

    def enqueue(self, method: Callable[..., Any], request: Any, tried: threading.Event | None = None) -> None:
        """Never blocks: a full queue or a closed sender drops the call."""
        with self._closing:
            if not self._closed:
                try:
                    self._queue.put_nowait(_Call(method, request, tried))
                    return
                except queue.Full:
                    pass
        _log(f"{type(request).__name__} dropped: the queue is full or closed")
        if tried is not None:
            tried.set()

    def close(self, grace_s: float) -> bool:
        """Stops taking calls and waits up to grace_s for the queued ones; True when all were sent (or given up)."""
        with self._closing:
            self._closed = True
        deadline = time.monotonic() + grace_s
        try:
            self._queue.put(_STOP, timeout=grace_s)
        except queue.Full:
            return False
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    def _run(self) -> None:
        while (call := self._queue.get()) is not _STOP:
            assert isinstance(call, _Call)
            self._send(call)

    def _send(self, call: _Call) -> None:
        attempt = 1
        while True:
            code: grpc.StatusCode | None = None
            failure: Exception | None = None
            try:
                call.method(call.request, timeout=self._timeout_s)
            except grpc.RpcError as error:
                code, failure = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN, error
            except Exception as error:  # a channel closed under it (ValueError): final, and the sender goes on
                code, failure = grpc.StatusCode.UNKNOWN, error
            self.responsive = code not in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)
            if attempt == 1 and call.tried is not None:
                call.tried.set()
            if code is None:
                return
            if code is not grpc.StatusCode.UNAVAILABLE or attempt >= self._retry.max_attempts:
                _log(f"{type(call.request).__name__} failed (attempt {attempt}): {failure}")
                return
            time.sleep(self._retry.backoff_s(attempt))
            attempt += 1


def _log(message: str) -> None:
    print(f"traceledger: {message}", file=sys.stderr, flush=True)
