"""The span calls against a real grpcio server that goes away and comes back on
the same port, as a restarting traceledger does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from span_sender import RetryPolicy, SpanSender
from standin_traceledger import StandinTraceledger
from traceledger_lifecycle import Lifecycle


@pytest.fixture
def traceledger() -> Iterator[StandinTraceledger]:
    standin = StandinTraceledger().start()
    yield standin
    standin.stop()


def test_a_span_started_and_ended_during_a_short_outage_reaches_traceledger_once_it_is_back(traceledger: StandinTraceledger) -> None:
    traceledger.stop()  # away: every call finds it UNAVAILABLE
    lifecycle = Lifecycle(traceledger.target, "service-python")
    try:
        began = time.monotonic()
        span = lifecycle.start_span("GET /work", [])
        lifecycle.end_span(span)
        # The retries happen off the request path: it waited for the start's first try at most.
        assert time.monotonic() - began < 1.0

        time.sleep(1.0)
        traceledger.start()
        calls = traceledger.wait_for(lambda calls: len(calls) >= 2, within_s=10)
        assert [method for method, _ in calls] == ["StartSpan", "EndSpan"]
        assert calls[0][1].span_id == span.ref.span_id
        assert calls[1][1].traceparent == span.traceparent
    finally:
        lifecycle.close(0)


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    policy = RetryPolicy(max_attempts=8, initial_backoff_s=0.1, max_backoff_s=1.0)
    for retry, full in [(1, 0.1), (2, 0.2), (4, 0.8), (5, 1.0), (60, 1.0)]:
        for _ in range(50):
            assert full / 2 <= policy.backoff_s(retry) <= full


def test_a_call_enqueued_as_the_sender_closes_is_sent_not_lost() -> None:
    """close() racing an enqueue: the call either goes before the stop mark (and is
    sent) or finds the sender closed (and is dropped and logged), never after the mark,
    where nobody would send it or say so."""
    sent: list[Any] = []
    sender = SpanSender(timeout_s=0.5)
    closer: list[threading.Thread] = []

    queued = sender._queue  # noqa: SLF001 - the race needs the sender's own queue
    put_nowait = queued.put_nowait

    def closes_mid_put(item: Any) -> None:
        # The sender closes between enqueue's check and its put.
        closer.append(threading.Thread(target=sender.close, args=(2.0,)))
        closer[0].start()
        time.sleep(0.2)
        put_nowait(item)

    queued.put_nowait = closes_mid_put  # type: ignore[method-assign]
    tried = threading.Event()
    sender.enqueue(lambda request, timeout: sent.append(request), "the last span's end", tried)
    closer[0].join(5)
    assert sent == ["the last span's end"]
    assert tried.is_set()
