// Lifecycle commands -> protobuf bytes of traceledger.v1.TracingCommand, written
// by hand for the hot path (field numbers from tracing_service.proto,
// attributes.proto and span_types.proto). A unit test decodes the output with
// the generated protobuf-es schemas and compares it field by field, so the two
// cannot drift apart silently.
//
// Why not protobuf-es here: building messages with create() and encoding them
// with toBinary() cost ~28 us of CPU per span (start + end, four attributes) on
// this machine, about three times what OpenTelemetry's whole pipeline costs;
// writing the bytes directly costs a fraction of that (see BENCHMARKS.md at the repository root).

import type { AttributeValue, Attributes } from "../commands/attributes.js";
import type { Resource } from "../commands/resource.js";
import type { SpanCommand, SpanLinkData, StartSpanCommand } from "../commands/span-command.js";
import { ProtoWriter, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "./proto-writer.js";

// TracingCommand oneof members.
const COMMAND_START_SPAN = 2;
const COMMAND_END_SPAN = 3;
const COMMAND_RECORD_ERROR = 4;
const COMMAND_ADD_SPAN_EVENT = 5;
const COMMAND_SET_SPAN_ATTRIBUTES = 6;

/** IngestBatchRequest.commands */
export const BATCH_COMMANDS_FIELD = 1;

/** Writes one TracingCommand message body (without its own tag and length). */
export function encodeTracingCommand(w: ProtoWriter, command: SpanCommand): void {
  switch (command.type) {
    case "startSpan": {
      w.tag(COMMAND_START_SPAN, WIRE_LEN);
      const m = w.begin();
      encodeStartSpan(w, command);
      w.end(m);
      return;
    }
    case "endSpan": {
      w.tag(COMMAND_END_SPAN, WIRE_LEN);
      const m = w.begin();
      w.hexBytesField(1, command.traceId);
      w.hexBytesField(2, command.spanId);
      w.fixed64Field(4, command.endTimeUnixNano);
      if (command.statusCode !== 0 || command.statusMessage !== "") {
        w.tag(5, WIRE_LEN);
        const s = w.begin();
        w.stringField(2, command.statusMessage);
        w.enumField(3, command.statusCode);
        w.end(s);
      }
      w.enumField(6, command.endReason);
      encodeAttributes(w, 7, command.attributes);
      if (command.name !== undefined) w.stringField(8, command.name);
      w.end(m);
      return;
    }
    case "recordError": {
      w.tag(COMMAND_RECORD_ERROR, WIRE_LEN);
      const m = w.begin();
      w.hexBytesField(1, command.traceId);
      w.hexBytesField(2, command.spanId);
      w.stringField(4, command.errorId);
      w.fixed64Field(5, command.timeUnixNano);
      w.stringField(6, command.errorType);
      w.stringField(7, command.message);
      w.stringField(8, command.stacktrace);
      w.boolField(9, command.escaped);
      encodeAttributes(w, 10, command.attributes);
      w.end(m);
      return;
    }
    case "addSpanEvent": {
      w.tag(COMMAND_ADD_SPAN_EVENT, WIRE_LEN);
      const m = w.begin();
      w.hexBytesField(1, command.traceId);
      w.hexBytesField(2, command.spanId);
      w.stringField(4, command.eventId);
      w.fixed64Field(5, command.timeUnixNano);
      w.stringField(6, command.name);
      encodeAttributes(w, 7, command.attributes);
      w.end(m);
      return;
    }
    case "setSpanAttributes": {
      w.tag(COMMAND_SET_SPAN_ATTRIBUTES, WIRE_LEN);
      const m = w.begin();
      w.hexBytesField(1, command.traceId);
      w.hexBytesField(2, command.spanId);
      w.stringField(4, command.updateId);
      encodeAttributes(w, 5, command.attributes);
      w.end(m);
      return;
    }
  }
}

/** StartSpanRequest fields. */
function encodeStartSpan(w: ProtoWriter, c: StartSpanCommand): void {
  w.hexBytesField(1, c.traceId);
  w.hexBytesField(2, c.spanId);
  w.hexBytesField(3, c.parentSpanId);
  w.boolField(5, c.parentIsRemote);
  w.stringField(6, c.tracestate);
  w.stringField(7, c.name);
  w.enumField(8, c.kind);
  w.stringField(9, c.serviceName);
  w.fixed64Field(10, c.startTimeUnixNano);
  encodeAttributes(w, 11, c.attributes);
  if (c.links) for (const link of c.links) encodeLink(w, 12, link);
  if (c.resource) w.raw(encodedResource(c.resource));
  w.stringField(15, c.scopeName);
  if (c.scopeVersion) w.stringField(16, c.scopeVersion);
  w.boolField(17, c.randomTraceId === true);
}

function encodeLink(w: ProtoWriter, field: number, link: SpanLinkData): void {
  w.tag(field, WIRE_LEN);
  const m = w.begin();
  w.hexBytesField(1, link.traceId);
  w.hexBytesField(2, link.spanId);
  w.stringField(3, link.traceState ?? "");
  encodeAttributes(w, 4, link.attributes);
  if (link.traceFlags) {
    w.tag(6, WIRE_FIXED32);
    w.fixed32(link.traceFlags & 0xff);
  }
  w.end(m);
}

/** StartSpanRequest.resource_attributes, encoded once per resource. */
function encodedResource(resource: Resource): Uint8Array {
  if (resource.encoded === undefined) {
    const w = new ProtoWriter(1024);
    encodeAttributes(w, 13, resource.attributes);
    resource.encoded = w.finish();
  }
  return resource.encoded;
}

/** Repeated KeyValue `field`. */
function encodeAttributes(w: ProtoWriter, field: number, attributes: Attributes | undefined): void {
  if (attributes === undefined) return;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null || key === "") continue;
    w.tag(field, WIRE_LEN);
    const kv = w.begin();
    w.tag(1, WIRE_LEN);
    w.string(key);
    w.tag(2, WIRE_LEN);
    const any = w.begin();
    encodeAnyValue(w, value);
    w.end(any);
    w.end(kv);
  }
}

/** The body of an AnyValue (its oneof member). */
function encodeAnyValue(w: ProtoWriter, value: AttributeValue | null | undefined): void {
  switch (typeof value) {
    case "string":
      w.tag(1, WIRE_LEN);
      w.string(value);
      return;
    case "boolean":
      w.tag(2, WIRE_VARINT);
      w.uint32(value ? 1 : 0);
      return;
    case "number":
      if (Number.isSafeInteger(value)) {
        w.tag(3, WIRE_VARINT);
        w.int64(value);
      } else {
        w.tag(4, WIRE_FIXED64);
        w.double(value);
      }
      return;
    case "bigint":
      w.tag(3, WIRE_VARINT);
      w.int64(BigInt.asIntN(64, value));
      return;
    case "object":
      if (value === null) return; // an empty AnyValue
      if (value instanceof Uint8Array) {
        w.tag(7, WIRE_LEN);
        w.bytes(value);
        return;
      }
      if (Array.isArray(value)) {
        w.tag(5, WIRE_LEN);
        const array = w.begin();
        for (const element of value as ReadonlyArray<AttributeValue | null | undefined>) {
          w.tag(1, WIRE_LEN);
          const item = w.begin();
          encodeAnyValue(w, element);
          w.end(item);
        }
        w.end(array);
      }
      return;
    default:
      return; // undefined, functions, symbols: an empty AnyValue
  }
}
