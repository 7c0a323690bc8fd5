"""Checks the generated Python code for the traceledger.v1 contracts.

The generated modules live in src/gen (see codegen.sh); pytest.ini puts that
directory on sys.path, so they import as traceledger.v1.<file>_pb2.
"""

from __future__ import annotations

from concurrent import futures
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor as _descriptor
from google.protobuf.message import Message

from traceledger.v1 import attributes_pb2, span_types_pb2, trace_events_pb2
from traceledger.v1 import tracing_service_pb2, tracing_service_pb2_grpc
from traceledger.v1.attributes_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from traceledger.v1.span_types_pb2 import SpanKind, SpanLink, Status, StatusCode
from traceledger.v1.trace_events_pb2 import SpanStarted, TraceEvent
from traceledger.v1.tracing_service_pb2 import StartSpanRequest, StartSpanResponse

FIXTURES = Path(__file__).parent / "fixtures"

# The methods of TracingService, in the order of tracing_service.proto.
TRACING_SERVICE_METHODS = [
    "StartTrace",
    "StartSpan",
    "EndSpan",
    "RecordError",
    "AddSpanEvent",
    "SetSpanAttributes",
    "IngestBatch",
    "GetTrace",
    "ListTraces",
    "GetTraceEvents",
    "WatchTrace",
]


def kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def start_span_request() -> StartSpanRequest:
    """A StartSpanRequest with every field set and every kind of attribute value.

    tests/fixtures/start_span_request.hex is this same message encoded by the
    TypeScript generated code; keep the two in step (see tests/fixtures/README.md).
    """
    return StartSpanRequest(
        trace_id=bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736"),
        span_id=bytes.fromhex("00f067aa0ba902b7"),
        parent_span_id=bytes.fromhex("53995c3f42cd8ad8"),
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01",
        parent_is_remote=True,
        tracestate="rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        name="GET /orders/{id}",
        kind=SpanKind.SPAN_KIND_SERVER,
        service_name="checkout",
        # Above 2**53: a 64-bit value that a double would round.
        start_time_unix_nano=1767225600123456789,
        attributes=[
            kv("http.request.method", AnyValue(string_value="GET")),
            kv("http.response.status_code", AnyValue(int_value=200)),
            # Negative int64: a 10-byte varint on the wire.
            kv("retry.delta", AnyValue(int_value=-42)),
            kv("cache.hit", AnyValue(bool_value=True)),
            kv("sample.ratio", AnyValue(double_value=0.25)),
            kv("payload.digest", AnyValue(bytes_value=bytes.fromhex("00ff10"))),
            kv("user.name", AnyValue(string_value="Zoë 名前")),
            kv(
                "http.request.header.accept",
                AnyValue(
                    array_value=ArrayValue(
                        values=[
                            AnyValue(string_value="application/json"),
                            AnyValue(int_value=7),
                            AnyValue(bool_value=False),
                            AnyValue(double_value=-1.5),
                        ]
                    )
                ),
            ),
            kv(
                "order",
                AnyValue(
                    kvlist_value=KeyValueList(
                        values=[
                            kv("id", AnyValue(string_value="o-1")),
                            kv("items", AnyValue(int_value=3)),
                            kv(
                                "shipping",
                                AnyValue(
                                    kvlist_value=KeyValueList(
                                        values=[kv("express", AnyValue(bool_value=True))]
                                    )
                                ),
                            ),
                        ]
                    )
                ),
            ),
            # An AnyValue with no case set: OTLP's empty value.
            kv("empty", AnyValue()),
        ],
        links=[
            SpanLink(
                trace_id=bytes.fromhex("0af7651916cd43dd8448eb211c80319c"),
                span_id=bytes.fromhex("b7ad6b7169203331"),
                tracestate="congo=t61rcWkgMzE",
                attributes=[kv("link.kind", AnyValue(string_value="follows_from"))],
                dropped_attributes_count=2,
                flags=1,
            )
        ],
        resource_attributes=[
            kv("service.name", AnyValue(string_value="checkout")),
            kv("host.cpu.count", AnyValue(int_value=2)),
        ],
        request_id="req-7f3c",
        scope_name="traceledger.example",
        scope_version="1.4.0",
        random_trace_id=True,
    )


def value_cases(values: list[AnyValue]) -> set[str | None]:
    """The oneof cases used by these values and, recursively, by their children."""
    cases: set[str | None] = set()
    for value in values:
        case = value.WhichOneof("value")
        cases.add(case)
        if case == "array_value":
            cases |= value_cases(list(value.array_value.values))
        elif case == "kvlist_value":
            cases |= value_cases([pair.value for pair in value.kvlist_value.values])
    return cases


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_fixture(name: str) -> bytes:
    return bytes.fromhex((FIXTURES / name).read_text(encoding="ascii").strip())


def test_start_span_request_sets_every_field() -> None:
    request = start_span_request()
    set_fields = {field.name for field, _ in request.ListFields()}
    assert set_fields == set(StartSpanRequest.DESCRIPTOR.fields_by_name)
    assert len(request.trace_id) == 16
    assert len(request.span_id) == 8
    # Every case of AnyValue.value, and the empty value.
    all_cases = {field.name for field in AnyValue.DESCRIPTOR.oneofs_by_name["value"].fields}
    assert value_cases([pair.value for pair in request.attributes]) == all_cases | {None}


def test_start_span_request_round_trips() -> None:
    request = start_span_request()
    encoded = request.SerializeToString()
    decoded = StartSpanRequest.FromString(encoded)
    assert decoded == request
    assert decoded.SerializeToString() == encoded
    assert decoded.start_time_unix_nano == 1767225600123456789
    assert decoded.attributes[2].value.int_value == -42
    assert decoded.attributes[6].value.string_value == "Zoë 名前"
    assert decoded.kind == SpanKind.SPAN_KIND_SERVER
    assert decoded.attributes[9].HasField("value")
    assert decoded.attributes[9].value.WhichOneof("value") is None
    assert decoded != StartSpanRequest()


@pytest.mark.parametrize(
    ("message", "field", "number", "type_"),
    [
        (StartSpanRequest, "trace_id", 1, _descriptor.FieldDescriptor.TYPE_BYTES),
        (StartSpanRequest, "span_id", 2, _descriptor.FieldDescriptor.TYPE_BYTES),
        (StartSpanRequest, "traceparent", 4, _descriptor.FieldDescriptor.TYPE_STRING),
        (StartSpanRequest, "kind", 8, _descriptor.FieldDescriptor.TYPE_ENUM),
        (StartSpanRequest, "start_time_unix_nano", 10, _descriptor.FieldDescriptor.TYPE_FIXED64),
        (StartSpanRequest, "attributes", 11, _descriptor.FieldDescriptor.TYPE_MESSAGE),
        (StartSpanRequest, "request_id", 14, _descriptor.FieldDescriptor.TYPE_STRING),
        (Status, "message", 2, _descriptor.FieldDescriptor.TYPE_STRING),
        (Status, "code", 3, _descriptor.FieldDescriptor.TYPE_ENUM),
        (AnyValue, "string_value", 1, _descriptor.FieldDescriptor.TYPE_STRING),
        (AnyValue, "int_value", 3, _descriptor.FieldDescriptor.TYPE_INT64),
        (AnyValue, "kvlist_value", 6, _descriptor.FieldDescriptor.TYPE_MESSAGE),
        (AnyValue, "bytes_value", 7, _descriptor.FieldDescriptor.TYPE_BYTES),
        (SpanLink, "flags", 6, _descriptor.FieldDescriptor.TYPE_FIXED32),
        (TraceEvent, "span_started", 2, _descriptor.FieldDescriptor.TYPE_MESSAGE),
    ],
)
def test_field_numbers_match_proto(
    message: type[Message], field: str, number: int, type_: int
) -> None:
    descriptor = message.DESCRIPTOR.fields_by_name[field]
    assert descriptor.number == number
    assert descriptor.type == type_


def test_descriptors_name_the_proto_package() -> None:
    assert StartSpanRequest.DESCRIPTOR.full_name == "traceledger.v1.StartSpanRequest"
    assert tracing_service_pb2.DESCRIPTOR.package == "traceledger.v1"
    assert tracing_service_pb2.DESCRIPTOR.name == "traceledger/v1/tracing_service.proto"
    # Status reserves field 1, as OpenTelemetry's Status (its deprecated code).
    assert 1 not in Status.DESCRIPTOR.fields_by_number
    assert StatusCode.Name(StatusCode.STATUS_CODE_ERROR) == "STATUS_CODE_ERROR"
    assert StatusCode.STATUS_CODE_ERROR == 2
    assert SpanKind.SPAN_KIND_SERVER == 2
    for module in (attributes_pb2, span_types_pb2, trace_events_pb2, tracing_service_pb2):
        assert module.DESCRIPTOR.package == "traceledger.v1"


def test_trace_event_with_span_started_round_trips() -> None:
    request = start_span_request()
    started = SpanStarted(
        trace_id=request.trace_id,
        span_id=request.span_id,
        parent_span_id=request.parent_span_id,
        parent_is_remote=True,
        name=request.name,
        kind=request.kind,
        service_name=request.service_name,
        start_time_unix_nano=request.start_time_unix_nano,
        attributes=request.attributes,
        tracestate=request.tracestate,
        links=request.links,
        resource_attributes=request.resource_attributes,
        flags=1,
        dropped_attributes_count=1,
        truncated_values_count=2,
        scope_name=request.scope_name,
    )
    event = TraceEvent(span_started=started)
    assert event.WhichOneof("event") == "span_started"

    encoded = event.SerializeToString()
    decoded = TraceEvent.FromString(encoded)
    assert decoded == event
    assert decoded.WhichOneof("event") == "span_started"
    assert decoded.span_started == started

    # As trace_events.proto promises: a TraceEvent is the event's field tag and
    # length followed by the event's own bytes. SpanStarted is field 2 (tag 0x12).
    started_bytes = started.SerializeToString()
    assert encoded == b"\x12" + varint(len(started_bytes)) + started_bytes


def test_tracing_service_in_grpc_module() -> None:
    assert isinstance(tracing_service_pb2_grpc.TracingServiceStub, type)
    assert isinstance(tracing_service_pb2_grpc.TracingServiceServicer, type)
    assert callable(tracing_service_pb2_grpc.add_TracingServiceServicer_to_server)
    assert hasattr(tracing_service_pb2_grpc, "TracingService")

    service = tracing_service_pb2.DESCRIPTOR.services_by_name["TracingService"]
    assert service.full_name == "traceledger.v1.TracingService"
    assert [method.name for method in service.methods] == TRACING_SERVICE_METHODS
    start_span = service.methods_by_name["StartSpan"]
    assert start_span.input_type is StartSpanRequest.DESCRIPTOR
    assert start_span.output_type is StartSpanResponse.DESCRIPTOR
    streaming = [m.name for m in service.methods if m.server_streaming or m.client_streaming]
    assert streaming == ["WatchTrace"]

    for name in TRACING_SERVICE_METHODS:
        assert callable(getattr(tracing_service_pb2_grpc.TracingServiceServicer, name))
        assert callable(getattr(tracing_service_pb2_grpc.TracingService, name))
    with grpc.insecure_channel("localhost:1") as channel:  # never connects
        stub = tracing_service_pb2_grpc.TracingServiceStub(channel)
        for name in TRACING_SERVICE_METHODS:
            assert callable(getattr(stub, name))


class _StartSpanOnly(tracing_service_pb2_grpc.TracingServiceServicer):
    def __init__(self) -> None:
        self.received: list[StartSpanRequest] = []

    def StartSpan(
        self, request: StartSpanRequest, context: grpc.ServicerContext
    ) -> StartSpanResponse:
        self.received.append(request)
        return StartSpanResponse(
            trace_id=request.trace_id,
            span_id=request.span_id,
            traceparent=f"00-{request.trace_id.hex()}-{request.span_id.hex()}-01",
            trace_version=1,
            trace_started=True,
        )


def test_start_span_over_an_in_process_grpc_server() -> None:
    servicer = _StartSpanOnly()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    tracing_service_pb2_grpc.add_TracingServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = tracing_service_pb2_grpc.TracingServiceStub(channel)
            response = stub.StartSpan(start_span_request(), timeout=10)
            assert servicer.received == [start_span_request()]
            assert response.traceparent == (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            )
            # A method the servicer does not implement answers UNIMPLEMENTED.
            with pytest.raises(grpc.RpcError) as failure:
                stub.EndSpan(tracing_service_pb2.EndSpanRequest(), timeout=10)
            assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        server.stop(grace=None).wait()


# Cross-language golden check. tests/fixtures/start_span_request.hex holds the
# message of start_span_request() encoded by the TypeScript generated code
# (@traceledger/proto): a throwaway script, run from the repository root with
# `npx tsx`, built it with create(StartSpanRequestSchema, {...}) and wrote
# toBinary(StartSpanRequestSchema, ...) from "@bufbuild/protobuf" as lowercase
# hex. tests/fixtures/README.md has the script. The message has no map field,
# so its encoding has one order only and the fixture is deterministic.


def test_typescript_encoding_decodes_to_the_same_message() -> None:
    decoded = StartSpanRequest.FromString(read_fixture("start_span_request.hex"))
    assert decoded == start_span_request()


def test_python_encoding_matches_typescript_bytes() -> None:
    # Both encoders write known fields in field-number order, and the message has
    # no map, so the bytes are identical too, not only the decoded messages.
    encoded = start_span_request().SerializeToString(deterministic=True)
    assert encoded.hex() == read_fixture("start_span_request.hex").hex()
