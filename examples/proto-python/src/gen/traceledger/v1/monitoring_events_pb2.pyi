from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_KIND_UNSPECIFIED: _ClassVar[AlertKind]
    ALERT_KIND_SLOW_SPAN: _ClassVar[AlertKind]
    ALERT_KIND_SLOW_TRACE: _ClassVar[AlertKind]
    ALERT_KIND_ERROR_RATE: _ClassVar[AlertKind]
    ALERT_KIND_LATENCY_ANOMALY: _ClassVar[AlertKind]
    ALERT_KIND_CRITICAL_ERROR: _ClassVar[AlertKind]

class AlertSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_SEVERITY_UNSPECIFIED: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_WARNING: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_ERROR: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_CRITICAL: _ClassVar[AlertSeverity]

class AlertUnit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_UNIT_UNSPECIFIED: _ClassVar[AlertUnit]
    ALERT_UNIT_NANOSECONDS: _ClassVar[AlertUnit]
    ALERT_UNIT_RATIO: _ClassVar[AlertUnit]
    ALERT_UNIT_COUNT: _ClassVar[AlertUnit]

class AlertResolveReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_RESOLVE_REASON_UNSPECIFIED: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_SPAN_ENDED: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_SPAN_ORPHANED: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_TRACE_COMPLETED: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_BELOW_THRESHOLD: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_INSUFFICIENT_SAMPLES: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_BACK_TO_BASELINE: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_IDLE: _ClassVar[AlertResolveReason]
    ALERT_RESOLVE_REASON_TRACE_DELETED: _ClassVar[AlertResolveReason]
ALERT_KIND_UNSPECIFIED: AlertKind
ALERT_KIND_SLOW_SPAN: AlertKind
ALERT_KIND_SLOW_TRACE: AlertKind
ALERT_KIND_ERROR_RATE: AlertKind
ALERT_KIND_LATENCY_ANOMALY: AlertKind
ALERT_KIND_CRITICAL_ERROR: AlertKind
ALERT_SEVERITY_UNSPECIFIED: AlertSeverity
ALERT_SEVERITY_WARNING: AlertSeverity
ALERT_SEVERITY_ERROR: AlertSeverity
ALERT_SEVERITY_CRITICAL: AlertSeverity
ALERT_UNIT_UNSPECIFIED: AlertUnit
ALERT_UNIT_NANOSECONDS: AlertUnit
ALERT_UNIT_RATIO: AlertUnit
ALERT_UNIT_COUNT: AlertUnit
ALERT_RESOLVE_REASON_UNSPECIFIED: AlertResolveReason
ALERT_RESOLVE_REASON_SPAN_ENDED: AlertResolveReason
ALERT_RESOLVE_REASON_SPAN_ORPHANED: AlertResolveReason
ALERT_RESOLVE_REASON_TRACE_COMPLETED: AlertResolveReason
ALERT_RESOLVE_REASON_BELOW_THRESHOLD: AlertResolveReason
ALERT_RESOLVE_REASON_INSUFFICIENT_SAMPLES: AlertResolveReason
ALERT_RESOLVE_REASON_BACK_TO_BASELINE: AlertResolveReason
ALERT_RESOLVE_REASON_IDLE: AlertResolveReason
ALERT_RESOLVE_REASON_TRACE_DELETED: AlertResolveReason

class SpanSubject(_message.Message):
    __slots__ = ("trace_id", "span_id", "service_name", "span_name")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_NAME_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    service_name: str
    span_name: str
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ..., service_name: _Optional[str] = ..., span_name: _Optional[str] = ...) -> None: ...

class TraceSubject(_message.Message):
    __slots__ = ("trace_id", "service_name", "span_name")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_NAME_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    service_name: str
    span_name: str
    def __init__(self, trace_id: _Optional[bytes] = ..., service_name: _Optional[str] = ..., span_name: _Optional[str] = ...) -> None: ...

class ServiceSubject(_message.Message):
    __slots__ = ("service_name",)
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    def __init__(self, service_name: _Optional[str] = ...) -> None: ...

class OperationSubject(_message.Message):
    __slots__ = ("service_name", "span_name")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_NAME_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    span_name: str
    def __init__(self, service_name: _Optional[str] = ..., span_name: _Optional[str] = ...) -> None: ...

class AlertSubject(_message.Message):
    __slots__ = ("span", "trace", "service", "operation")
    SPAN_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    span: SpanSubject
    trace: TraceSubject
    service: ServiceSubject
    operation: OperationSubject
    def __init__(self, span: _Optional[_Union[SpanSubject, _Mapping]] = ..., trace: _Optional[_Union[TraceSubject, _Mapping]] = ..., service: _Optional[_Union[ServiceSubject, _Mapping]] = ..., operation: _Optional[_Union[OperationSubject, _Mapping]] = ...) -> None: ...

class Exemplar(_message.Message):
    __slots__ = ("trace_id", "span_id")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: bytes
    span_id: bytes
    def __init__(self, trace_id: _Optional[bytes] = ..., span_id: _Optional[bytes] = ...) -> None: ...

class AlertRaised(_message.Message):
    __slots__ = ("alert_id", "kind", "subject", "severity", "time_unix_nano", "value", "threshold", "unit", "message", "samples", "errors", "exemplars", "error_type", "error_id")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    EXEMPLARS_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_ID_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    kind: AlertKind
    subject: AlertSubject
    severity: AlertSeverity
    time_unix_nano: int
    value: float
    threshold: float
    unit: AlertUnit
    message: str
    samples: int
    errors: int
    exemplars: _containers.RepeatedCompositeFieldContainer[Exemplar]
    error_type: str
    error_id: str
    def __init__(self, alert_id: _Optional[str] = ..., kind: _Optional[_Union[AlertKind, str]] = ..., subject: _Optional[_Union[AlertSubject, _Mapping]] = ..., severity: _Optional[_Union[AlertSeverity, str]] = ..., time_unix_nano: _Optional[int] = ..., value: _Optional[float] = ..., threshold: _Optional[float] = ..., unit: _Optional[_Union[AlertUnit, str]] = ..., message: _Optional[str] = ..., samples: _Optional[int] = ..., errors: _Optional[int] = ..., exemplars: _Optional[_Iterable[_Union[Exemplar, _Mapping]]] = ..., error_type: _Optional[str] = ..., error_id: _Optional[str] = ...) -> None: ...

class AlertResolved(_message.Message):
    __slots__ = ("alert_id", "kind", "subject", "severity", "time_unix_nano", "reason", "value", "unit")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    kind: AlertKind
    subject: AlertSubject
    severity: AlertSeverity
    time_unix_nano: int
    reason: AlertResolveReason
    value: float
    unit: AlertUnit
    def __init__(self, alert_id: _Optional[str] = ..., kind: _Optional[_Union[AlertKind, str]] = ..., subject: _Optional[_Union[AlertSubject, _Mapping]] = ..., severity: _Optional[_Union[AlertSeverity, str]] = ..., time_unix_nano: _Optional[int] = ..., reason: _Optional[_Union[AlertResolveReason, str]] = ..., value: _Optional[float] = ..., unit: _Optional[_Union[AlertUnit, str]] = ...) -> None: ...

class MonitoringEvent(_message.Message):
    __slots__ = ("alert_raised", "alert_resolved")
    ALERT_RAISED_FIELD_NUMBER: _ClassVar[int]
    ALERT_RESOLVED_FIELD_NUMBER: _ClassVar[int]
    alert_raised: AlertRaised
    alert_resolved: AlertResolved
    def __init__(self, alert_raised: _Optional[_Union[AlertRaised, _Mapping]] = ..., alert_resolved: _Optional[_Union[AlertResolved, _Mapping]] = ...) -> None: ...

class MonitoringEventEnvelope(_message.Message):
    __slots__ = ("event_id", "stream_version", "occurred_time_unix_nano", "recorded_time_unix_nano", "event")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    RECORDED_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    stream_version: int
    occurred_time_unix_nano: int
    recorded_time_unix_nano: int
    event: MonitoringEvent
    def __init__(self, event_id: _Optional[str] = ..., stream_version: _Optional[int] = ..., occurred_time_unix_nano: _Optional[int] = ..., recorded_time_unix_nano: _Optional[int] = ..., event: _Optional[_Union[MonitoringEvent, _Mapping]] = ...) -> None: ...
