from traceledger.v1 import attributes_pb2 as _attributes_pb2
from traceledger.v1 import span_types_pb2 as _span_types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SpanState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPAN_STATE_UNSPECIFIED: _ClassVar[SpanState]
    SPAN_STATE_RUNNING: _ClassVar[SpanState]
    SPAN_STATE_ENDED: _ClassVar[SpanState]
    SPAN_STATE_ORPHANED: _ClassVar[SpanState]

class TraceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRACE_STATE_UNSPECIFIED: _ClassVar[TraceState]
    TRACE_STATE_OPEN: _ClassVar[TraceState]
    TRACE_STATE_COMPLETED: _ClassVar[TraceState]
SPAN_STATE_UNSPECIFIED: SpanState
SPAN_STATE_RUNNING: SpanState
SPAN_STATE_ENDED: SpanState
SPAN_STATE_ORPHANED: SpanState
TRACE_STATE_UNSPECIFIED: TraceState
TRACE_STATE_OPEN: TraceState
TRACE_STATE_COMPLETED: TraceState

class SpanEvent(_message.Message):
    __slots__ = ("event_id", "time_unix_nano", "name", "attributes")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    time_unix_nano: int
    name: str
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    def __init__(self, event_id: _Optional[str] = ..., time_unix_nano: _Optional[int] = ..., name: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ...) -> None: ...

class SpanError(_message.Message):
    __slots__ = ("error_id", "time_unix_nano", "error_type", "message", "stacktrace", "escaped", "attributes")
    ERROR_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACKTRACE_FIELD_NUMBER: _ClassVar[int]
    ESCAPED_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    error_id: str
    time_unix_nano: int
    error_type: str
    message: str
    stacktrace: str
    escaped: bool
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    def __init__(self, error_id: _Optional[str] = ..., time_unix_nano: _Optional[int] = ..., error_type: _Optional[str] = ..., message: _Optional[str] = ..., stacktrace: _Optional[str] = ..., escaped: _Optional[bool] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ...) -> None: ...

class Span(_message.Message):
    __slots__ = ("trace_id", "span_id", "parent_span_id", "parent_is_remote", "name", "kind", "service_name", "state", "start_time_unix_nano", "end_time_unix_nano", "duration_nano", "status", "end_reason", "attributes", "events", "errors", "links", "resource_attributes", "traceparent", "tracestate", "limited_attributes_count", "scope_name", "dropped_events_count", "dropped_links_count", "scope_version", "scope_attributes", "scope_dropped_attributes_count", "scope_schema_url", "resource_schema_url", "resource_dropped_attributes_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_IS_REMOTE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    END_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    TRACESTATE_FIELD_NUMBER: _ClassVar[int]
    LIMITED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_NAME_FIELD_NUMBER: _ClassVar[int]
    DROPPED_EVENTS_COUNT_FIELD_NUMBER: _ClassVar[int]
    DROPPED_LINKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    SCOPE_DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_SCHEMA_URL_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_SCHEMA_URL_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    parent_is_remote: bool
    name: str
    kind: _span_types_pb2.SpanKind
    service_name: str
    state: SpanState
    start_time_unix_nano: int
    end_time_unix_nano: int
    duration_nano: int
    status: _span_types_pb2.Status
    end_reason: _span_types_pb2.SpanEndReason
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    events: _containers.RepeatedCompositeFieldContainer[SpanEvent]
    errors: _containers.RepeatedCompositeFieldContainer[SpanError]
    links: _containers.RepeatedCompositeFieldContainer[_span_types_pb2.SpanLink]
    resource_attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    traceparent: str
    tracestate: str
    limited_attributes_count: int
    scope_name: str
    dropped_events_count: int
    dropped_links_count: int
    scope_version: str
    scope_attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    scope_dropped_attributes_count: int
    scope_schema_url: str
    resource_schema_url: str
    resource_dropped_attributes_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., parent_span_id: _Optional[bytes] = ..., parent_is_remote: _Optional[bool] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[_span_types_pb2.SpanKind, str]] = ..., service_name: _Optional[str] = ..., state: _Optional[_Union[SpanState, str]] = ..., start_time_unix_nano: _Optional[int] = ..., end_time_unix_nano: _Optional[int] = ..., duration_nano: _Optional[int] = ..., status: _Optional[_Union[_span_types_pb2.Status, _Mapping]] = ..., end_reason: _Optional[_Union[_span_types_pb2.SpanEndReason, str]] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[SpanEvent, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[SpanError, _Mapping]]] = ..., links: _Optional[_Iterable[_Union[_span_types_pb2.SpanLink, _Mapping]]] = ..., resource_attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., traceparent: _Optional[str] = ..., tracestate: _Optional[str] = ..., limited_attributes_count: _Optional[int] = ..., scope_name: _Optional[str] = ..., dropped_events_count: _Optional[int] = ..., dropped_links_count: _Optional[int] = ..., scope_version: _Optional[str] = ..., scope_attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., scope_dropped_attributes_count: _Optional[int] = ..., scope_schema_url: _Optional[str] = ..., resource_schema_url: _Optional[str] = ..., resource_dropped_attributes_count: _Optional[int] = ...) -> None: ...

class Trace(_message.Message):
    __slots__ = ("trace_id", "state", "version", "start_time_unix_nano", "end_time_unix_nano", "duration_nano", "root_span_id", "root_name", "root_service_name", "span_count", "error_count", "running_span_count", "spans")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    END_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    ROOT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_NAME_FIELD_NUMBER: _ClassVar[int]
    ROOT_SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    state: TraceState
    version: int
    start_time_unix_nano: int
    end_time_unix_nano: int
    duration_nano: int
    root_span_id: bytes
    root_name: str
    root_service_name: str
    span_count: int
    error_count: int
    running_span_count: int
    spans: _containers.RepeatedCompositeFieldContainer[Span]
    def __init__(self, trace_id: _Optional[bytes] = ..., state: _Optional[_Union[TraceState, str]] = ..., version: _Optional[int] = ..., start_time_unix_nano: _Optional[int] = ..., end_time_unix_nano: _Optional[int] = ..., duration_nano: _Optional[int] = ..., root_span_id: _Optional[bytes] = ..., root_name: _Optional[str] = ..., root_service_name: _Optional[str] = ..., span_count: _Optional[int] = ..., error_count: _Optional[int] = ..., running_span_count: _Optional[int] = ..., spans: _Optional[_Iterable[_Union[Span, _Mapping]]] = ...) -> None: ...

class TraceSummary(_message.Message):
    __slots__ = ("trace_id", "state", "start_time_unix_nano", "duration_nano", "root_name", "root_service_name", "span_count", "error_count", "running_span_count", "service_names")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    ROOT_NAME_FIELD_NUMBER: _ClassVar[int]
    ROOT_SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_COUNT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAMES_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    state: TraceState
    start_time_unix_nano: int
    duration_nano: int
    root_name: str
    root_service_name: str
    span_count: int
    error_count: int
    running_span_count: int
    service_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, trace_id: _Optional[bytes] = ..., state: _Optional[_Union[TraceState, str]] = ..., start_time_unix_nano: _Optional[int] = ..., duration_nano: _Optional[int] = ..., root_name: _Optional[str] = ..., root_service_name: _Optional[str] = ..., span_count: _Optional[int] = ..., error_count: _Optional[int] = ..., running_span_count: _Optional[int] = ..., service_names: _Optional[_Iterable[str]] = ...) -> None: ...
