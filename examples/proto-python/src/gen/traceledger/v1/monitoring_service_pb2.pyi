from traceledger.v1 import monitoring_events_pb2 as _monitoring_events_pb2
from traceledger.v1 import span_types_pb2 as _span_types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATE_UNSPECIFIED: _ClassVar[AlertState]
    ALERT_STATE_OPEN: _ClassVar[AlertState]
    ALERT_STATE_RESOLVED: _ClassVar[AlertState]
ALERT_STATE_UNSPECIFIED: AlertState
ALERT_STATE_OPEN: AlertState
ALERT_STATE_RESOLVED: AlertState

class ActiveSpan(_message.Message):
    __slots__ = ("trace_id", "span_id", "service_name", "name", "kind", "start_time_unix_nano", "running_nano", "slow_threshold_nano", "slow", "closing")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    RUNNING_NANO_FIELD_NUMBER: _ClassVar[int]
    SLOW_THRESHOLD_NANO_FIELD_NUMBER: _ClassVar[int]
    SLOW_FIELD_NUMBER: _ClassVar[int]
    CLOSING_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    service_name: str
    name: str
    kind: _span_types_pb2.SpanKind
    start_time_unix_nano: int
    running_nano: int
    slow_threshold_nano: int
    slow: bool
    closing: bool
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., service_name: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[_span_types_pb2.SpanKind, str]] = ..., start_time_unix_nano: _Optional[int] = ..., running_nano: _Optional[int] = ..., slow_threshold_nano: _Optional[int] = ..., slow: _Optional[bool] = ..., closing: _Optional[bool] = ...) -> None: ...

class ListActiveSpansRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "service_name", "min_running_nano")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_RUNNING_NANO_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    service_name: str
    min_running_nano: int
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., service_name: _Optional[str] = ..., min_running_nano: _Optional[int] = ...) -> None: ...

class ListActiveSpansResponse(_message.Message):
    __slots__ = ("spans", "next_page_token", "as_of_time_unix_nano")
    SPANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    spans: _containers.RepeatedCompositeFieldContainer[ActiveSpan]
    next_page_token: str
    as_of_time_unix_nano: int
    def __init__(self, spans: _Optional[_Iterable[_Union[ActiveSpan, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., as_of_time_unix_nano: _Optional[int] = ...) -> None: ...

class WatchActiveSpansRequest(_message.Message):
    __slots__ = ("service_name",)
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    def __init__(self, service_name: _Optional[str] = ...) -> None: ...

class StoppedSpan(_message.Message):
    __slots__ = ("trace_id", "span_id", "reason")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    reason: _span_types_pb2.SpanEndReason
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., reason: _Optional[_Union[_span_types_pb2.SpanEndReason, str]] = ...) -> None: ...

class WatchActiveSpansResponse(_message.Message):
    __slots__ = ("upserted", "stopped", "snapshot_complete", "as_of_time_unix_nano")
    UPSERTED_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    upserted: _containers.RepeatedCompositeFieldContainer[ActiveSpan]
    stopped: _containers.RepeatedCompositeFieldContainer[StoppedSpan]
    snapshot_complete: bool
    as_of_time_unix_nano: int
    def __init__(self, upserted: _Optional[_Iterable[_Union[ActiveSpan, _Mapping]]] = ..., stopped: _Optional[_Iterable[_Union[StoppedSpan, _Mapping]]] = ..., snapshot_complete: _Optional[bool] = ..., as_of_time_unix_nano: _Optional[int] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("alert_id", "kind", "severity", "state", "raised", "resolved", "raised_version", "raised_recorded_time_unix_nano")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RAISED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    RAISED_VERSION_FIELD_NUMBER: _ClassVar[int]
    RAISED_RECORDED_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    kind: _monitoring_events_pb2.AlertKind
    severity: _monitoring_events_pb2.AlertSeverity
    state: AlertState
    raised: _monitoring_events_pb2.AlertRaised
    resolved: _monitoring_events_pb2.AlertResolved
    raised_version: int
    raised_recorded_time_unix_nano: int
    def __init__(self, alert_id: _Optional[str] = ..., kind: _Optional[_Union[_monitoring_events_pb2.AlertKind, str]] = ..., severity: _Optional[_Union[_monitoring_events_pb2.AlertSeverity, str]] = ..., state: _Optional[_Union[AlertState, str]] = ..., raised: _Optional[_Union[_monitoring_events_pb2.AlertRaised, _Mapping]] = ..., resolved: _Optional[_Union[_monitoring_events_pb2.AlertResolved, _Mapping]] = ..., raised_version: _Optional[int] = ..., raised_recorded_time_unix_nano: _Optional[int] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "kind", "service_name")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: AlertState
    kind: _monitoring_events_pb2.AlertKind
    service_name: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ..., kind: _Optional[_Union[_monitoring_events_pb2.AlertKind, str]] = ..., service_name: _Optional[str] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "next_page_token", "as_of_version")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AS_OF_VERSION_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    next_page_token: str
    as_of_version: int
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., as_of_version: _Optional[int] = ...) -> None: ...

class WatchAlertsRequest(_message.Message):
    __slots__ = ("after_version",)
    AFTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    after_version: int
    def __init__(self, after_version: _Optional[int] = ...) -> None: ...

class WatchAlertsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _monitoring_events_pb2.MonitoringEventEnvelope
    def __init__(self, event: _Optional[_Union[_monitoring_events_pb2.MonitoringEventEnvelope, _Mapping]] = ...) -> None: ...
