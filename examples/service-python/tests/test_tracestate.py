"""The tracestate rules of the gateway's SDK (packages/sdk/src/w3c/trace-state.ts)."""

from __future__ import annotations

import pytest

from trace_context import combine_tracestate


def test_header_lines_are_combined_in_order() -> None:
    assert combine_tracestate(["vendor=abc, other=1", "", " third=x@y "]) == "vendor=abc,other=1,third=x@y"
    assert combine_tracestate(["tenant@sys=v", ",,"]) == "tenant@sys=v"
    assert combine_tracestate([]) == ""


@pytest.mark.parametrize(
    "header",
    [
        "1vendor=x,rojo=00f067aa0ba902b7",  # a key may start with a digit
        "foo@bar@baz=1",  # "@" is an ordinary key character, any number of times
        "a" + "b" * 255 + "=1",  # a key has at most 256 characters
        "vendor@=1,0@x=2,a-b_c*d/e@f=3",
    ],
)
def test_keys_are_read_by_level_2(header: str) -> None:
    """Trace Context Level 2's one key rule: (lcalpha / DIGIT) 0*255(keychar)."""
    assert combine_tracestate([header]) == header


@pytest.mark.parametrize(
    "lines",
    [
        ["vendor=abc", "Upper=1"],
        ["vEndor=1"],  # lowercase only
        ["@vendor=1"],  # a key starts with a letter or digit
        ["_vendor=1"],
        ["a" + "b" * 256 + "=1"],  # 257 characters
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
