// The wire-type tables against the messages' schemas: a field added to a
// stored event, or one whose type changes, must show here, or the narrow
// readers would refuse (or misread) payloads that carry it.

import { ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import {
  SpanAttributeUpdatedSchema,
  SpanEndedSchema,
  SpanErrorOccurredSchema,
  SpanEventRecordedSchema,
  SpanOrphanedSchema,
  SpanStartedSchema,
  StatusSchema,
  TraceCompletedSchema,
  TraceStartedSchema,
} from "@traceledger/proto";
import { describe, expect, it } from "vitest";
import { STATUS_WIRE_TYPES, TRACE_EVENT_WIRE_TYPES } from "./trace-event-wire-types.js";

function wireTypeOf(field: DescField): number {
  if (field.fieldKind !== "scalar" && field.fieldKind !== "enum") return WireType.LengthDelimited;
  if (field.fieldKind === "enum") return WireType.Varint;
  switch (field.scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.DOUBLE:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** The table a schema implies: index field number, -1 where no field has that number. */
function tableOf(schema: DescMessage): number[] {
  const table: number[] = new Array<number>(Math.max(...schema.fields.map((f) => f.number)) + 1).fill(-1);
  for (const f of schema.fields) table[f.number] = wireTypeOf(f);
  return table;
}

describe("trace event wire types", () => {
  it("match the schema of every stored trace event and of Status", () => {
    const schemas = [TraceStartedSchema, SpanStartedSchema, SpanEndedSchema, SpanErrorOccurredSchema, SpanEventRecordedSchema, SpanAttributeUpdatedSchema, SpanOrphanedSchema, TraceCompletedSchema];
    expect(new Map(schemas.map((s) => [s.name, tableOf(s)]))).toEqual(TRACE_EVENT_WIRE_TYPES);
    expect(tableOf(StatusSchema)).toEqual(STATUS_WIRE_TYPES);
  });
});
