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
from loopback_server import serve
from test_propagation import INCOMING, Next, trace_of

SERVICE = Path(__file__).resolve().parents[1] / "src" / "service.py"

# The gateway's SDK's decisions for fixed trace ids (how they were made: the file's header).
SDK_DECISIONS = Path(__file__).resolve().parents[2] / "testdata" / "sdk-sampling-decisions.txt"


def sdk_decisions() -> list[tuple[str, str, bool]]:
    lines = SDK_DECISIONS.read_text(encoding="utf-8").strip().splitlines()
    rows = [line.split() for line in lines if not line.startswith("#")]
    return [(rate, trace_id, sampled == "true") for rate, trace_id, sampled in rows]


def test_the_sampler_decides_as_the_gateways_sdk_for_the_same_trace_ids() -> None:
    decisions = sdk_decisions()
    assert len(decisions) == 85
    for rate, trace_id, sampled in decisions:
        # A rate as a value (1e-19 and 5e-324 are there), not as a TRACING_SAMPLE_RATE setting.
        assert Sampler(float(rate)).sample(bytes.fromhex(trace_id)) == sampled, (rate, trace_id)


# The gateway's SDK's grammar (packages/sdk/src/config/tracer-config.ts), and the server's.
@pytest.mark.parametrize(
    "raw, rate",
    [(None, 1.0), ("", 1.0), ("  ", 1.0), ("0", 0.0), ("1", 1.0), (" 0.25 ", 0.25), (".5", 0.5), ("1.0", 1.0), ("00.5", 0.5), ("0.0000000000000000001", 1e-19)],
)
def test_a_sample_rate_is_read(raw: str | None, rate: float) -> None:
    assert parse_sample_rate(raw) == rate


@pytest.mark.parametrize(
    "raw", ["half", "1.5", "-0.1", "nan", "inf", "0x1p-2", "1_0", "50%", "0.5\n0", "5e-1", "1e-19", "+0.5", "-0", "1.", ".", "0.5.1", "\u0660.5"]
)
def test_a_bad_sample_rate_is_refused(raw: str) -> None:
    message = f"TRACING_SAMPLE_RATE={json.dumps(raw)} must be a number between 0 and 1 in decimal notation (0, 0.25, .5, 1)"
    with pytest.raises(ValueError, match=re.escape(message)):
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
        # Unsampled, but its id is still random: W3C Trace Context Level 2's flag alone.
        assert len(sent) == 55 and sent.endswith("-02"), sent
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


@pytest.mark.parametrize("rate", ["half", "1.5", "-0.1", "5e-1"])
def test_a_bad_sample_rate_stops_the_service_at_start_up(rate: str) -> None:
    process = launch(PORT="0", TRACELEDGER_GRPC="127.0.0.1:1", TRACING_SAMPLE_RATE=rate)
    try:
        out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    assert process.returncode not in (0, None) and out == "", (process.returncode, out)
    assert f'TRACING_SAMPLE_RATE="{rate}" must be a number between 0 and 1' in err
