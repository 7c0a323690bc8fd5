"""Head sampling of new traces, as the gateway's SDK does it
(packages/sdk/src/sampling/trace-id-ratio-sampler.ts) and as OpenTelemetry's
consistent probability sampling does: a new trace is recorded when the last 7
bytes of its id (56 bits, unsigned, big-endian) are at least the rejection
threshold 2^56 - round(rate x 2^56). The decision depends on the trace id
alone, so every service with the same rate decides the same for the same trace,
and so does traceledger's export sampling. A span with a parent follows the
parent's sampled flag instead."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

# Plain decimal notation (0, 0.25, .5, 1): digits with at most one point and a digit
# after it; no sign or exponent ([0-9], not \d, which takes any script's digits). It
# is the grammar of the gateway's SDK and of the server, which read the same variable,
# so one setting starts every service of the chain or none; and the same text gives
# the same float in every language (each rounds decimals correctly), so the same decisions.
_DECIMAL = re.compile(r"[0-9]*\.?[0-9]+")

_RANDOMNESS = 1 << 56


class Sampler:
    """Samples new traces at a rate from 0 (none) to 1 (all)."""

    def __init__(self, rate: float) -> None:
        self._all = rate >= 1
        # How many of the 2^56 randomness values are kept: rate x 2^56 rounded half up, as the
        # SDK's Math.round. Fraction keeps it exact (x + 0.5 in floats is not, past 2^52).
        # NaN and 0 keep none.
        self._kept = math.floor(Fraction(rate) * _RANDOMNESS + Fraction(1, 2)) if 0 < rate < 1 else 0

    def sample(self, trace_id: bytes) -> bool:
        """Whether a new trace with this id (16 bytes) is recorded."""
        return self._all or (self._kept > 0 and int.from_bytes(trace_id[9:16], "big") >= _RANDOMNESS - self._kept)


def parse_sample_rate(raw: str | None) -> float:
    """TRACING_SAMPLE_RATE: unset or empty means 1 (every new trace); otherwise a
    number from 0 to 1 in decimal notation. Raises ValueError naming the variable otherwise."""
    value = (raw or "").strip()
    if value == "":
        return 1.0
    if _DECIMAL.fullmatch(value):
        rate = float(value)
        if 0 <= rate <= 1:
            return rate
    raise ValueError(f"TRACING_SAMPLE_RATE={json.dumps(raw)} must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)")

