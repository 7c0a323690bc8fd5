from traceledger.v1 import attributes_pb2 as _attributes_pb2
from traceledger.v1 import span_types_pb2 as _span_types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TraceOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRACE_ORIGIN_UNSPECIFIED: _ClassVar[TraceOrigin]
    TRACE_ORIGIN_ROOT: _ClassVar[TraceOrigin]
    TRACE_ORIGIN_REMOTE_PARENT: _ClassVar[TraceOrigin]
    TRACE_ORIGIN_OTLP: _ClassVar[TraceOrigin]

class OrphanReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORPHAN_REASON_UNSPECIFIED: _ClassVar[OrphanReason]
    ORPHAN_REASON_TIMEOUT: _ClassVar[OrphanReason]
    ORPHAN_REASON_TRACE_CLOSED: _ClassVar[OrphanReason]

class TraceCompletionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRACE_COMPLETION_REASON_UNSPECIFIED: _ClassVar[TraceCompletionReason]
    TRACE_COMPLETION_REASON_ROOT_ENDED: _ClassVar[TraceCompletionReason]
    TRACE_COMPLETION_REASON_TIMED_OUT: _ClassVar[TraceCompletionReason]
TRACE_ORIGIN_UNSPECIFIED: TraceOrigin
TRACE_ORIGIN_ROOT: TraceOrigin
TRACE_ORIGIN_REMOTE_PARENT: TraceOrigin
TRACE_ORIGIN_OTLP: TraceOrigin
ORPHAN_REASON_UNSPECIFIED: OrphanReason
ORPHAN_REASON_TIMEOUT: OrphanReason
ORPHAN_REASON_TRACE_CLOSED: OrphanReason
TRACE_COMPLETION_REASON_UNSPECIFIED: TraceCompletionReason
TRACE_COMPLETION_REASON_ROOT_ENDED: TraceCompletionReason
TRACE_COMPLETION_REASON_TIMED_OUT: TraceCompletionReason

class TraceStarted(_message.Message):
    __slots__ = ("trace_id", "start_time_unix_nano", "origin", "service_name")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    start_time_unix_nano: int
    origin: TraceOrigin
    service_name: str
    def __init__(self, trace_id: _Optional[bytes] = ..., start_time_unix_nano: _Optional[int] = ..., origin: _Optional[_Union[TraceOrigin, str]] = ..., service_name: _Optional[str] = ...) -> None: ...

class SpanStarted(_message.Message):
    __slots__ = ("trace_id", "span_id", "parent_span_id", "parent_is_remote", "name", "kind", "service_name", "start_time_unix_nano", "attributes", "tracestate", "links", "resource_attributes", "flags", "dropped_attributes_count", "truncated_values_count", "scope_name", "dropped_events_count", "dropped_links_count", "scope_version", "scope_attributes", "scope_dropped_attributes_count", "scope_schema_url", "resource_schema_url", "resource_dropped_attributes_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_IS_REMOTE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    TRACESTATE_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_VALUES_COUNT_FIELD_NUMBER: _ClassVar[int]
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
    start_time_unix_nano: int
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    tracestate: str
    links: _containers.RepeatedCompositeFieldContainer[_span_types_pb2.SpanLink]
    resource_attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    flags: int
    dropped_attributes_count: int
    truncated_values_count: int
    scope_name: str
    dropped_events_count: int
    dropped_links_count: int
    scope_version: str
    scope_attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    scope_dropped_attributes_count: int
    scope_schema_url: str
    resource_schema_url: str
    resource_dropped_attributes_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., parent_span_id: _Optional[bytes] = ..., parent_is_remote: _Optional[bool] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[_span_types_pb2.SpanKind, str]] = ..., service_name: _Optional[str] = ..., start_time_unix_nano: _Optional[int] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., tracestate: _Optional[str] = ..., links: _Optional[_Iterable[_Union[_span_types_pb2.SpanLink, _Mapping]]] = ..., resource_attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., flags: _Optional[int] = ..., dropped_attributes_count: _Optional[int] = ..., truncated_values_count: _Optional[int] = ..., scope_name: _Optional[str] = ..., dropped_events_count: _Optional[int] = ..., dropped_links_count: _Optional[int] = ..., scope_version: _Optional[str] = ..., scope_attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., scope_dropped_attributes_count: _Optional[int] = ..., scope_schema_url: _Optional[str] = ..., resource_schema_url: _Optional[str] = ..., resource_dropped_attributes_count: _Optional[int] = ...) -> None: ...

class SpanEnded(_message.Message):
    __slots__ = ("trace_id", "span_id", "end_time_unix_nano", "status", "end_reason", "attributes", "dropped_attributes_count", "truncated_values_count", "name")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    END_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_VALUES_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    end_time_unix_nano: int
    status: _span_types_pb2.Status
    end_reason: _span_types_pb2.SpanEndReason
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    dropped_attributes_count: int
    truncated_values_count: int
    name: str
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., end_time_unix_nano: _Optional[int] = ..., status: _Optional[_Union[_span_types_pb2.Status, _Mapping]] = ..., end_reason: _Optional[_Union[_span_types_pb2.SpanEndReason, str]] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., dropped_attributes_count: _Optional[int] = ..., truncated_values_count: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class SpanErrorOccurred(_message.Message):
    __slots__ = ("trace_id", "span_id", "error_id", "time_unix_nano", "error_type", "message", "stacktrace", "escaped", "attributes", "dropped_attributes_count", "truncated_values_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACKTRACE_FIELD_NUMBER: _ClassVar[int]
    ESCAPED_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_VALUES_COUNT_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    error_id: str
    time_unix_nano: int
    error_type: str
    message: str
    stacktrace: str
    escaped: bool
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    dropped_attributes_count: int
    truncated_values_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., error_id: _Optional[str] = ..., time_unix_nano: _Optional[int] = ..., error_type: _Optional[str] = ..., message: _Optional[str] = ..., stacktrace: _Optional[str] = ..., escaped: _Optional[bool] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., dropped_attributes_count: _Optional[int] = ..., truncated_values_count: _Optional[int] = ...) -> None: ...

class SpanEventRecorded(_message.Message):
    __slots__ = ("trace_id", "span_id", "event_id", "time_unix_nano", "name", "attributes", "dropped_attributes_count", "truncated_values_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_VALUES_COUNT_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    event_id: str
    time_unix_nano: int
    name: str
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    dropped_attributes_count: int
    truncated_values_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., event_id: _Optional[str] = ..., time_unix_nano: _Optional[int] = ..., name: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., dropped_attributes_count: _Optional[int] = ..., truncated_values_count: _Optional[int] = ...) -> None: ...

class SpanAttributeUpdated(_message.Message):
    __slots__ = ("trace_id", "span_id", "update_id", "attributes", "dropped_attributes_count", "truncated_values_count", "time_unix_nano")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    DROPPED_ATTRIBUTES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_VALUES_COUNT_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    update_id: str
    attributes: _containers.RepeatedCompositeFieldContainer[_attributes_pb2.KeyValue]
    dropped_attributes_count: int
    truncated_values_count: int
    time_unix_nano: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., update_id: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[_attributes_pb2.KeyValue, _Mapping]]] = ..., dropped_attributes_count: _Optional[int] = ..., truncated_values_count: _Optional[int] = ..., time_unix_nano: _Optional[int] = ...) -> None: ...

class SpanOrphaned(_message.Message):
    __slots__ = ("trace_id", "span_id", "closed_time_unix_nano", "reason", "open_duration_nano")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPEN_DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    closed_time_unix_nano: int
    reason: OrphanReason
    open_duration_nano: int
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., closed_time_unix_nano: _Optional[int] = ..., reason: _Optional[_Union[OrphanReason, str]] = ..., open_duration_nano: _Optional[int] = ...) -> None: ...

class TraceCompleted(_message.Message):
    __slots__ = ("trace_id", "start_time_unix_nano", "end_time_unix_nano", "duration_nano", "span_count", "error_count", "orphaned_span_count", "reason", "late_span_count")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    END_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    DURATION_NANO_FIELD_NUMBER: _ClassVar[int]
    SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_COUNT_FIELD_NUMBER: _ClassVar[int]
    ORPHANED_SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LATE_SPAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    start_time_unix_nano: int
    end_time_unix_nano: int
    duration_nano: int
    span_count: int
    error_count: int
    orphaned_span_count: int
    reason: TraceCompletionReason
    late_span_count: int
    def __init__(self, trace_id: _Optional[bytes] = ..., start_time_unix_nano: _Optional[int] = ..., end_time_unix_nano: _Optional[int] = ..., duration_nano: _Optional[int] = ..., span_count: _Optional[int] = ..., error_count: _Optional[int] = ..., orphaned_span_count: _Optional[int] = ..., reason: _Optional[_Union[TraceCompletionReason, str]] = ..., late_span_count: _Optional[int] = ...) -> None: ...

class TraceEvent(_message.Message):
    __slots__ = ("trace_started", "span_started", "span_ended", "span_error_occurred", "span_event_recorded", "span_attribute_updated", "span_orphaned", "trace_completed")
    TRACE_STARTED_FIELD_NUMBER: _ClassVar[int]
    SPAN_STARTED_FIELD_NUMBER: _ClassVar[int]
    SPAN_ENDED_FIELD_NUMBER: _ClassVar[int]
    SPAN_ERROR_OCCURRED_FIELD_NUMBER: _ClassVar[int]
    SPAN_EVENT_RECORDED_FIELD_NUMBER: _ClassVar[int]
    SPAN_ATTRIBUTE_UPDATED_FIELD_NUMBER: _ClassVar[int]
    SPAN_ORPHANED_FIELD_NUMBER: _ClassVar[int]
    TRACE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    trace_started: TraceStarted
    span_started: SpanStarted
    span_ended: SpanEnded
    span_error_occurred: SpanErrorOccurred
    span_event_recorded: SpanEventRecorded
    span_attribute_updated: SpanAttributeUpdated
    span_orphaned: SpanOrphaned
    trace_completed: TraceCompleted
    def __init__(self, trace_started: _Optional[_Union[TraceStarted, _Mapping]] = ..., span_started: _Optional[_Union[SpanStarted, _Mapping]] = ..., span_ended: _Optional[_Union[SpanEnded, _Mapping]] = ..., span_error_occurred: _Optional[_Union[SpanErrorOccurred, _Mapping]] = ..., span_event_recorded: _Optional[_Union[SpanEventRecorded, _Mapping]] = ..., span_attribute_updated: _Optional[_Union[SpanAttributeUpdated, _Mapping]] = ..., span_orphaned: _Optional[_Union[SpanOrphaned, _Mapping]] = ..., trace_completed: _Optional[_Union[TraceCompleted, _Mapping]] = ...) -> None: ...

class EventEnvelope(_message.Message):
    __slots__ = ("event_id", "trace_id", "stream_version", "global_position", "occurred_time_unix_nano", "recorded_time_unix_nano", "type", "event")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_POSITION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    RECORDED_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    trace_id: bytes
    stream_version: int
    global_position: int
    occurred_time_unix_nano: int
    recorded_time_unix_nano: int
    type: str
    event: TraceEvent
    def __init__(self, event_id: _Optional[str] = ..., trace_id: _Optional[bytes] = ..., stream_version: _Optional[int] = ..., global_position: _Optional[int] = ..., occurred_time_unix_nano: _Optional[int] = ..., recorded_time_unix_nano: _Optional[int] = ..., type: _Optional[str] = ..., event: _Optional[_Union[TraceEvent, _Mapping]] = ...) -> None: ...
