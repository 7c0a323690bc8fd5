"""The W3C traceparent handling of the lifecycle helper (the calls themselves run
against a real traceledger in examples/polyglot-e2e)."""

from __future__ import annotations

import pytest

from traceledger_lifecycle import SAMPLED, SpanRef, format_traceparent, parse_traceparent

TRACE_ID = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")
SPAN_ID = bytes.fromhex("00f067aa0ba902b7")
HEADER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_formats_version_00_with_lowercase_hex_and_two_digit_flags() -> None:
    assert format_traceparent(TRACE_ID, SPAN_ID) == HEADER
    assert format_traceparent(TRACE_ID, SPAN_ID, 0) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


def test_parses_the_callers_span_and_flags() -> None:
    assert parse_traceparent(HEADER) == SpanRef(TRACE_ID, SPAN_ID, SAMPLED)
    assert parse_traceparent(" \t" + HEADER[:-2] + "00 ") == SpanRef(TRACE_ID, SPAN_ID, 0)


def test_outgoing_traceparent_names_the_new_span_and_keeps_the_flags() -> None:
    span = SpanRef(TRACE_ID, bytes.fromhex("b7ad6b7169203331"), 0)
    assert span.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-00"
    assert parse_traceparent(span.traceparent) == span


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        HEADER.upper(),  # hex must be lowercase
        HEADER + "-extra",  # version 00 is exactly 55 characters
        HEADER[:-1],
        "01" + HEADER[2:],  # only version 00 is understood here
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero span id
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    ],
)
def test_a_missing_or_invalid_header_means_a_new_trace(header: str | None) -> None:
    assert parse_traceparent(header) is None
