"""Head sampling of new traces, as the gateway's SDK does it
(packages/sdk/src/sampling/trace-id-ratio-sampler.ts): a new trace is recorded
when the last 8 bytes of its id, read as an unsigned 64-bit big-endian integer,
are below rate x 2^64. The decision depends on the trace id alone, so every
service with the same rate decides the same for the same trace. A span with a
parent follows the parent's sampled flag instead."""

from __future__ import annotations

import json
import math
import re

# A plain decimal number: the same text then gives the same float in every
# language of the chain (each rounds decimals correctly), so the same decisions.
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class Sampler:
    """Samples new traces at a rate from 0 (none) to 1 (all)."""

    def __init__(self, rate: float) -> None:
        # rate 1 takes every trace, even the one whose last 8 bytes are 2^64 - 1.
        self._all = rate >= 1
        # Otherwise floor(rate x 2^64), the SDK's Math.floor(rate * 2^32 * 2^32): ldexp
        # scales the float by a power of two, exactly, and int() of a float is exact.
        # Python ints do not overflow; below 2^64 anyway since rate < 1. NaN samples none.
        self._threshold = int(math.ldexp(rate, 64)) if 0 < rate < 1 else 0

    def sample(self, trace_id: bytes) -> bool:
        """Whether a new trace with this id (16 bytes) is recorded."""
        return self._all or int.from_bytes(trace_id[8:16], "big") < self._threshold


def parse_sample_rate(raw: str | None) -> float:
    """TRACING_SAMPLE_RATE: unset or empty means 1 (every new trace); otherwise a
    decimal number from 0 to 1. Raises ValueError naming the variable otherwise."""
    value = (raw or "").strip()
    if value == "":
        return 1.0
    if _DECIMAL.fullmatch(value):
        rate = float(value)
        if 0 <= rate <= 1:
            return rate
    raise ValueError(f"TRACING_SAMPLE_RATE={json.dumps(raw)} must be a number between 0 and 1")

