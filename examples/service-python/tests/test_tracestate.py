"""The tracestate rules of the gateway's SDK (packages/sdk/src/w3c/trace-state.ts)."""

from __future__ import annotations

import pytest

from trace_context import combine_tracestate


def test_header_lines_are_combined_in_order() -> None:
    assert combine_tracestate(["vendor=abc, other=1", "", " third=x@y "]) == "vendor=abc,other=1,third=x@y"
    assert combine_tracestate(["tenant@sys=v", ",,"]) == "tenant@sys=v"
    assert combine_tracestate([]) == ""


@pytest.mark.parametrize(
    "lines",
    [
        ["vendor=abc", "Upper=1"],
        ["vendor=abc", "vendor=def"],  # a key may appear once
        ["novalue"],
        ["k=a=b"],
        [",".join(f"k{i}=v" for i in range(33))],  # at most 32 members
    ],
)
def test_an_invalid_tracestate_is_dropped_whole(lines: list[str]) -> None:
    assert combine_tracestate(lines) == ""


def test_a_long_tracestate_is_shortened_by_whole_members_large_ones_first() -> None:
    large = "big=" + "x" * 200
    small = [f"k{i:02d}={'v' * 10}" for i in range(30)]  # 14 characters each
    assert combine_tracestate([small[0], large, ",".join(small[1:])]) == ",".join(small)
    kept = combine_tracestate([",".join([large, large.replace("big", "bag"), *small])])
    assert len(kept) <= 512 and kept.startswith("k00=")
