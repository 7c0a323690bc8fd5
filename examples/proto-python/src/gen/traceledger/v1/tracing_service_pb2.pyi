from traceledger.v1 import attributes_pb2 as _attributes_pb2
from traceledger.v1 import span_types_pb2 as _span_types_pb2
from traceledger.v1 import trace_events_pb2 as _trace_events_pb2
from traceledger.v1 import trace_views_pb2 as _trace_views_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartTraceRequest(_message.Message):
    __slots__ = ("trace_id", "span_id", "name", "kind", "service_name", "start_time_unix_nano", "attributes", "resource_attributes", "request_id", "tracestate", "links", "scope_name", "scope_version", "random_trace_id")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRACESTATE_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    SCOPE_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_VERSION_FIELD_NUMBER: _ClassVar[int]
    RANDOM_TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    name: str
    kind: _span_types_pb2.SpanKind
    service_name: str
    start_time_unix_nano: int
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    resource_attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    request_id: str
    tracestate: str
    links: _containers.RepeatedCompositeFieldContainer[_span_types_pb2.SpanLink]
    scope_name: str
    scope_version: str
    random_trace_id: bool
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[_span_types_pb2.SpanKind, str]] = ..., service_name: _Optional[str] = ..., start_time_unix_nano: _Optional[int] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., resource_attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., request_id: _Optional[str] = ..., tracestate: _Optional[str] = ..., links: _Optional[_Iterable[_Union[_span_types_pb2.SpanLink, _Mapping]]] = ..., scope_name: _Optional[str] = ..., scope_version: _Optional[str] = ..., random_trace_id: _Optional[bool] = ...) -> None: ...

class StartTraceResponse(_message.Message):
    __slots__ = ("trace_id", "span_id", "traceparent", "trace_version", "limited_attributes_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    TRACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    LIMITED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    traceparent: str
    trace_version: int
    limited_attributes_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., trace_version: _Optional[int] = ..., limited_attributes_count: _Optional[int] = ...) -> None: ...

class StartSpanRequest(_message.Message):
    __slots__ = ("trace_id", "span_id", "parent_span_id", "traceparent", "parent_is_remote", "tracestate", "name", "kind", "service_name", "start_time_unix_nano", "attributes", "links", "resource_attributes", "request_id", "scope_name", "scope_version", "random_trace_id")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    PARENT_IS_REMOTE_FIELD_NUMBER: _ClassVar[int]
    TRACESTATE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_VERSION_FIELD_NUMBER: _ClassVar[int]
    RANDOM_TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    traceparent: str
    parent_is_remote: bool
    tracestate: str
    name: str
    kind: _span_types_pb2.SpanKind
    service_name: str
    start_time_unix_nano: int
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    links: _containers.RepeatedCompositeFieldContainer[_span_types_pb2.SpanLink]
    resource_attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    request_id: str
    scope_name: str
    scope_version: str
    random_trace_id: bool
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., parent_span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., parent_is_remote: _Optional[bool] = ..., tracestate: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[_span_types_pb2.SpanKind, str]] = ..., service_name: _Optional[str] = ..., start_time_unix_nano: _Optional[int] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., links: _Optional[_Iterable[_Union[_span_types_pb2.SpanLink, _Mapping]]] = ..., resource_attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., request_id: _Optional[str] = ..., scope_name: _Optional[str] = ..., scope_version: _Optional[str] = ..., random_trace_id: _Optional[bool] = ...) -> None: ...

class StartSpanResponse(_message.Message):
    __slots__ = ("trace_id", "span_id", "traceparent", "trace_version", "trace_started", "limited_attributes_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    TRACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACE_STARTED_FIELD_NUMBER: _ClassVar[int]
    LIMITED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    traceparent: str
    trace_version: int
    trace_started: bool
    limited_attributes_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., trace_version: _Optional[int] = ..., trace_started: _Optional[bool] = ..., limited_attributes_count: _Optional[int] = ...) -> None: ...

class EndSpanRequest(_message.Message):
    __slots__ = ("trace_id", "span_id", "traceparent", "end_time_unix_nano", "status", "end_reason", "attributes", "name")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    END_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    traceparent: str
    end_time_unix_nano: int
    status: _span_types_pb2.Status
    end_reason: _span_types_pb2.SpanEndReason
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    name: str
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., end_time_unix_nano: _Optional[int] = ..., status: _Optional[_Union[_span_types_pb2.Status, _Mapping]] = ..., end_reason: _Optional[_Union[_span_types_pb2.SpanEndReason, str]] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., name: _Optional[str] = ...) -> None: ...

class EndSpanResponse(_message.Message):
    __slots__ = ("trace_version", "duration_nano", "trace_completed")
    TRACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    TRACE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    trace_version: int
    duration_nano: int
    trace_completed: bool
    def __init__(self, trace_version: _Optional[int] = ..., duration_nano: _Optional[int] = ..., trace_completed: _Optional[bool] = ...) -> None: ...

class RecordErrorRequest(_message.Message):
    __slots__ = ("trace_id", "span_id", "traceparent", "error_id", "time_unix_nano", "error_type", "message", "stacktrace", "escaped", "attributes")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACKTRACE_FIELD_NUMBER: _ClassVar[int]
    ESCAPED_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    traceparent: str
    error_id: str
    time_unix_nano: int
    error_type: str
    message: str
    stacktrace: str
    escaped: bool
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., error_id: _Optional[str] = ..., time_unix_nano: _Optional[int] = ..., error_type: _Optional[str] = ..., message: _Optional[str] = ..., stacktrace: _Optional[str] = ..., escaped: _Optional[bool] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ...) -> None: ...

class RecordErrorResponse(_message.Message):
    __slots__ = ("error_id", "trace_version")
    ERROR_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    error_id: str
    trace_version: int
    def __init__(self, error_id: _Optional[str] = ..., trace_version: _Optional[int] = ...) -> None: ...

class AddSpanEventRequest(_message.Message):
    __slots__ = ("trace_id", "span_id", "traceparent", "event_id", "time_unix_nano", "name", "attributes")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    traceparent: str
    event_id: str
    time_unix_nano: int
    name: str
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., event_id: _Optional[str] = ..., time_unix_nano: _Optional[int] = ..., name: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ...) -> None: ...

class AddSpanEventResponse(_message.Message):
    __slots__ = ("event_id", "trace_version")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    trace_version: int
    def __init__(self, event_id: _Optional[str] = ..., trace_version: _Optional[int] = ...) -> None: ...

class SetSpanAttributesRequest(_message.Message):
    __slots__ = ("trace_id", "span_id", "traceparent", "update_id", "attributes")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    traceparent: str
    update_id: str
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., traceparent: _Optional[str] = ..., update_id: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ...) -> None: ...

class SetSpanAttributesResponse(_message.Message):
    __slots__ = ("update_id", "trace_version", "limited_attributes_count")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    LIMITED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    trace_version: int
    limited_attributes_count: int
    def __init__(self, update_id: _Optional[str] = ..., trace_version: _Optional[int] = ..., limited_attributes_count: _Optional[int] = ...) -> None: ...

class TracingCommand(_message.Message):
    __slots__ = ("start_trace", "start_span", "end_span", "record_error", "add_span_event", "set_span_attributes")
    START_TRACE_FIELD_NUMBER: _ClassVar[int]
    START_SPAN_FIELD_NUMBER: _ClassVar[int]
    END_SPAN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ERROR_FIELD_NUMBER: _ClassVar[int]
    ADD_SPAN_EVENT_FIELD_NUMBER: _ClassVar[int]
    SET_SPAN_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    start_trace: StartTraceRequest
    start_span: StartSpanRequest
    end_span: EndSpanRequest
    record_error: RecordErrorRequest
    add_span_event: AddSpanEventRequest
    set_span_attributes: SetSpanAttributesRequest
    def __init__(self, start_trace: _Optional[_Union[StartTraceRequest, _Mapping]] = ..., start_span: _Optional[_Union[StartSpanRequest, _Mapping]] = ..., end_span: _Optional[_Union[EndSpanRequest, _Mapping]] = ..., record_error: _Optional[_Union[RecordErrorRequest, _Mapping]] = ..., add_span_event: _Optional[_Union[AddSpanEventRequest, _Mapping]] = ..., set_span_attributes: _Optional[_Union[SetSpanAttributesRequest, _Mapping]] = ...) -> None: ...

class CommandError(_message.Message):
    __slots__ = ("code", "reason", "message", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    code: int
    reason: str
    message: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, code: _Optional[int] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CommandResult(_message.Message):
    __slots__ = ("start_trace", "start_span", "end_span", "record_error", "add_span_event", "set_span_attributes", "error")
    START_TRACE_FIELD_NUMBER: _ClassVar[int]
    START_SPAN_FIELD_NUMBER: _ClassVar[int]
    END_SPAN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ERROR_FIELD_NUMBER: _ClassVar[int]
    ADD_SPAN_EVENT_FIELD_NUMBER: _ClassVar[int]
    SET_SPAN_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    start_trace: StartTraceResponse
    start_span: StartSpanResponse
    end_span: EndSpanResponse
    record_error: RecordErrorResponse
    add_span_event: AddSpanEventResponse
    set_span_attributes: SetSpanAttributesResponse
    error: CommandError
    def __init__(self, start_trace: _Optional[_Union[StartTraceResponse, _Mapping]] = ..., start_span: _Optional[_Union[StartSpanResponse, _Mapping]] = ..., end_span: _Optional[_Union[EndSpanResponse, _Mapping]] = ..., record_error: _Optional[_Union[RecordErrorResponse, _Mapping]] = ..., add_span_event: _Optional[_Union[AddSpanEventResponse, _Mapping]] = ..., set_span_attributes: _Optional[_Union[SetSpanAttributesResponse, _Mapping]] = ..., error: _Optional[_Union[CommandError, _Mapping]] = ...) -> None: ...

class IngestBatchRequest(_message.Message):
    __slots__ = ("commands",)
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[TracingCommand]
    def __init__(self, commands: _Optional[_Iterable[_Union[TracingCommand, _Mapping]]] = ...) -> None: ...

class IngestBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CommandResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CommandResult, _Mapping]]] = ...) -> None: ...

class GetTraceRequest(_message.Message):
    __slots__ = ("trace_id", "as_of_version", "as_of_time_unix_nano")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_VERSION_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    as_of_version: int
    as_of_time_unix_nano: int
    def __init__(self, trace_id: _Optional[bytes] = ..., as_of_version: _Optional[int] = ..., as_of_time_unix_nano: _Optional[int] = ...) -> None: ...

class GetTraceResponse(_message.Message):
    __slots__ = ("trace",)
    TRACE_FIELD_NUMBER: _ClassVar[int]
    trace: _trace_views_pb2.Trace
    def __init__(self, trace: _Optional[_Union[_trace_views_pb2.Trace, _Mapping]] = ...) -> None: ...

class ListTracesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "service_name", "span_name", "attributes", "min_duration_nano", "max_duration_nano", "status", "state", "start_time_min_unix_nano", "start_time_max_unix_nano")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MIN_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MAX_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    service_name: str
    span_name: str
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    min_duration_nano: int
    max_duration_nano: int
    status: _span_types_pb2.StatusCode
    state: _trace_views_pb2.TraceState
    start_time_min_unix_nano: int
    start_time_max_unix_nano: int
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., service_name: _Optional[str] = ..., span_name: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., min_duration_nano: _Optional[int] = ..., max_duration_nano: _Optional[int] = ..., status: _Optional[_Union[_span_types_pb2.StatusCode, str]] = ..., state: _Optional[_Union[_trace_views_pb2.TraceState, str]] = ..., start_time_min_unix_nano: _Optional[int] = ..., start_time_max_unix_nano: _Optional[int] = ...) -> None: ...

class ListTracesResponse(_message.Message):
    __slots__ = ("traces", "next_page_token")
    TRACES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    traces: _containers.RepeatedCompositeFieldContainer[_trace_views_pb2.TraceSummary]
    next_page_token: str
    def __init__(self, traces: _Optional[_Iterable[_Union[_trace_views_pb2.TraceSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetTraceEventsRequest(_message.Message):
    __slots__ = ("trace_id", "after_version", "to_version", "page_size", "page_token")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    after_version: int
    to_version: int
    page_size: int
    page_token: str
    def __init__(self, trace_id: _Optional[bytes] = ..., after_version: _Optional[int] = ..., to_version: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetTraceEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_trace_events_pb2.EventEnvelope]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_trace_events_pb2.EventEnvelope, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchTraceRequest(_message.Message):
    __slots__ = ("trace_id", "after_version")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    after_version: int
    def __init__(self, trace_id: _Optional[bytes] = ..., after_version: _Optional[int] = ...) -> None: ...

class WatchTraceResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _trace_events_pb2.EventEnvelope
    def __init__(self, event: _Optional[_Union[_trace_events_pb2.EventEnvelope, _Mapping]] = ...) -> None: ...
