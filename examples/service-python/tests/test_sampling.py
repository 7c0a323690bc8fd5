"""TRACING_SAMPLE_RATE: the decisions against the gateway's SDK for fixed trace ids, and
the service started with it (its own process, a stand-in traceledger, a next service)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from sampling import Sampler, parse_sample_rate
from standin_traceledger import StandinTraceledger
from test_propagation import INCOMING, Next, serve, trace_of

SERVICE = Path(__file__).resolve().parents[1] / "src" / "service.py"

# Decisions of the gateway's SDK for fixed trace ids, computed once with a throwaway
# script that called traceIdRatioSampler from packages/sdk/src/sampling/trace-id-ratio-sampler.ts
# (run with tsx): "rate trace-id sampled". Around each rate's threshold floor(rate × 2^64):
# threshold - 1 (sampled), threshold and threshold + 1 (not); 0.3 × 2^64 in decimals is
# 0x4ccccccccccccccc.cc, the float64 0.3 gives 0x4ccccccccccccc00, and the SDK uses the latter.
SDK_DECISIONS = """
0 4bf92f3577b34da60000000000000000 false
0 4bf92f3577b34da60000000000000001 false
0 4bf92f3577b34da6ffffffffffffffff false
0 4bf92f3577b34da68000000000000000 false
0 4bf92f3577b34da67fffffffffffffff false
1 4bf92f3577b34da60000000000000000 true
1 4bf92f3577b34da60000000000000001 true
1 4bf92f3577b34da6ffffffffffffffff true
1 4bf92f3577b34da68000000000000000 true
1 4bf92f3577b34da67fffffffffffffff true
0.5 4bf92f3577b34da60000000000000000 true
0.5 4bf92f3577b34da60000000000000001 true
0.5 4bf92f3577b34da6ffffffffffffffff false
0.5 4bf92f3577b34da68000000000000000 false
0.5 4bf92f3577b34da67fffffffffffffff true
0.5 4bf92f3577b34da68000000000000001 false
0.25 4bf92f3577b34da60000000000000000 true
0.25 4bf92f3577b34da60000000000000001 true
0.25 4bf92f3577b34da6ffffffffffffffff false
0.25 4bf92f3577b34da68000000000000000 false
0.25 4bf92f3577b34da67fffffffffffffff false
0.25 4bf92f3577b34da63fffffffffffffff true
0.25 4bf92f3577b34da64000000000000000 false
0.25 4bf92f3577b34da64000000000000001 false
0.3 4bf92f3577b34da60000000000000000 true
0.3 4bf92f3577b34da60000000000000001 true
0.3 4bf92f3577b34da6ffffffffffffffff false
0.3 4bf92f3577b34da68000000000000000 false
0.3 4bf92f3577b34da67fffffffffffffff false
0.3 4bf92f3577b34da64ccccccccccccbff true
0.3 4bf92f3577b34da64ccccccccccccc00 false
0.3 4bf92f3577b34da64ccccccccccccc01 false
0.3 4bf92f3577b34da64ccccccccccccccc false
0.1 4bf92f3577b34da60000000000000000 true
0.1 4bf92f3577b34da60000000000000001 true
0.1 4bf92f3577b34da6ffffffffffffffff false
0.1 4bf92f3577b34da68000000000000000 false
0.1 4bf92f3577b34da67fffffffffffffff false
0.1 4bf92f3577b34da619999999999999ff true
0.1 4bf92f3577b34da61999999999999a00 false
0.1 4bf92f3577b34da61999999999999a01 false
0.75 4bf92f3577b34da60000000000000000 true
0.75 4bf92f3577b34da60000000000000001 true
0.75 4bf92f3577b34da6ffffffffffffffff false
0.75 4bf92f3577b34da68000000000000000 true
0.75 4bf92f3577b34da67fffffffffffffff true
0.75 4bf92f3577b34da6bfffffffffffffff true
0.75 4bf92f3577b34da6c000000000000000 false
0.75 4bf92f3577b34da6c000000000000001 false
0.9999999999999999 4bf92f3577b34da60000000000000000 true
0.9999999999999999 4bf92f3577b34da60000000000000001 true
0.9999999999999999 4bf92f3577b34da6ffffffffffffffff false
0.9999999999999999 4bf92f3577b34da68000000000000000 true
0.9999999999999999 4bf92f3577b34da67fffffffffffffff true
0.9999999999999999 4bf92f3577b34da6fffffffffffff7ff true
0.9999999999999999 4bf92f3577b34da6fffffffffffff800 false
0.9999999999999999 4bf92f3577b34da6fffffffffffff801 false
1e-19 4bf92f3577b34da60000000000000000 true
1e-19 4bf92f3577b34da60000000000000001 false
1e-19 4bf92f3577b34da6ffffffffffffffff false
1e-19 4bf92f3577b34da68000000000000000 false
1e-19 4bf92f3577b34da67fffffffffffffff false
1e-19 4bf92f3577b34da60000000000000002 false
5e-324 4bf92f3577b34da60000000000000000 false
5e-324 4bf92f3577b34da60000000000000001 false
5e-324 4bf92f3577b34da6ffffffffffffffff false
5e-324 4bf92f3577b34da68000000000000000 false
5e-324 4bf92f3577b34da67fffffffffffffff false
0.3 0af7651916cd43dd8448eb211c80319c false
0.5 0af7651916cd43dd8448eb211c80319c false
0.6 0af7651916cd43dd8448eb211c80319c true
0.3 4bf92f3577b34da6a3ce929d0e0e4736 false
0.5 4bf92f3577b34da6a3ce929d0e0e4736 false
0.6 4bf92f3577b34da6a3ce929d0e0e4736 false
0.3 00000000000000011c6d6e1a2b3c4d5e true
0.5 00000000000000011c6d6e1a2b3c4d5e true
0.6 00000000000000011c6d6e1a2b3c4d5e true
0.3 ffffffffffffffff4ccccccccccccccc false
0.5 ffffffffffffffff4ccccccccccccccc true
0.6 ffffffffffffffff4ccccccccccccccc true
0.3 123456789abcdef04ccccccccccccc00 false
0.5 123456789abcdef04ccccccccccccc00 true
0.6 123456789abcdef04ccccccccccccc00 true
"""


def sdk_decisions() -> list[tuple[str, str, bool]]:
    rows = [line.split() for line in SDK_DECISIONS.strip().splitlines()]
    return [(rate, trace_id, sampled == "true") for rate, trace_id, sampled in rows]


def test_the_sampler_decides_as_the_gateways_sdk_for_the_same_trace_ids() -> None:
    decisions = sdk_decisions()
    assert len(decisions) == 83
    for rate, trace_id, sampled in decisions:
        assert Sampler(parse_sample_rate(rate)).sample(bytes.fromhex(trace_id)) == sampled, (rate, trace_id)


@pytest.mark.parametrize("raw, rate", [(None, 1.0), ("", 1.0), ("  ", 1.0), ("0", 0.0), ("1", 1.0), (" 0.25 ", 0.25), ("1e-19", 1e-19), (".5", 0.5), ("1.", 1.0), ("+0.3", 0.3)])
def test_a_sample_rate_is_read(raw: str | None, rate: float) -> None:
    assert parse_sample_rate(raw) == rate


@pytest.mark.parametrize("raw", ["half", "1.5", "-0.1", "nan", "inf", "1e400", "0x1p-2", "1_0", "50%", "0.5\n0"])
def test_a_bad_sample_rate_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"TRACING_SAMPLE_RATE={json.dumps(raw)} must be a number between 0 and 1")):
        parse_sample_rate(raw)


def launch(**env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "TRACELEDGER_GRPC", "NEXT_URL", "SERVICE_NAME", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "TRACING_SAMPLE_RATE")}
    return subprocess.Popen([sys.executable, str(SERVICE)], env={**clean, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def next_port() -> Iterator[int]:
    yield from serve(ThreadingHTTPServer(("127.0.0.1", 0), Next))


def get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    with urlopen(Request(url, headers=headers), timeout=10) as response:
        return response.status, json.load(response)


def test_at_sample_rate_zero_a_request_without_traceparent_is_propagated_unsampled_and_not_recorded(next_port: int) -> None:
    traceledger = StandinTraceledger().start()
    process = launch(PORT="0", TRACELEDGER_GRPC=traceledger.target, NEXT_URL=f"http://127.0.0.1:{next_port}", TRACING_SAMPLE_RATE="0")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = f"http://127.0.0.1:{json.loads(line)['listening']}/work"

        status, body = get(url, {})
        [sent] = Next.seen["traceparent"]
        assert status == 200 and body["traceparent"] == sent
        assert len(sent) == 55 and sent.endswith("-00"), sent
        # A sampled caller still wins over the rate: its trace is recorded.
        status, _ = get(url, {"traceparent": INCOMING})
        assert status == 200 and Next.seen["traceparent"][0].endswith("-01")

        # On SIGTERM the service sends every call still queued before it exits:
        # what traceledger has then is all it will ever get.
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        calls = traceledger.calls()
        assert calls, "the sampled caller's span was not recorded either"
        assert [m for m, r in calls if trace_of(m, r) != INCOMING[3:35]] == []
    finally:
        process.kill()
        process.communicate()
        traceledger.stop()


@pytest.mark.parametrize("rate", ["half", "1.5", "-0.1"])
def test_a_bad_sample_rate_stops_the_service_at_start_up(rate: str) -> None:
    process = launch(PORT="0", TRACELEDGER_GRPC="127.0.0.1:1", TRACING_SAMPLE_RATE=rate)
    try:
        out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    assert process.returncode not in (0, None) and out == "", (process.returncode, out)
    assert f'TRACING_SAMPLE_RATE="{rate}" must be a number between 0 and 1' in err
