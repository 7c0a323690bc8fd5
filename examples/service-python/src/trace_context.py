"""W3C Trace Context (https://www.w3.org/TR/trace-context/) by the same rules as
the gateway's SDK (packages/sdk/src/w3c and src/propagation), so that every
service of the chain reads a caller's headers alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# trace-flags: bit 0 "sampled"; bit 1, W3C Trace Context Level 2's "random trace-id"
# (https://www.w3.org/TR/trace-context-2/): at least the right-most 7 bytes of the
# trace id were picked at random. Both are propagated unchanged for a trace; the
# other (reserved) bits are sent as zero.
SAMPLED = 0x01
RANDOM_TRACE_ID = 0x02

# The first four fields; version 00 is exactly these 55 characters.
_FIELDS = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_VERSION_00_LENGTH = 55

# Trace Context Level 2 (https://www.w3.org/TR/trace-context-2/#key), as the SDK's
# packages/sdk/src/w3c/trace-state.ts: key = ( lcalpha / DIGIT ) 0*255( keychar ),
# keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@". Level 1's split into simple
# and multi-tenant (tenant@system) keys is gone; every Level 1 key is still valid.
_KEY = re.compile(r"[a-z0-9][a-z0-9_\-*/@]{0,255}")
_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
_MAX_MEMBERS = 32
# What the spec asks vendors to propagate at least; no more is sent.
_MAX_LENGTH = 512
# Members longer than this are the first to go when shortening.
_LARGE_MEMBER = 128


@dataclass(frozen=True)
class SpanRef:
    """A span by its W3C ids."""

    trace_id: bytes
    span_id: bytes
    flags: int = SAMPLED

    @property
    def traceparent(self) -> str:
        return format_traceparent(self.trace_id, self.span_id, self.flags)


def format_traceparent(trace_id: bytes, span_id: bytes, flags: int = SAMPLED) -> str:
    """Version 00, the only version sent."""
    return f"00-{trace_id.hex()}-{span_id.hex()}-{flags:02x}"


def parse_traceparent(header: str | None) -> SpanRef | None:
    """The caller's span, or None when the header is missing or invalid (start a new trace then).

    Version 00 is exactly 55 characters; a later version is read by its first 55,
    which must end the value or be followed by "-", so that a newer sender still
    joins the trace; version ff is invalid, and so are all-zero ids.
    """
    value = (header or "").strip(" \t")
    match = _FIELDS.match(value)
    if match is None or match[1] == "ff":
        return None
    if len(value) > _VERSION_00_LENGTH and (match[1] == "00" or value[_VERSION_00_LENGTH] != "-"):
        return None
    trace_id, span_id = bytes.fromhex(match[2]), bytes.fromhex(match[3])
    if not any(trace_id) or not any(span_id):
        return None
    return SpanRef(trace_id, span_id, int(match[4], 16))


def parent_of(traceparent_lines: Sequence[str]) -> SpanRef | None:
    """The caller's span from the traceparent header lines: a repeated header is invalid."""
    return parse_traceparent(traceparent_lines[0]) if len(traceparent_lines) == 1 else None


def combine_tracestate(lines: Sequence[str]) -> str:
    """The tracestate header lines as one value, in order (HTTP lets a list header
    be split over several lines). A list that breaks the grammar (a bad key or
    value, a repeated key, more than 32 members) is dropped whole, and a long one
    is shortened to 512 characters by whole members; "" means none."""
    members: list[str] = []
    keys: set[str] = set()
    for line in lines:
        for raw in line.split(","):
            member = raw.strip(" \t")
            if member == "":
                continue
            key, eq, value = member.partition("=")
            if not eq or not _KEY.fullmatch(key) or not _VALUE.fullmatch(value) or key in keys:
                return ""
            keys.add(key)
            members.append(member)
            if len(members) > _MAX_MEMBERS:
                return ""
    return _shorten(members)


def _shorten(members: list[str]) -> str:
    """Leaves out first the large members, then the last ones, until the value fits."""
    length = sum(len(m) for m in members) + max(0, len(members) - 1)
    for i in reversed(range(len(members))):
        if length <= _MAX_LENGTH:
            break
        if len(members[i]) > _LARGE_MEMBER:
            length -= len(members.pop(i)) + 1
    while length > _MAX_LENGTH and members:
        length -= len(members.pop()) + 1
    return ",".join(members)
