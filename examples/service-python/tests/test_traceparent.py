"""The W3C traceparent handling, with the cases of the gateway's SDK
(packages/sdk/src/w3c/traceparent.unit.spec.ts)."""

from __future__ import annotations

import pytest

from trace_context import RANDOM_TRACE_ID, SAMPLED, SpanRef, format_traceparent, parent_of, parse_traceparent

TRACE_ID = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")
SPAN_ID = bytes.fromhex("00f067aa0ba902b7")
HEADER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_formats_version_00_with_lowercase_hex_and_two_digit_flags() -> None:
    assert format_traceparent(TRACE_ID, SPAN_ID) == HEADER
    assert format_traceparent(TRACE_ID, SPAN_ID, 0) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    assert format_traceparent(TRACE_ID, SPAN_ID, SAMPLED | RANDOM_TRACE_ID) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
    assert format_traceparent(TRACE_ID, SPAN_ID, RANDOM_TRACE_ID) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02"


def test_parses_the_callers_span_and_flags() -> None:
    assert parse_traceparent(HEADER) == SpanRef(TRACE_ID, SPAN_ID, SAMPLED)
    assert parse_traceparent(" \t" + HEADER[:-2] + "00 ") == SpanRef(TRACE_ID, SPAN_ID, 0)
    assert parse_traceparent(HEADER[:-2] + "03") == SpanRef(TRACE_ID, SPAN_ID, SAMPLED | RANDOM_TRACE_ID)
    # All the flags as they came: the lifecycle decides which it passes on.
    assert parse_traceparent(HEADER[:-2] + "ff") == SpanRef(TRACE_ID, SPAN_ID, 0xFF)


def test_outgoing_traceparent_names_the_new_span_and_keeps_the_flags() -> None:
    span = SpanRef(TRACE_ID, bytes.fromhex("b7ad6b7169203331"), 0)
    assert span.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-00"
    assert parse_traceparent(span.traceparent) == span


@pytest.mark.parametrize(
    "header",
    [
        "01" + HEADER[2:],
        "cc" + HEADER[2:53] + "09-what-comes-next",
        "fe" + HEADER[2:] + "-",
    ],
)
def test_a_later_version_is_read_by_its_version_00_fields(header: str) -> None:
    parsed = parse_traceparent(header)
    assert parsed is not None and (parsed.trace_id, parsed.span_id) == (TRACE_ID, SPAN_ID)
    assert parsed.flags == int(header[53:55], 16)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        HEADER.upper(),  # hex must be lowercase
        HEADER + "-extra",  # version 00 is exactly 55 characters
        HEADER[:-1],
        "ff" + HEADER[2:],  # version ff is invalid
        "cc" + HEADER[2:] + "extra",  # what follows the fields of a later version starts with "-"
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero span id
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    ],
)
def test_a_missing_or_invalid_header_means_a_new_trace(header: str | None) -> None:
    assert parse_traceparent(header) is None


def test_a_repeated_traceparent_header_is_invalid() -> None:
    assert parent_of([HEADER]) == SpanRef(TRACE_ID, SPAN_ID, SAMPLED)
    assert parent_of([HEADER, HEADER]) is None
    assert parent_of([]) is None
